import HearthModel
import HearthTSDB

#if canImport(Glibc)
import Glibc
#endif

/// The harness data set dumped by scripts/dump_harness_data.py, read from a memory mapping.
/// Labels are decoded only when a series is first seen, as a remote-write receiver with a ref
/// cache would; nothing of the file stays on the heap.
final class HarnessData {
    let base: UnsafeRawPointer
    let size: Int
    /// File offset of each series' label block.
    var seriesOffsets: [Int] = []
    /// File offset of each request.
    var requestOffsets: [Int] = []
    var sampleCount = 0

    init(path: String) {
        let fd = open(path, O_RDONLY)
        precondition(fd >= 0, "cannot open \(path)")
        var st = stat()
        fstat(fd, &st)
        size = Int(st.st_size)
        base = UnsafeRawPointer(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)!)
        close(fd)
        precondition(String(decoding: UnsafeRawBufferPointer(start: base, count: 4), as: UTF8.self) == "HBD1")
        var off = 4
        let series = Int(u32(&off))
        seriesOffsets.reserveCapacity(series)
        for _ in 0..<series {
            seriesOffsets.append(off)
            let n = Int(u16(&off))
            for _ in 0..<(2 * n) { off += Int(u16(&off)) }
        }
        let requests = Int(u32(&off))
        requestOffsets.reserveCapacity(requests)
        for _ in 0..<requests {
            requestOffsets.append(off)
            let n = Int(u32(&off))
            sampleCount += n
            off += n * 20
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    func u16(_ off: inout Int) -> UInt16 {
        defer { off += 2 }
        return base.loadUnaligned(fromByteOffset: off, as: UInt16.self)
    }

    func u32(_ off: inout Int) -> UInt32 {
        defer { off += 4 }
        return base.loadUnaligned(fromByteOffset: off, as: UInt32.self)
    }

    func string(_ off: inout Int) -> String {
        let n = Int(u16(&off))
        defer { off += n }
        return String(decoding: UnsafeRawBufferPointer(start: base + off, count: n), as: UTF8.self)
    }

    func labels(_ id: Int) -> Labels {
        var off = seriesOffsets[id]
        let n = Int(u16(&off))
        var out: [Label] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let name = string(&off)
            out.append(Label(name, string(&off)))
        }
        return Labels(sorted: out)
    }

    /// Appends every request as one batch each; returns (seconds, rejected samples).
    func ingest(into db: DB) throws -> (Double, Int) {
        var refs = [UInt64](repeating: 0, count: seriesOffsets.count)
        var rejected = 0
        let start = now()
        let empty = Labels()
        for r in requestOffsets {
            var off = r
            let n = Int(u32(&off))
            let app = db.appender()
            for i in 0..<n {
                let p = off + i * 20
                let id = Int(base.loadUnaligned(fromByteOffset: p, as: UInt32.self))
                let t = base.loadUnaligned(fromByteOffset: p + 4, as: Int64.self)
                let v = base.loadUnaligned(fromByteOffset: p + 12, as: Double.self)
                do {
                    if refs[id] == 0 {
                        refs[id] = try app.append(0, labels(id), t, v)
                    } else {
                        try app.append(refs[id], empty, t, v)
                    }
                } catch {
                    rejected += 1
                }
            }
            try app.commit()
        }
        return (now() - start, rejected)
    }
}
