import HearthFileIO

extension WAL {
    /// Whether the WAL directory holds Hearth's framing (or nothing yet), as opposed to
    /// Prometheus's 32 KiB-page format: the first record of the first segment must check out
    /// under Hearth's header and CRC.
    public static func looksLikeHearth(directory: String) throws -> Bool {
        guard let first = try segmentIndexes(directory).first else { return true }
        let path = directory + "/" + Segment.name(first)
        let size = FileSystem.fileSize(path) ?? 0
        if size == 0 { return true }
        let file = try MappedFile(path: path, capacity: size)
        return withExtendedLifetime(file) {
            let bytes = file.bytes(at: 0, count: size)
            if Segment.isZero(bytes, from: 0) { return true }
            var sawRecord = false
            let end = Segment.scan(bytes) { _, _ in sawRecord = true }
            return sawRecord || end == .clean
        }
    }
}
