import HearthModel
import HearthNotifier
import HearthPromQL
import HearthRules
import HearthStorage
import HearthTSDB
import HearthTestSupport
import Synchronization

/// A real TSDB in a temporary directory as the rules' storage, with a fake clock.
final class RuleHarness: @unchecked Sendable {
    let directory = TemporaryDirectory("hearth-rules")
    let db: DB
    let engine = Engine()
    let sent = Mutex<[NotifierAlert]>([])
    let clock = Mutex<Int64>(1_800_000_000_000)

    init() throws {
        db = try DB(options: DB.Options(path: directory.path))
    }

    var context: RuleContext {
        var c = RuleContext(engine: engine, storage: DBRuleStorage(db: db)) { alerts in self.sent.withLock { $0 += alerts } }
        c.externalURL = "http://hearth.test:9090"
        c.now = { self.clock.withLock { $0 } }
        return c
    }

    /// Appends one sample per series.
    func write(_ samples: [(Labels, Int64, Double)]) throws {
        let app = db.appender()
        for (l, t, v) in samples { try app.append(0, l, t, v) }
        try app.commit()
    }

    /// Every stored sample of the series matching `matchers`, by label text.
    func dump(_ matchers: [Matcher]) -> [String: [Sample]] {
        var out: [String: [Sample]] = [:]
        for series in try! db.querier().completeSelection(matchers, minTime: .min, maxTime: .max) { out[series.labels.description] = try! series.samples() }
        return out
    }

    func takeSent() -> [NotifierAlert] {
        sent.withLock { list in
            defer { list = [] }
            return list
        }
    }
}

func labels(_ d: [String: String]) -> Labels { Labels(d) }

func metric(_ name: String, _ extra: [String: String] = [:]) -> Labels {
    var d = extra
    d[Labels.metricName] = name
    return Labels(d)
}
