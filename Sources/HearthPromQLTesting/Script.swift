import HearthModel

/// A parsed PromQL test script, in the language of Prometheus's `promql/promqltest`:
/// `load`, `clear` and `eval` commands with expected results and `expect` lines.
public struct Script: Sendable {
    public var commands: [Command]
    public var file: String
}

public enum Command: Sendable {
    case load(Load)
    case clear(line: Int)
    case eval(Eval)
}

/// `load <interval>` and its series.
public struct Load: Sendable {
    public var line: Int
    public var interval: Int64  // milliseconds
    public var series: [SeriesSpec]
    /// `load_with_nhcb`: classic histograms are also loaded as native histograms with custom buckets.
    public var withNativeHistogramsWithCustomBuckets = false
}

/// A series line: labels and points, with the step between points given by its context.
public struct SeriesSpec: Sendable {
    public var line: Int
    public var labels: Labels
    public var points: [Point]
}

/// One point of a series line.
public enum Point: Sendable, Equatable {
    case value(Double)
    /// `_`: no sample at this step.
    case missing
    /// `stale`: a staleness marker.
    case stale
    /// A native histogram (`{{…}}`), kept as text: native histograms get their own issue.
    case histogram(String)

    public static func == (a: Point, b: Point) -> Bool {
        switch (a, b) {
        case (.value(let x), .value(let y)): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        case (.missing, .missing), (.stale, .stale): return true
        case (.histogram(let x), .histogram(let y)): return x == y
        default: return false
        }
    }
}

/// An `eval` command.
public struct Eval: Sendable {
    public enum Kind: Sendable, Equatable {
        case instant(at: Int64)
        case range(start: Int64, end: Int64, step: Int64)
    }

    public enum Expectation: Sendable, Equatable {
        case fail(Match?)
        case warn(Match?)
        case info(Match?)
        case noWarn
        case noInfo
        case ordered
        case string(String)
        case rangeVector(start: Int64, end: Int64, step: Int64)
    }

    public enum Match: Sendable, Equatable {
        case message(String)
        case regex(String)
    }

    public var line: Int
    public var kind: Kind
    public var query: String
    public var expectations: [Expectation]
    /// Expected series (labels may be empty for a scalar result).
    public var results: [SeriesSpec]
    /// A bare number line: the expected scalar.
    public var scalar: Double?

    public var expectsFailure: Bool {
        expectations.contains { if case .fail = $0 { return true } else { return false } }
    }
}

/// A script that does not parse, with its file and line.
public struct ScriptError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}
