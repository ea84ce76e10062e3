/// Reads choices out of a fuzz input, so that a structured generator (queries, requests) is
/// steered by the fuzzer's mutations. Past the end of the input every choice is the first one,
/// so every input means something and generation always ends.
public struct FuzzInput {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var isExhausted: Bool { position >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A number in `0..<n` (n ≥ 1).
    public mutating func int(_ n: Int) -> Int {
        guard n > 1 else { return 0 }
        if n <= 256 { return Int(byte()) % n }
        return (Int(byte()) << 8 | Int(byte())) % n
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    public mutating func pick<T>(_ choices: [T]) -> T { choices[int(choices.count)] }

    /// Up to `maxLength` raw bytes, length first.
    public mutating func bytes(maxLength: Int) -> [UInt8] {
        let n = int(maxLength + 1)
        var out: [UInt8] = []
        out.reserveCapacity(n)
        for _ in 0..<n where !isExhausted { out.append(byte()) }
        return out
    }

    /// The rest of the input.
    public mutating func rest() -> [UInt8] {
        guard position < bytes.count else { return [] }
        defer { position = bytes.count }
        return Array(bytes[position...])
    }
}
