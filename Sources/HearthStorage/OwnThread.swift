#if canImport(Glibc)
import Glibc
#endif

/// Runs `work` on a thread of its own (8 MiB of stack, as the engine's depth limit assumes) and
/// returns its result or rethrows its error: for work that blocks on the network, which must
/// hold neither an event loop nor one of the task pool's threads (two on a 2-core machine).
public func runOnOwnThread<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
        let job = Unmanaged.passRetained(ThreadJob {
            do throws(E) { continuation.resume(returning: .success(try work())) } catch { continuation.resume(returning: .failure(error)) }
        })
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 8 << 20)
        var thread = pthread_t()
        let started = pthread_create(&thread, &attributes, { argument in
            Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, job.toOpaque())
        pthread_attr_destroy(&attributes)
        if started == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: do the work here rather than not at all.
            job.takeRetainedValue().run()
        }
    }
    return try result.get()
}

private final class ThreadJob: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `work(0) … work(count − 1)` at once, each but the last on a thread of its own (for
/// reads that block on the network: they wait together rather than in turn), and returns when
/// all are done.
public func runConcurrentlyOnOwnThreads(_ count: Int, _ work: @escaping @Sendable (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { work(0) }
        return
    }
    var threads: [pthread_t] = []
    for i in 0..<(count - 1) {
        let job = Unmanaged.passRetained(ThreadJob { work(i) })
        var thread = pthread_t()
        if pthread_create(&thread, nil, { argument in
            Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, job.toOpaque()) == 0 {
            threads.append(thread)
        } else {
            job.takeRetainedValue().run()
        }
    }
    work(count - 1)
    for t in threads { pthread_join(t, nil) }
}
