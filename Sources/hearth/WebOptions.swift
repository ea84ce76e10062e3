import ArgumentParser
import HearthHTTPAPI
import HearthModel
import Logging

/// The flags every role takes for its HTTP listener and its logs, with Prometheus's names.
struct WebOptions: ParsableArguments {
    @Option(name: .customLong("web.listen-address"),
            help: "Address to listen on for the HTTP API, remote write and read, and /metrics.")
    var listenAddress = "0.0.0.0:9090"

    @Option(name: .customLong("web.max-connections"),
            help: "Maximum number of simultaneous connections; more are answered 503.")
    var maxConnections = 512

    @Option(name: .customLong("web.read-timeout"),
            help: "Maximum duration a connection may be idle, or spend sending its request, before it is closed.")
    var readTimeout = "5m"

    @Flag(name: .customLong("web.enable-lifecycle"), help: "Enable shutdown and reload via HTTP request.")
    var enableLifecycle = false

    @Option(name: .customLong("log.level"), help: "Only log messages of this severity or above: debug, info, warn, error.")
    var logLevel = "info"

    func validate() throws {
        guard maxConnections > 0 else { throw ValidationError("--web.max-connections must be positive") }
        guard let ms = PrometheusDuration.parseMilliseconds(readTimeout), ms > 0 else {
            throw ValidationError("invalid --web.read-timeout \"\(readTimeout)\": expected a positive duration such as 5m")
        }
        guard parseLogLevel(logLevel) != nil else {
            throw ValidationError("invalid --log.level \"\(logLevel)\": expected debug, info, warn or error")
        }
    }

    /// The HTTP server's limits these flags set.
    var limits: HTTPLimits {
        var limits = HTTPLimits()
        limits.maxConnections = maxConnections
        limits.readTimeout = .milliseconds(PrometheusDuration.parseMilliseconds(readTimeout)!)
        return limits
    }

    func logger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = parseLogLevel(logLevel)!
        return logger
    }

    /// Name and value of each flag, for `status/flags`.
    var flags: [(String, String)] {
        [("web.listen-address", listenAddress), ("web.max-connections", String(maxConnections)), ("web.read-timeout", readTimeout),
         ("web.enable-lifecycle", String(enableLifecycle)), ("log.level", logLevel)]
    }
}

func parseLogLevel(_ s: String) -> Logger.Level? {
    switch s {
    case "debug": return .debug
    case "info": return .info
    case "warn": return .warning
    case "error": return .error
    default: return nil
    }
}
