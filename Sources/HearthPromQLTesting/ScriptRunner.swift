import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthRegex
import HearthStorage

/// The outcome of running one script: how many `eval` cases passed, and why the others failed.
public struct ScriptReport: Sendable {
    public struct Failure: Sendable, CustomStringConvertible {
        public var line: Int
        public var query: String
        public var message: String
        /// The query reads series that were loaded with native-histogram samples.
        public var readsNativeHistograms: Bool
        public var description: String {
            "line \(line): \(query): \(message)" + (readsNativeHistograms ? " [reads native histograms]" : "")
        }

        public init(line: Int, query: String, message: String, readsNativeHistograms: Bool = false) {
            self.line = line
            self.query = query
            self.message = message
            self.readsNativeHistograms = readsNativeHistograms
        }
    }

    public var file: String
    public var passed = 0
    public var total = 0
    public var failures: [Failure] = []

    public init(file: String) { self.file = file }
}

/// Runs test scripts against the engine the way Prometheus's `promqltest` does: each instant
/// eval is also checked with `@` pinned to its time at other evaluation times, and in range mode
/// at the middle step of a three-step range query.
public struct ScriptRunner {
    public var engine: Engine
    /// What the engine reads the loaded data through: the storage itself, or (to test a seam)
    /// something in front of it, such as a remote-read fan-out to a server that holds it.
    public var reader: (MemoryStorage) -> any Querier = { $0 }
    /// Told of every evaluation with the data it ran over and the engine's result (or error):
    /// for tests that check another way of answering the same query against the engine's.
    public var observe: ((_ expr: Expr, _ start: Int64, _ end: Int64, _ step: Int64, _ storage: MemoryStorage,
                          _ result: Result<QueryResult, QueryError>) -> Void)?

    public init(engine: Engine) { self.engine = engine }

    /// The engine options of Prometheus's test engine: experimental functions on, at most 10,000
    /// samples per query.
    public static func testEngineOptions() -> EngineOptions {
        var o = EngineOptions()
        o.experimentalFunctions = true
        o.maxSamples = 10_000
        return o
    }

    public func run(_ script: Script) -> ScriptReport {
        var report = ScriptReport(file: script.file)
        var storage = MemoryStorage()
        for command in script.commands {
            switch command {
            case .clear:
                storage = MemoryStorage()
            case .load(let load):
                for s in load.series {
                    if load.withNativeHistogramsWithCustomBuckets, let name = s.labels.metricName,
                       let suffix = ["_bucket", "_count", "_sum"].first(where: { name.hasSuffix($0) }) {
                        // Prometheus also loads these as one native histogram per classic one.
                        let base = s.labels.filter { $0.name != "le" }.map {
                            $0.name == Labels.metricName ? Label($0.name, String(name.dropLast(suffix.count))) : $0
                        }
                        storage.appendHistogram(Labels(sorted: base))
                    }
                    for (i, p) in s.points.enumerated() {
                        let t = Int64(i) * load.interval
                        switch p {
                        case .value(let v): storage.append(s.labels, t, v)
                        case .stale: storage.append(s.labels, t, StaleMarker.value)
                        case .histogram: storage.appendHistogram(s.labels)
                        case .missing: continue
                        }
                    }
                }
            case .eval(let eval):
                report.total += 1
                if let message = check(eval, storage: storage) {
                    report.failures.append(.init(line: eval.line, query: eval.query, message: message,
                                                 readsNativeHistograms: readsHistograms(eval, storage: storage)))
                } else {
                    report.passed += 1
                }
            }
        }
        return report
    }

