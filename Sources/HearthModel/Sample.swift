/// Milliseconds since the Unix epoch, as Prometheus stores time.
public typealias Timestamp = Int64

/// One float sample.
public struct Sample: Equatable, Sendable {
    public var timestamp: Timestamp
    public var value: Double

    @inlinable
    public init(_ timestamp: Timestamp, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }

    /// Bitwise equality, so NaNs and stale markers compare equal to themselves.
    public static func == (a: Sample, b: Sample) -> Bool {
        a.timestamp == b.timestamp && a.value.bitPattern == b.value.bitPattern
    }
}

/// Prometheus's staleness marker: a NaN with a specific bit pattern (`value.StaleNaN`), distinct
/// from the NaN arithmetic produces, so it survives storage and the wire unchanged.
public enum StaleMarker {
    public static let bitPattern: UInt64 = 0x7FF0_0000_0000_0002
    public static let value = Double(bitPattern: bitPattern)

    @inlinable
    public static func isStale(_ v: Double) -> Bool { v.bitPattern == bitPattern }
}
