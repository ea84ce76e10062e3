import Glibc
import Logging

/// One fuzz target: a name (the corpus folder under `Fuzz/corpus/` and the argument of
/// `scripts/fuzz.sh`) and a function that must return normally for every input. A trap, a
/// stack overflow, a hang or unbounded memory in it is a bug in Hearth, never in the input.
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the target feeds the input to, for `hearth-fuzz --list` and the docs.
    public let summary: String
    public let run: @Sendable (UnsafeRawBufferPointer) -> Void

    public init(_ name: String, _ summary: String, run: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }

    /// Runs the target on `bytes`.
    public func callAsFunction(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }
}

/// Every fuzz target, in the order `scripts/fuzz.sh` runs them.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = PromQLTargets.all + HTTPTargets.all + WireTargets.all + TextTargets.all
        + StorageTargets.all

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// Set `HEARTH_FUZZ_TRACE=1` to have generating targets print what they generated (to
    /// read a crashing input).
    static let tracing = getenv("HEARTH_FUZZ_TRACE") != nil

    /// A logger that drops everything: targets open databases thousands of times a second.
    static let silent = Logger(label: "hearth.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    static func trace(_ line: @autoclosure () -> String) {
        if tracing { let text = line() + "\n"; _ = text.withCString { write(2, $0, strlen($0)) } }
    }
}