    /// Whether a selector of the case's query (or an expected series) touches a series that was
    /// loaded with native-histogram samples.
    func readsHistograms(_ eval: Eval, storage: MemoryStorage) -> Bool {
        if eval.results.contains(where: { $0.points.contains { if case .histogram = $0 { return true } else { return false } } }) {
            return true
        }
        guard !storage.histogramSeries.isEmpty, let expr = try? engine.parse(eval.query) else { return false }
        for vs in expr.selectors {
            var matchers: [Matcher] = []
            if let name = vs.name, let m = try? Matcher(.equal, Labels.metricName, name) { matchers.append(m) }
            for m in vs.matchers { if let c = try? Matcher(m.kind, m.name, m.value) { matchers.append(c) } }
            if storage.histogramSeries.contains(where: { l in matchers.allSatisfy { $0.matches(l[$0.name] ?? "") } }) {
                return true
            }
        }
        return false
    }

    /// Nil when the case passes, else why it failed.
    func check(_ eval: Eval, storage: MemoryStorage) -> String? {
        switch eval.kind {
        case .range(let start, let end, let step):
            return run(eval, query: eval.query, start: start, end: end, step: step, storage: storage)
        case .instant(var at):
            var compareStart = at, compareStep: Int64 = 0
            var excludeFromRange = eval.expectations.contains { if case .string = $0 { return true } else { return false } }
            for e in eval.expectations {
                if case .rangeVector(let s, let end, let st) = e {
                    compareStart = s
                    compareStep = st
                    at = end
                    excludeFromRange = true
                }
            }
            var queries = [(eval.query, at)]
            if let variants = atModifierVariants(eval.query, at: at) {
                queries += variants
            }
            for (query, time) in queries {
                if let m = run(eval, query: query, start: time, end: time, step: 0, storage: storage,
                               compareStart: compareStart, compareStep: compareStep) {
                    return m
                }
                if eval.expectsFailure || excludeFromRange || eval.expectations.contains(.ordered) { continue }
                if query.contains("start()") || query.contains("end()") || query.contains("range()") || query.contains("step()") {
                    continue
                }
                if let m = checkRangeMode(eval, query: query, at: time, storage: storage) { return m }
            }
            return nil
        }
    }

    private func run(_ eval: Eval, query: String, start: Int64, end: Int64, step: Int64, storage: MemoryStorage,
                     compareStart: Int64? = nil, compareStep: Int64? = nil) -> String? {
        let result: QueryResult
        do {
            let expr = try engine.parse(query)
            result = try evaluate(expr, start: start, end: end, step: step, storage: storage)
        } catch {
            guard eval.expectsFailure else { return "unexpected error: \(error.description)" }
            return checkFailure(eval, error.description)
        }
        if eval.expectsFailure { return "expected an error, got none" }
        if let m = checkAnnotations(eval, result.annotations) { return m }
        return compare(eval, result.value, start: compareStart ?? start, step: compareStep ?? step)
    }

    private func evaluate(_ expr: Expr, start: Int64, end: Int64, step: Int64, storage: MemoryStorage) throws(QueryError) -> QueryResult {
        let result: Result<QueryResult, QueryError>
        do { result = .success(try engine.evaluate(expr, start: start, end: end, step: step, querier: reader(storage))) } catch {
            result = .failure(error)
        }
        observe?(expr, start, end, step, storage, result)
        return try result.get()
    }

    private func checkRangeMode(_ eval: Eval, query: String, at: Int64, storage: MemoryStorage) -> String? {
        let result: QueryResult
        do {
            let expr = try engine.parse(query)
            result = try evaluate(expr, start: at - 60_000, end: at + 60_000, step: 60_000, storage: storage)
        } catch {
            return "range mode at \(at): unexpected error: \(error.description)"
        }
        guard case .matrix(let matrix) = result.value else { return "range mode: not a matrix" }
        var vector: [VectorSample] = []
        for s in matrix {
            if let p = s.floats.first(where: { $0.t == at }) { vector.append(VectorSample(labels: s.labels, t: at, f: p.f)) }
        }
        let value: QueryValue
        if eval.scalar != nil, let first = vector.first {
            value = .scalar(t: at, f: first.f)
        } else {
            value = .vector(vector)
        }
        if let m = compare(eval, value, start: at, step: 0) { return "range mode at \(at): " + m }
        return nil
    }

