import HearthConfig
import HearthModel
import HearthNotifier
import HearthRules
import HearthTSDB
import Logging
import ServiceLifecycle

/// Runs the rule groups for the life of the process (reloaded with the configuration); on
/// shutdown their evaluations stop before the notifier drains and storage closes.
struct RuleService: Service {
    let manager: RuleManager
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("stopping rule evaluation")
        await manager.stop()
    }
}

/// Sends alerts to Alertmanager for the life of the process; on shutdown it sends what is
/// queued (the resolutions of the last evaluations) for up to `drainDeadline`.
struct NotifierService: Service {
    let notifier: Notifier
    let drainDeadline: Duration

    func run() async throws {
        let loop = Task { await notifier.run() }
        try? await gracefulShutdown()
        notifier.stop()
        let deadline = Task {
            try? await Task.sleep(for: drainDeadline)
            loop.cancel()
        }
        await loop.value
        deadline.cancel()
    }
}

/// `prometheus_notifications_*` for `/metrics`.
func notifierExposition(_ notifier: Notifier) -> String {
    let s = notifier.statistics
    var out = "# HELP prometheus_notifications_queue_length The number of alert notifications in the queue.\n"
    out += "# TYPE prometheus_notifications_queue_length gauge\nprometheus_notifications_queue_length \(s.queueLength)\n"
    out += "# HELP prometheus_notifications_queue_capacity The capacity of the alert notifications queue.\n"
    out += "# TYPE prometheus_notifications_queue_capacity gauge\nprometheus_notifications_queue_capacity \(s.queueCapacity)\n"
    out += "# HELP prometheus_notifications_dropped_total Total number of alerts dropped due to errors when sending to Alertmanager.\n"
    out += "# TYPE prometheus_notifications_dropped_total counter\nprometheus_notifications_dropped_total \(s.dropped)\n"
    out += "# HELP prometheus_notifications_sent_total Total number of alerts sent.\n# TYPE prometheus_notifications_sent_total counter\n"
    for (am, n) in s.sent.sorted(by: { $0.key < $1.key }) {
        out += "prometheus_notifications_sent_total{alertmanager=\"\(Labels.escapeValue(am))\"} \(n)\n"
    }
    out += "# HELP prometheus_notifications_errors_total Total number of sent alerts affected by errors.\n# TYPE prometheus_notifications_errors_total counter\n"
    for (am, n) in s.errors.sorted(by: { $0.key < $1.key }) {
        out += "prometheus_notifications_errors_total{alertmanager=\"\(Labels.escapeValue(am))\"} \(n)\n"
    }
    return out
}
