import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process with its stdout on a pipe, for crash tests: start it, read what it
/// acknowledges, kill it with a signal.
public final class ChildProcess {
    public let pid: pid_t
    private let stdoutFD: Int32
    private var buffered: [UInt8] = []

    /// - Parameters:
    ///   - quietStderr: send the child's stderr to /dev/null (peers that log a lot).
    ///   - mergeStderr: read the child's stderr (its log) along with its stdout.
    public init(_ path: String, _ arguments: [String], quietStderr: Bool = false, mergeStderr: Bool = false) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ChildError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        if quietStderr { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        if mergeStderr { posix_spawn_file_actions_adddup2(&actions, fds[1], 2) }
        // Only stdin, stdout and stderr: an inherited socket of this test process (SwiftNIO's
        // are not close-on-exec) stays open while the child runs, so a test server's close
        // never reached its client and that test waited for the peer to exit.
        Self.closeFrom3(&actions)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ChildError("posix_spawn \(path) failed: \(rc)")
        }
        self.pid = pid
        self.stdoutFD = fds[0]
        let flags = fcntl(fds[0], F_GETFL)
        _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
    }

    deinit {
        close(stdoutFD)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module
    /// does not declare; without it, every descriptor open now above 2 is closed one by one.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    /// Complete lines written so far (non-blocking).
    public func readLines() -> [String] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(stdoutFD, &chunk, chunk.count)
            if n <= 0 { break }
            buffered.append(contentsOf: chunk[0..<n])
        }
        var lines: [String] = []
        while let nl = buffered.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: buffered[..<nl], as: UTF8.self))
            buffered.removeSubrange(...nl)
        }
        return lines
    }

    /// Sends `signal` and waits for the process to end; returns its wait status.
    @discardableResult
    public func kill(_ signal: Int32) -> Int32 {
        Glibc.kill(pid, signal)
        return wait()
    }

    @discardableResult
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}

public struct ChildError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Sleeps the calling thread.
public func sleepMilliseconds(_ ms: Int) {
    usleep(useconds_t(ms * 1000))
}

/// Runs a blocking call (waiting for a child, running a program) on its own thread, so that an
/// async test does not hold one of the few cooperative threads the other tests need meanwhile.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
