import Dispatch

/// Runs blocking storage work (compaction, deletion, snapshots: file I/O and long locks) on a
/// Dispatch thread, so it never occupies an event loop or a thread of Swift's task pool.
public func runBlockingStorageWork<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .utility).async { continuation.resume(returning: Result { try work() }) }
    }
}
