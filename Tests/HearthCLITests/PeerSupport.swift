import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HearthModel
import HearthRemoteProtocol
import HearthSnappy
import HearthTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that run `hearth server` next to real Prometheus-ecosystem peers.
enum Peers {
    static let prometheus = "/usr/bin/prometheus"
    static let alertmanager = "/usr/bin/prometheus-alertmanager"

    /// GET a URL and decode its JSON; nil on any failure, which is printed (status and body, or
    /// the error). A request that gets no response at all (a peer slow under a loaded CI
    /// machine) is tried up to three times.
    static func json(_ url: String) async -> Any? {
        for attempt in 1...3 {
            do {
                let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                guard status == 200 else {
                    print("GET \(url): HTTP \(status): \(String(decoding: data.prefix(300), as: UTF8.self))")
                    return nil
                }
                return try? JSONSerialization.jsonObject(with: data)
            } catch {
                print("GET \(url) (attempt \(attempt)): \(error)")
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return nil
    }

    /// The `data` of a Prometheus API response.
    static func apiData(_ url: String) async -> Any? {
        (await json(url) as? [String: Any])?["data"]
    }

    static func waitForHTTP(_ url: String, seconds: Double = 60) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!),
               (response as? HTTPURLResponse)?.statusCode == 200 { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// Sends series over remote write 1.0; returns the HTTP status.
    @discardableResult
    static func remoteWrite(_ url: String, _ series: [(Labels, [Sample])]) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        request.setValue("0.1.0", forHTTPHeaderField: "X-Prometheus-Remote-Write-Version")
        request.httpBody = Data(Snappy.encode(WriteRequestEncoder.v1(series)))
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    static func stop(_ child: ChildProcess) async throws {
        nonisolated(unsafe) let child = child
        _ = try await onOwnThread { child.kill(SIGTERM) }
    }
}

/// `hearth server` as a child process; its log is kept for failure messages.
final class HearthServerProcess: @unchecked Sendable {  // used by one task at a time
    let child: ChildProcess
    let port: Int
    var log: [String] = []

    init(_ args: [String], port: Int) throws {
        guard let hearth = BuiltProducts.executable("hearth") else { throw ChildError("hearth not built") }
        self.port = port
        child = try ChildProcess(hearth, ["server", "--web.listen-address=127.0.0.1:\(port)"] + args, mergeStderr: true)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func drain() { log += child.readLines() }

    func stop() async throws -> Int32 {
        nonisolated(unsafe) let child = child
        let status = try await onOwnThread { child.kill(SIGTERM) }
        drain()
        return status
    }
}
