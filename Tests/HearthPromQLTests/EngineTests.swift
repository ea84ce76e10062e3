import HearthModel
import HearthPromQL
import HearthPromQLTesting
import HearthTestSupport
import HearthTSDB
import Testing

/// The engine's limits, errors and API, and queries over the real storage engine.
@Suite struct EngineTests {
    /// `series` series of `up{instance=...}` with one sample a minute for an hour.
    static func storage(series: Int) -> MemoryStorage {
        let s = MemoryStorage()
        for i in 0..<series {
            let labels = Labels(["__name__": "up", "instance": "host-\(i)"])
            for m in 0...60 { s.append(labels, Int64(m) * 60_000, Double(i)) }
        }
        return s
    }

    @Test func instantAndRangeResultShapes() throws {
        let engine = Engine()
        let s = Self.storage(series: 3)
        let instant = try engine.evaluate(try engine.parse("up"), start: 600_000, end: 600_000, step: 0, querier: s)
        guard case .vector(let v) = instant.value else { Issue.record("not a vector"); return }
        #expect(v.map { $0.labels["instance"] } == ["host-0", "host-1", "host-2"])
        #expect(v.allSatisfy { $0.t == 600_000 })

        let range = try engine.evaluate(try engine.parse("sum(up)"), start: 0, end: 600_000, step: 60_000, querier: s)
        guard case .matrix(let m) = range.value else { Issue.record("not a matrix"); return }
        #expect(m.count == 1 && m[0].floats.count == 11 && m[0].floats.allSatisfy { $0.f == 3 })

        let scalar = try engine.evaluate(try engine.parse("1 + 2"), start: 0, end: 0, step: 0, querier: s)
        guard case .scalar(_, let f) = scalar.value else { Issue.record("not a scalar"); return }
        #expect(f == 3)
    }

    @Test func maxSamplesIsPrometheusError() throws {
        var o = EngineOptions()
        o.maxSamples = 10
        let engine = Engine(options: o)
        let s = Self.storage(series: 20)
        #expect(throws: QueryError.tooManySamples) {
            _ = try engine.evaluate(try engine.parse("up"), start: 0, end: 0, step: 0, querier: s)
        }
        #expect(QueryError.tooManySamples.description
                == "query processing would load too many samples into memory in query execution")
        // A range query that holds more than 10 at once also fails; an instant one under the limit works.
        #expect(throws: QueryError.tooManySamples) {
            _ = try engine.evaluate(try engine.parse("sum_over_time(up{instance=\"host-1\"}[1h])"),
                                    start: 3_600_000, end: 3_600_000, step: 0, querier: s)
        }
        _ = try engine.evaluate(try engine.parse("up{instance=\"host-1\"}"), start: 0, end: 0, step: 0, querier: s)
    }

    @Test func deadlineAndCancellation() async throws {
        let engine = Engine()
        let s = Self.storage(series: 5)
        #expect(throws: QueryError.timeout) {
            var request = QueryRequest(.text("up"), start: 0, end: 3_600_000, step: 1000)
            request.timeout = .zero
            _ = try engine.execute(request, querier: s)
        }
        let task = Task { () throws(QueryError) -> QueryResult in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await engine.run(engine.prepare(QueryRequest(.text("up"), start: 0, end: 3_600_000, step: 1000)), querier: s)
        }
        await #expect(throws: QueryError.canceled) { _ = try await task.value }
    }

    @Test func concurrencyLimitQueuesQueries() async throws {
        var o = EngineOptions()
        o.maxConcurrentQueries = 1
        let engine = Engine(options: o)
        let s = Self.storage(series: 50)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let r = try await engine.run(engine.prepare(QueryRequest(.text("count(up)"), start: 0, end: 3_600_000, step: 15_000)), querier: s)
                    guard case .matrix(let m) = r.value else { return -1 }
                    return Int(m[0].floats[0].f)
                }
            }
            for try await n in group { #expect(n == 50) }
        }
    }

    @Test func errorsReadLikePrometheus() throws {
        let engine = Engine()
        let s = Self.storage(series: 2)
        #expect(throws: QueryError.parse("invalid expression type \"range vector\" for range query, must be Scalar or instant Vector")) {
            _ = try engine.evaluate(try engine.parse("up[5m]"), start: 0, end: 60_000, step: 1000, querier: s)
        }
        #expect(throws: QueryError.invalidParameter("step", "zero or negative query resolution step widths are not accepted. Try a positive integer")) {
            _ = try engine.evaluate(try engine.parse("up"), start: 0, end: 60_000, step: -1, querier: s)
        }
        // Two series with the same labels once the name is gone.
        s.append(Labels(["__name__": "down", "instance": "host-0"]), 0, 1)
        #expect(throws: QueryError.execution("vector cannot contain metrics with the same labelset")) {
            _ = try engine.evaluate(try engine.parse("{instance=\"host-0\"} * 2"), start: 0, end: 0, step: 0, querier: s)
        }
        #expect(throws: QueryError.self) { _ = try engine.parse("sum(") }
    }

    /// The engine over Hearth's own head: what `hearth server` will answer.
    @Test func queriesTheHead() throws {
        let dir = TemporaryDirectory()
        var options = DB.Options(path: dir.path)
        options.head.stripeCount = 16
        let db = try DB(options: options)
        defer { try? db.close() }
        let app = db.appender()
        for i in 0..<4 {
            let labels = Labels(["__name__": "http_requests_total", "code": i < 2 ? "200" : "500", "pod": "p\(i)"])
            var ref: UInt64 = 0
            for m in 0...30 {
                ref = try app.append(ref, labels, Int64(m) * 15_000, Double(m * (i + 1)))
            }
        }
        try app.commit()
        let engine = Engine()
        let r = try engine.evaluate(try engine.parse("sum by (code) (rate(http_requests_total[2m]))"),
                                    start: 450_000, end: 450_000, step: 0, querier: db.querier())
        guard case .vector(let v) = r.value else { Issue.record("not a vector"); return }
        let byCode = Dictionary(uniqueKeysWithValues: v.map { ($0.labels["code"]!, $0.f) })
        // Each series grows by (i+1) per 15 s: rates 1/15, 2/15 (code 200) and 3/15, 4/15 (code 500).
        #expect(abs(byCode["200"]! - 3.0 / 15) < 1e-9)
        #expect(abs(byCode["500"]! - 7.0 / 15) < 1e-9)
    }
}