    private func checkFailure(_ eval: Eval, _ message: String) -> String? {
        for e in eval.expectations {
            guard case .fail(let match) = e, let match else { continue }
            if !matches(match, message) { return "expected error matching \(match), got: \(message)" }
        }
        return nil
    }

    private func matches(_ match: Eval.Match, _ text: String) -> Bool {
        switch match {
        case .message(let m): return m.trimmingSpaces == text
        case .regex(let r):
            guard let re = try? RE2(r.trimmingSpaces) else { return false }
            return re.firstMatch(in: text) != nil
        }
    }

    private func checkAnnotations(_ eval: Eval, _ a: Annotations) -> String? {
        var warns: [Eval.Match] = [], infos: [Eval.Match] = []
        var wantWarn = false, wantInfo = false, noWarn = false, noInfo = false
        for e in eval.expectations {
            switch e {
            case .warn(let m):
                wantWarn = true
                if let m { warns.append(m) }
            case .info(let m):
                wantInfo = true
                if let m { infos.append(m) }
            case .noWarn: noWarn = true
            case .noInfo: noInfo = true
            default: break
            }
        }
        if wantWarn && a.warnings.isEmpty { return "expected warnings but got none" }
        if wantInfo && a.infos.isEmpty { return "expected info annotations but got none" }
        for (expected, actual, kind) in [(warns, a.warnings, "warn"), (infos, a.infos, "info")] where !expected.isEmpty {
            for e in expected where !actual.contains(where: { matches(e, $0) }) {
                return "expected \(kind) annotation \(e), found \(actual)"
            }
            for x in actual where !expected.contains(where: { matches($0, x) }) {
                return "unexpected \(kind) annotation \(x)"
            }
        }
        if noWarn && !a.warnings.isEmpty { return "unexpected warnings: \(a.warnings)" }
        if noInfo && !a.infos.isEmpty { return "unexpected infos: \(a.infos)" }
        return nil
    }

    private func compare(_ eval: Eval, _ value: QueryValue, start: Int64, step: Int64) -> String? {
        let ordered = eval.expectations.contains(.ordered)
        var expected: [Labels: (position: Int, points: [Point])] = [:]
        for (i, r) in eval.results.enumerated() { expected[r.labels] = (i + 1, r.points) }
        switch value {
        case .string(_, let s):
            for e in eval.expectations {
                if case .string(let want) = e, want != s { return "expected string \"\(want)\" but got \"\(s)\"" }
            }
            return nil
        case .scalar(_, let f):
            guard let want = eval.scalar else { return "expected vector or matrix result, but got scalar \(f)" }
            return almostEqual(want, f) ? nil : "expected scalar \(want) but got \(f)"
        case .vector(let vector):
            if eval.scalar != nil { return "expected scalar result, but got vector" }
            var seen = Set<Labels>()
            for (pos, s) in vector.enumerated() {
                guard let e = expected[s.labels] else { return "unexpected metric \(s.labels.promString) in result, has value \(s.f)" }
                if ordered && e.position != pos + 1 { return "expected metric \(s.labels) at position \(e.position) but was at \(pos + 1)" }
                guard let first = e.points.first, case .value(let want) = first.asValue else { return "bad expectation" }
                if !almostEqual(want, s.f) { return "expected \(want) for \(s.labels) but got \(s.f)" }
                seen.insert(s.labels)
            }
            for (labels, _) in expected where !seen.contains(labels) { return "expected metric \(labels.promString) not found" }
            return nil
        case .matrix(let matrix):
            if ordered { return "expected ordered result, but query returned a matrix" }
            if eval.scalar != nil { return "expected scalar result, but got matrix" }
            for i in matrix.indices.dropFirst() where matrix[i] .labels < matrix[i - 1].labels {
                return "matrix results should always be sorted by labels"
            }
            var seen = Set<Labels>()
            for s in matrix {
                guard let e = expected[s.labels] else { return "unexpected metric \(s.labels.promString) in result, has \(s.floats.count) points" }
                seen.insert(s.labels)
                var want: [FPoint] = []
                for (i, p) in e.points.enumerated() {
                    if case .value(let v) = p.asValue { want.append(FPoint(t: start + Int64(i) * step, f: v)) }
                }
                guard want.count == s.floats.count else {
                    return "expected \(want.count) points for \(s.labels.promString), got \(s.floats.count): \(s.floats.map { "\($0.f)@\($0.t)" })"
                }
                for (w, g) in zip(want, s.floats) {
                    if w.t != g.t { return "expected timestamp \(w.t) for \(s.labels.promString), got \(g.t)" }
                    if !almostEqual(w.f, g.f) { return "expected \(w.f) at \(w.t) for \(s.labels.promString), got \(g.f)" }
                }
            }
            for (labels, _) in expected where !seen.contains(labels) { return "expected metric \(labels.promString) not found" }
            return nil
        }
    }

