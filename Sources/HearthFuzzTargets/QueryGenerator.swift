import HearthPromQLParser

/// Writes PromQL queries from a fuzz input's choices, following the grammar and the function
/// signatures, so that the fuzzer reaches the engine with well-typed queries (random bytes
/// rarely get past the parser). Values lean to the edges: NaN, infinities, durations and
/// timestamps near the limits, zero and huge steps, and nesting near the depth limit.
public struct QueryGenerator {
    var input: FuzzInput

    public init(_ input: FuzzInput) { self.input = input }

    static let numbers = ["0", "1", "-1", "0.5", "2", "100", "NaN", "Inf", "-Inf", "1e300", "-1e300", "1e-300", "9.2e15",
                          "9223372036854775807", "-9223372036854775808", "0x7fffffffffffffff", "0755", "1_000", "4.9e-324", "-0"]
    static let durations = ["1ms", "1s", "15s", "1m", "5m", "1h", "1d", "1w", "1y", "290y", "292y", "1", "0.001", "0.5", "300",
                            "9e9", "1e9", "1h30m", "2147483647s"]
    static let ats = ["0", "1", "-1", "1000", "1e9", "9.2e15", "-9.2e15", "start()", "end()", "100.5", "-100"]
    static let metrics = ["up", "c_total", "g", "h_bucket", "extreme", "missing", "{__name__=~\".+\"}", "{job=\"a\"}",
                          "up{job=~\"a|b\"}", "up{job!=\"a\"}", "{__name__=\"g\",k!~\".*x\"}", "c_total{instance=\"x\"}"]
    static let strings = ["\"a\"", "\"\"", "\"(.*)\"", "\"$1\"", "\"le\"", "\"instance\"", "\"[\"", "\"\\\\\"", "\"job\"",
                          "\"__name__\"", "\"x-y\"", "\"${1}${2}\"", "\"(?P<n>.)\""]
    static let labels = ["job", "instance", "le", "__name__", "k", "x"]
    static let aggregators = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "quantile",
                              "count_values", "limitk", "limit_ratio"]
    static let binaryOperators = ["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless", "atan2"]
    static let functions: [FunctionSignature] = FunctionSignature.all.values.sorted { $0.name < $1.name }

    /// A query of any type the API can evaluate.
    public mutating func query() -> String {
        switch input.int(8) {
        case 0: return scalar(depth: 0)
        case 1: return deep()
        case 2: return rangeVector(depth: 0)
        default: return vector(depth: 0)
        }
    }

    /// Nesting of one kind repeated, to probe the depth limit from both sides.
    mutating func deep() -> String {
        let n = input.pick([10, 100, 499, 500, 501, 1000, 5000])
        switch input.int(6) {
        case 0: return String(repeating: "(", count: n) + "up" + String(repeating: ")", count: n)
        case 1: return String(repeating: "abs(", count: n) + "up" + String(repeating: ")", count: n)
        case 2: return Array(repeating: "up", count: n).joined(separator: " + ")
        case 3: return String(repeating: "-", count: n) + "up"
        case 4: return String(repeating: "max_over_time(", count: n) + "up" + String(repeating: "[1m:1m])", count: n)
        default: return String(repeating: "sum(", count: n) + "up" + String(repeating: ")", count: n)
        }
    }

    mutating func scalar(depth: Int) -> String {
        switch depth > 4 ? 0 : input.int(6) {
        case 0: return input.pick(Self.numbers)
        case 1: return "scalar(\(vector(depth: depth + 1)))"
        case 2: return "time()"
        case 3: return "(\(scalar(depth: depth + 1)) \(input.pick(["+", "-", "*", "/", "%", "^", "== bool", "> bool"])) \(scalar(depth: depth + 1)))"
        case 4: return "-\(scalar(depth: depth + 1))"
        default: return input.pick(["pi()", "time()"])
        }
    }

    mutating func selector() -> String {
        var s = input.pick(Self.metrics)
        if input.int(4) == 0 { s += " offset \(input.bool() ? "-" : "")\(input.pick(Self.durations))" }
        if input.int(4) == 0 { s += " @ \(input.pick(Self.ats))" }
        return s
    }

    mutating func rangeVector(depth: Int) -> String {
        if depth > 4 || input.bool() {
            var s = input.pick(Self.metrics) + "[\(input.pick(Self.durations))]"
            if input.int(4) == 0 { s += " offset \(input.bool() ? "-" : "")\(input.pick(Self.durations))" }
            if input.int(4) == 0 { s += " @ \(input.pick(Self.ats))" }
            return s
        }
        let step = input.int(3) == 0 ? "" : input.pick(Self.durations)
        var s = "(\(vector(depth: depth + 1)))[\(input.pick(Self.durations)):\(step)]"
        if input.int(4) == 0 { s += " offset \(input.pick(Self.durations))" }
        if input.int(4) == 0 { s += " @ \(input.pick(Self.ats))" }
        return s
    }

    mutating func vector(depth: Int) -> String {
        switch depth > 4 ? 0 : input.int(10) {
        case 0: return selector()
        case 1, 2: return call(depth: depth)
        case 3, 4: return aggregation(depth: depth)
        case 5, 6: return binary(depth: depth)
        case 7: return "vector(\(scalar(depth: depth + 1)))"
        case 8: return "-(\(vector(depth: depth + 1)))"
        default: return "(\(vector(depth: depth + 1)))"
        }
    }

    mutating func call(depth: Int) -> String {
        let f = input.pick(Self.functions)
        var args: [String] = []
        let optional = f.variadic == 0 ? 0 : input.int(f.variadic < 0 ? 3 : f.variadic + 1)
        let count = f.argumentTypes.count - (f.variadic == 0 ? 0 : 1) + optional
        for i in 0..<count {
            let type = f.argumentTypes[min(i, f.argumentTypes.count - 1)]
            args.append(argument(type, depth: depth + 1))
        }
        return "\(f.name)(\(args.joined(separator: ", ")))"
    }

    mutating func argument(_ type: ValueType, depth: Int) -> String {
        switch type {
        case .scalar: return scalar(depth: depth)
        case .matrix: return rangeVector(depth: depth)
        case .string: return input.pick(Self.strings)
        default: return vector(depth: depth)
        }
    }

    mutating func grouping() -> String {
        guard input.bool() else { return "" }
        let names = (0..<input.int(3)).map { _ in input.pick(Self.labels) }
        return " \(input.bool() ? "by" : "without") (\(names.joined(separator: ", "))) "
    }

    mutating func aggregation(depth: Int) -> String {
        let op = input.pick(Self.aggregators)
        let group = grouping()
        let inner = vector(depth: depth + 1)
        switch op {
        case "count_values": return "\(op)\(group)(\(input.pick(Self.strings)), \(inner))"
        case "topk", "bottomk", "quantile", "limitk", "limit_ratio": return "\(op)\(group)(\(scalar(depth: depth + 1)), \(inner))"
        default: return "\(op)\(group)(\(inner))"
        }
    }

    mutating func binary(depth: Int) -> String {
        let op = input.pick(Self.binaryOperators)
        var modifier = ""
        if ["==", "!=", ">", "<", ">=", "<="].contains(op) && input.bool() { modifier += " bool" }
        if input.int(3) == 0 {
            let names = (0..<input.int(3)).map { _ in input.pick(Self.labels) }.joined(separator: ", ")
            modifier += input.bool() ? " on(\(names))" : " ignoring(\(names))"
            if input.int(3) == 0 {
                let include = (0..<input.int(3)).map { _ in input.pick(Self.labels) }.joined(separator: ", ")
                modifier += input.bool() ? " group_left(\(include))" : " group_right(\(include))"
            }
        }
        let lhs = input.int(4) == 0 ? scalar(depth: depth + 1) : vector(depth: depth + 1)
        let rhs = input.int(4) == 0 ? scalar(depth: depth + 1) : vector(depth: depth + 1)
        return "\(lhs) \(op)\(modifier) \(rhs)"
    }
}
