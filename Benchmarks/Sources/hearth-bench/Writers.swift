import HearthModel
import HearthTSDB

#if canImport(Glibc)
import Glibc
#endif

/// One writer thread's work: `batches` commits of `perWriter` samples to its own series.
final class WriterJob: @unchecked Sendable {
    let db: DB, writer: Int, batches: Int, perWriter: Int
    init(_ db: DB, _ w: Int, _ b: Int, _ p: Int) {
        self.db = db
        writer = w
        batches = b
        perWriter = p
    }

    func run() {
        var refs = [UInt64](repeating: 0, count: perWriter)
        let all = (0..<perWriter).map { labels(writer * perWriter + $0) }
        for batch in 0..<batches {
            let app = db.appender()
            for i in 0..<perWriter {
                refs[i] = (try? app.append(refs[i], all[i], Int64(batch) * 1000, Double(batch))) ?? 0
            }
            try? app.commit()
        }
    }
}

/// Runs `writers` threads in parallel (plain threads: commits block on fsync by design).
func runWriters(_ db: DB, writers: Int, batches: Int, perWriter: Int) {
    var threads: [pthread_t] = []
    for w in 0..<writers {
        let job = Unmanaged.passRetained(WriterJob(db, w, batches, perWriter)).toOpaque()
        var th = pthread_t()
        pthread_create(&th, nil, { raw in
            Unmanaged<WriterJob>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, job)
        threads.append(th)
    }
    for th in threads { pthread_join(th, nil) }
}
