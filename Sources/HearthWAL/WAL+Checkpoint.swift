import HearthFileIO

#if canImport(Glibc)
import Glibc
#endif

extension WAL {
    /// Writes `checkpoint.NNNNNNNN` summarizing every record in the checkpoint before it and in
    /// segments up to `through`: `filter` maps each record payload to the payload to keep
    /// (nil drops it). Written to a temporary directory and renamed, so a crash leaves either
    /// the old checkpoint or the new one. Then deletes the segments and checkpoints it replaces.
    ///
    /// The head calls this when it is truncated after compaction, keeping the series still
    /// alive and the samples newer than the truncation time.
    public func checkpoint(
        through last: Int, filter: (UnsafeRawBufferPointer) throws -> [UInt8]?
    ) throws {
        let previous = try Self.latestCheckpoint(directory)
        let tmp = directory + "/checkpoint." + Segment.name(last) + ".tmp"
        let final = directory + "/checkpoint." + Segment.name(last)
        try? FileSystem.remove(tmp)
        try FileSystem.createDirectory(tmp)
        let out = try File(path: tmp + "/" + Segment.name(0), flags: O_WRONLY | O_CREAT | O_TRUNC)
        var buffer: [UInt8] = []
        func keep(_ payload: UnsafeRawBufferPointer) throws {
            guard let kept = try filter(payload) else { return }
            kept.withUnsafeBytes { Segment.appendRecord($0, to: &buffer) }
            if buffer.count >= 1 << 20 {
                try out.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        var sources: [String] = []
        if let (_, path) = previous {
            sources += try Self.segmentIndexes(path).map { path + "/" + Segment.name($0) }
        }
        sources += try Self.segmentIndexes(directory)
            .filter { $0 <= last && $0 > (previous?.0 ?? -1) }
            .map { directory + "/" + Segment.name($0) }
        for path in sources {
            // Mapped, not read: a segment is 16 MiB, and a heap buffer that size can stay
            // resident after it is freed.
            guard let size = FileSystem.fileSize(path), size > 0 else { continue }
            let file = try MappedFile(path: path, capacity: size)
            // Damaged records were reported when the log was opened; the checkpoint keeps the rest.
            _ = try withExtendedLifetime(file) {
                try Segment.scanRecovering(file.bytes(at: 0, count: size), plausibleType: Self.isRecordType, damaged: { _ in }) { _, payload in
                    try keep(payload)
                }
            }
        }
        try out.write(buffer)
        try out.sync()
        try FileSystem.syncDirectory(tmp)
        try FileSystem.rename(tmp, to: final)
        try FileSystem.syncDirectory(directory)
        try truncate(through: last)
    }

    /// Deletes segments up to `last` and checkpoints older than the newest.
    public func truncate(through last: Int) throws {
        for seg in try Self.segmentIndexes(directory) where seg <= last {
            try FileSystem.remove(directory + "/" + Segment.name(seg))
        }
        guard let (newest, _) = try Self.latestCheckpoint(directory) else { return }
        for n in try FileSystem.list(directory) where n.hasPrefix("checkpoint.") {
            if let i = Int(n.dropFirst("checkpoint.".count)), i < newest {
                try FileSystem.remove(directory + "/" + n)
            }
        }
    }
}
