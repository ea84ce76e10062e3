import Foundation
import HearthModel
import Synchronization

/// Runs a program to completion; returns its exit status and its stdout and stderr together.
public func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs a program to completion on its own thread, feeding it `input`; returns its exit status
/// and its stdout (stderr is the test's). For async tests: a Go build takes half a minute, and a
/// cooperative thread waiting that long (CI's machine has two) stalls every other test.
public func runProgramOnOwnThread(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                                  input: Data = Data()) async throws -> (status: Int32, stdout: Data) {
    try await onOwnThread {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        try p.run()
        let writer = Thread { stdin.fileHandleForWriting.write(input); try? stdin.fileHandleForWriting.close() }
        writer.start()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data)
    }
}

/// Go's toolchain, for the differential tests against Go's own libraries (Debian's golang-go;
/// the tests skip without it).
public enum GoToolchain {
    /// `go` on PATH, or nil.
    public static let path: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/go"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    /// The environment for `go` with its caches and home in `work`, and no network.
    public static func environment(_ work: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["GOCACHE"] = work.appendingPathComponent("cache").path
        env["GOPATH"] = work.appendingPathComponent("gopath").path
        env["GOFLAGS"] = "-mod=mod"
        env["GOPROXY"] = "off"
        env["HOME"] = work.path
        return env
    }

    /// Runs `go ARGUMENTS` in that environment on its own thread.
    public static func run(_ arguments: [String], work: URL) async throws -> (status: Int32, stdout: Data) {
        guard let path else { throw ChildError("go is not installed") }
        return try await runProgramOnOwnThread(path, arguments, environment: environment(work))
    }
}

/// Whether a Debian peer binary is installed.
public func peerInstalled(_ path: String) -> Bool {
    FileManager.default.isExecutableFile(atPath: path)
}

/// Debian's promtool, for the block interop tests.
public enum Promtool {
    public static let path = "/usr/bin/promtool"
    public static var available: Bool { peerInstalled(path) }

    /// `{a="b", c="d"}` as promtool prints label sets.
    public static func text(_ labels: Labels) -> String {
        "{" + labels.map { "\($0.name)=\"\(Labels.escapeValue($0.value))\"" }.joined(separator: ", ") + "}"
    }

    static func parseValue(_ s: Substring) -> Double? {
        switch s {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }

    /// `promtool tsdb dump DIR` as label text → samples. The dump prints every NaN (stale
    /// markers included) as `NaN`; compare with ``same(_:_:)``.
    public static func dump(_ dir: String) throws -> [String: [Sample]] {
        try FileManager.default.createDirectory(atPath: dir + "/wal", withIntermediateDirectories: true)  // 2.42 wants one
        let (status, output) = try runProgram(path, ["tsdb", "dump", dir])
        guard status == 0 else { throw ChildError("promtool tsdb dump failed: \(output.prefix(500))") }
        var out: [String: [Sample]] = [:]
        for line in output.split(separator: "\n") {
            guard let close = line.lastIndex(of: "}") else { continue }
            let fields = line[line.index(after: close)...].split(separator: " ")
            guard fields.count == 2, let v = parseValue(fields[0]), let t = Int64(fields[1]) else {
                throw ChildError("unparsable dump line \(line)")
            }
            out[String(line[...close]), default: []].append(Sample(t, v))
        }
        return out
    }

    /// Same timestamps and values, any NaN matching any NaN.
    public static func same(_ a: [Sample], _ b: [Sample]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.timestamp == y.timestamp && (x.value.isNaN ? y.value.isNaN : x.value.bitPattern == y.value.bitPattern)
        }
    }
}

/// A TCP port on 127.0.0.1 for a peer or server under test: free when handed out, and never
/// handed out twice in this process.
///
/// Ports come from below the kernel's ephemeral range (32768-60999 on Linux), so neither an
/// outgoing connection nor a `bind` to port 0 can take one between this call and the moment a
/// child process binds it. (A port from `bind(0)` could: tests run side by side, and a test that
/// started its peer a minute after asking for the port once found another test's agent on it.)
/// Each process starts at a random place in the range, so two test runs on one machine rarely
/// meet, and a port is skipped if something is bound to it now.
public func freeLocalPort() -> Int {
    PortAllocator.shared.withLock { $0.next() }
}

struct PortAllocator: ~Copyable {
    static let shared = Mutex(PortAllocator())
    static let range = 20_000..<32_000
    var cursor = Int.random(in: PortAllocator.range)

    mutating func next() -> Int {
        for _ in 0..<Self.range.count {
            let port = cursor
            cursor = cursor + 1 == Self.range.upperBound ? Self.range.lowerBound : cursor + 1
            if Self.isFree(port) { return port }
        }
        fatalError("no free TCP port in \(Self.range) on 127.0.0.1")
    }

    /// Whether `port` can be bound on 127.0.0.1 now (without SO_REUSEADDR, so a port with a
    /// connection in TIME_WAIT counts as taken).
    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