    /// The query with `@ <eval time>` on every selector and subquery not already pinned, run at
    /// other times (Prometheus's `atModifierTestCases`); nil where a function depends on the
    /// evaluation time.
    func atModifierVariants(_ query: String, at: Int64) -> [(String, Int64)]? {
        guard let expr = try? engine.parse(query) else { return nil }
        var unsafe = false
        let pinned = pin(expr, at: at, unsafe: &unsafe)
        if unsafe { return nil }
        let text = pinned.description
        let times: [Int64] = at == 0 ? [-1000, 0, 1000] : [-10 * at, 0, at / 5, at, 10 * at]
        return times.map { (text, $0) }
    }

    private static let atUnsafe: Set<String> = [
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "end", "hour", "minute", "month",
        "year", "predict_linear", "range", "start", "step", "time", "timestamp",
    ]

    private func pin(_ e: Expr, at: Int64, unsafe: inout Bool) -> Expr {
        switch e {
        case .number, .string: return e
        case .vectorSelector(var vs):
            if vs.at == nil { vs.at = .timestamp(at) }
            return .vectorSelector(vs)
        case .matrixSelector(var vs, let range):
            if vs.at == nil { vs.at = .timestamp(at) }
            return .matrixSelector(vs, range: range)
        case .subquery(let inner, let range, let step, let offset, let a):
            // Selectors inside a pinned subquery stay relative to it.
            return .subquery(inner, range: range, step: step, offset: offset, at: a ?? .timestamp(at))
        case .call(let name, let args):
            if Self.atUnsafe.contains(name) { unsafe = true }
            return .call(name, args.map { pin($0, at: at, unsafe: &unsafe) })
        case .aggregate(let op, let inner, let param, let grouping, let without, let written):
            return .aggregate(op: op, expr: pin(inner, at: at, unsafe: &unsafe),
                              param: param.map { pin($0, at: at, unsafe: &unsafe) },
                              grouping: grouping, without: without, groupingWritten: written)
        case .binary(let op, let l, let r, let b, let m):
            return .binary(op: op, lhs: pin(l, at: at, unsafe: &unsafe), rhs: pin(r, at: at, unsafe: &unsafe), returnBool: b, matching: m)
        case .unary(let neg, let inner):
            return .unary(negative: neg, pin(inner, at: at, unsafe: &unsafe))
        case .paren(let inner):
            return .paren(pin(inner, at: at, unsafe: &unsafe))
        }
    }
}

extension Point {
    /// Stale markers compare as NaN, as in Prometheus's test framework.
    var asValue: Point {
        if case .stale = self { return .value(StaleMarker.value) }
        return self
    }
}

/// Prometheus's test tolerance: relative error 1e-6.
func almostEqual(_ a: Double, _ b: Double) -> Bool { HearthPromQL.almostEqual(a, b, 1e-6) }

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
