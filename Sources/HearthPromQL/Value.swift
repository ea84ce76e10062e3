import HearthModel

/// A float sample at a step: the evaluation timestamp and the value.
public struct FPoint: Sendable, Equatable {
    public var t: Int64
    public var f: Double

    @inlinable
    public init(t: Int64, f: Double) {
        self.t = t
        self.f = f
    }
}

/// One output series: labels and a value at some of the query's steps.
///
/// `dropName` implements delayed name removal: operators that change a metric's meaning mark the
/// series, and `__name__` is removed only when evaluation ends (or when Prometheus would compare
/// labels), so that `label_replace` and `last_over_time` can still see or restore the name.
public struct Series: Sendable {
    public var labels: Labels
    public var floats: [FPoint]
    public var dropName: Bool

    public init(labels: Labels, floats: [FPoint] = [], dropName: Bool = false) {
        self.labels = labels
        self.floats = floats
        self.dropName = dropName
    }
}

/// One element of an instant vector during evaluation.
public struct VectorSample: Sendable {
    public var labels: Labels
    public var t: Int64
    public var f: Double
    public var dropName: Bool
    /// Identifies where the sample came from within one step-wise evaluation (an input series,
    /// or a pair of them): samples with the same id always have the same labels, which lets the
    /// evaluator find their output series without hashing labels. -1 when unknown.
    var id: Int

    public init(labels: Labels, t: Int64 = 0, f: Double, dropName: Bool = false) {
        self.labels = labels
        self.t = t
        self.f = f
        self.dropName = dropName
        self.id = -1
    }

    init(labels: Labels, t: Int64, f: Double, dropName: Bool, id: Int) {
        self.labels = labels
        self.t = t
        self.f = f
        self.dropName = dropName
        self.id = id
    }
}

public typealias Matrix = [Series]
public typealias Vector = [VectorSample]

/// What a query returns.
public enum QueryValue: Sendable {
    case scalar(t: Int64, f: Double)
    case string(t: Int64, String)
    case vector([VectorSample])
    case matrix([Series])
}

/// The result of a query: a value and the annotations (warnings, infos) Prometheus would attach.
public struct QueryResult: Sendable {
    public var value: QueryValue
    public var annotations: Annotations
}

/// Warnings and infos about a query's result, deduplicated, in the order they were first raised.
public struct Annotations: Sendable, Equatable {
    public private(set) var warnings: [String] = []
    public private(set) var infos: [String] = []
    /// Every annotation so far, for de-duplication in constant time: a range query can warn
    /// once per step (a quantile out of range at each of 11,000 steps).
    private var seen = Set<String>()

    public init() {}

    public static func == (a: Annotations, b: Annotations) -> Bool { a.warnings == b.warnings && a.infos == b.infos }

    public var isEmpty: Bool { warnings.isEmpty && infos.isEmpty }

    public mutating func warn(_ message: String) {
        appendRawWarning("PromQL warning: " + message)
    }

    public mutating func info(_ message: String) {
        let m = "PromQL info: " + message
        if seen.insert(m).inserted { infos.append(m) }
    }

    /// A warning worded by the caller (API-level warnings such as truncated results).
    public mutating func appendRawWarning(_ message: String) {
        if seen.insert(message).inserted { warnings.append(message) }
    }

    public mutating func merge(_ other: Annotations) {
        for w in other.warnings where seen.insert(w).inserted { warnings.append(w) }
        for i in other.infos where seen.insert(i).inserted { infos.append(i) }
    }
}

/// Why a query failed, worded as Prometheus words it.
public enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The query does not parse or does not type-check.
    case parse(String)
    /// A request parameter is wrong (its name, and why): the HTTP API's `invalid parameter`.
    case invalidParameter(String, String)
    /// Evaluation failed (e.g. duplicate series, many-to-many matching).
    case execution(String)
    /// More samples than `--query.max-samples` would be held at once.
    case tooManySamples
    case timeout
    case canceled
    /// The storage layer failed.
    case storage(String)

    public var description: String {
        switch self {
        case .parse(let m), .execution(let m), .storage(let m): return m
        case .invalidParameter(let name, let m): return "invalid parameter \"\(name)\": \(m)"
        case .tooManySamples: return "query processing would load too many samples into memory in query execution"
        case .timeout: return "query timed out in expression evaluation"
        case .canceled: return "query was canceled in expression evaluation"
        }
    }

    /// The `errorType` of Prometheus's HTTP API.
    public var errorType: String {
        switch self {
        case .parse, .invalidParameter: return "bad_data"
        case .execution: return "execution"
        case .tooManySamples: return "execution"
        case .timeout: return "timeout"
        case .canceled: return "canceled"
        case .storage: return "internal"
        }
    }
}

extension Labels {
    /// The label set without `__name__` and the metadata labels `__type__` and `__unit__`.
    func droppingMetricName() -> Labels {
        guard contains(where: { $0.name == Labels.metricName || $0.name == "__type__" || $0.name == "__unit__" }) else {
            return self
        }
        return Labels(sorted: filter { $0.name != Labels.metricName && $0.name != "__type__" && $0.name != "__unit__" })
    }

    /// A copy with `name` set to `value` (removed when `value` is empty).
    func setting(_ name: String, _ value: String) -> Labels {
        var out: [Label] = []
        out.reserveCapacity(count + 1)
        var inserted = false
        for l in self {
            if !inserted && !l.name.utf8Precedes(name) {
                if l.name == name {
                    if !value.isEmpty { out.append(Label(name, value)) }
                    inserted = true
                    continue
                }
                if !value.isEmpty { out.append(Label(name, value)) }
                inserted = true
            }
            out.append(l)
        }
        if !inserted && !value.isEmpty { out.append(Label(name, value)) }
        return Labels(sorted: out)
    }

    /// Only the labels named in `names`.
    func keeping(_ names: Set<String>) -> Labels {
        Labels(sorted: filter { names.contains($0.name) })
    }

    /// All labels except those named in `names`.
    func removing(_ names: Set<String>) -> Labels {
        Labels(sorted: filter { !names.contains($0.name) })
    }
}
