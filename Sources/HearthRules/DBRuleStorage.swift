import HearthModel
import HearthStorage
import HearthTSDB

/// The TSDB as the rules' storage: queries see everything, each rule's results are one head batch.
public struct DBRuleStorage: RuleStorage {
    public let db: DB

    public init(db: DB) { self.db = db }

    public func querier() -> any Querier { db.querier() }
    public func appender() -> any Appender { db.appender() }
}
