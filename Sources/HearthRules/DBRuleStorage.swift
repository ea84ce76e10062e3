import HearthModel
import HearthStorage
import HearthTSDB

/// The TSDB as the rules' storage: queries see everything, each rule's results are one head batch.
public struct DBRuleStorage: RuleStorage {
    public let db: DB

    public init(db: DB) { self.db = db }

    public func querier() -> any Querier { db.querier() }
    public func ruleAppender() -> any RuleAppender { HeadRuleAppender(appender: db.appender()) }
}

/// A head appender that reports refused samples as the rule evaluation counts them.
final class HeadRuleAppender: RuleAppender {
    let appender: HeadAppender
    init(appender: HeadAppender) { self.appender = appender }

    func append(_ labels: Labels, _ t: Int64, _ v: Double) -> RuleAppendOutcome {
        do throws(AppendError) {
            try appender.append(0, labels, t, v)
            return .appended
        } catch {
            switch error {
            case .outOfOrder: return .outOfOrder
            case .tooOld, .outOfRange: return .tooOld
            case .duplicateTimestamp: return .duplicate
            case .invalidLabels: return .failed(error.description)
            }
        }
    }

    func commit() throws { try appender.commit() }
}
