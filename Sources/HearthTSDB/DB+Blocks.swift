import HearthBlock
import HearthFileIO
import HearthWAL
import Logging
import Synchronization

extension DB {
    static let headTombstonesFileName = "head.tombstones"
    /// Written when Hearth first uses a directory; tells its WAL from a Prometheus one.
    static let formatMarkerFileName = "hearth.format"

    /// Opens every block directory, oldest data first. A block that replaced others (its
    /// `compaction.parents`) makes them obsolete: they are removed here, which finishes a
    /// compaction interrupted after the new block was complete. A block that does not open
    /// is logged and left on disk, untouched.
    static func openBlocks(_ path: String, logger: Logger, problem: (String) -> Void = { _ in }) throws -> [Block] {
        var blocks: [Block] = []
        for name in try FileSystem.list(path) where ULID(name) != nil && FileSystem.isDirectory(path + "/" + name) {
            do {
                blocks.append(try Block(directory: path + "/" + name))
            } catch {
                logger.error("block unreadable, not served", metadata: ["block": "\(name)", "error": "\(error)"])
                problem("\(path)/\(name): block unreadable, not served (left on disk): \(error)")
            }
        }
        let replaced = Set(blocks.flatMap { $0.meta.parents.map(\.ulid) })
        for b in blocks where replaced.contains(b.meta.ulid) || b.meta.deletable {
            logger.info("removing block replaced by compaction", metadata: ["block": "\(b.meta.ulid)"])
            try removeBlockDirectory(b.directory)
        }
        return sorted(blocks.filter { !replaced.contains($0.meta.ulid) && !$0.meta.deletable })
    }

    static func sorted(_ blocks: [Block]) -> [Block] {
        blocks.sorted { ($0.minTime, $0.meta.ulid) < ($1.minTime, $1.meta.ulid) }
    }

    /// Renames a block directory aside first, so a crash mid-removal never leaves a partial
    /// block under a ULID name.
    static func removeBlockDirectory(_ directory: String) throws {
        let doomed = directory + ".tmp-for-deletion"
        try FileSystem.rename(directory, to: doomed)
        try FileSystem.remove(doomed)
    }

    /// Prometheus keeps its own WAL and head chunks in `wal/` and `chunks_head/`, in formats
    /// Hearth does not read. Opened on a Prometheus directory, Hearth serves the blocks and
    /// moves those two aside (`*.prometheus`) rather than misreading or truncating them.
    static func setAsideForeignHeadData(_ path: String, logger: Logger) throws {
        let marker = path + "/" + formatMarkerFileName
        if FileSystem.exists(marker) { return }
        let wal = path + "/wal"
        if FileSystem.isDirectory(wal), !(try WAL.looksLikeHearth(directory: wal)) {
            for name in ["wal", "chunks_head"] where FileSystem.exists(path + "/" + name) {
                try FileSystem.rename(path + "/" + name, to: path + "/" + name + ".prometheus")
            }
            logger.warning("""
                data directory holds a Prometheus WAL; its blocks are served, its head data (the \
                last hours not yet in a block) is not: moved to wal.prometheus and chunks_head.prometheus
                """)
        }
        try FileSystem.writeFileAtomically(marker, Array("1\n".utf8))
    }

    static func readHeadTombstones(_ path: String, logger: Logger, problem: (String) -> Void = { _ in }) -> Tombstones {
        let file = path + "/" + headTombstonesFileName
        guard FileSystem.exists(file) else { return Tombstones() }
        do {
            guard let bytes = try FileSystem.readFile(file) else { return Tombstones() }
            return try Tombstones.decode(bytes, path: file)
        } catch {
            logger.error("head tombstones unreadable; deletions of head data are lost", metadata: ["error": "\(error)"])
            problem("\(file): unreadable, deletions of head data are lost: \(error)")
            return Tombstones()
        }
    }

    func writeHeadTombstones(_ t: Tombstones) throws {
        let file = options.path + "/" + Self.headTombstonesFileName
        if t.isEmpty {
            try FileSystem.remove(file)
        } else {
            try FileSystem.writeFileAtomically(file, t.encoded())
        }
    }

    /// Serves blocks that appeared in the directory since open (a backfill, `hearth tsdb
    /// import` into a live directory), as Prometheus picks them up at its next reload.
    func loadNewBlocksLocked() throws {
        let known = Set(blocks.map { "\($0.meta.ulid)" })
        var found: [Block] = []
        for name in try FileSystem.list(options.path) where ULID(name) != nil && !known.contains(name)
            && FileSystem.isDirectory(options.path + "/" + name) {
            do {
                found.append(try Block(directory: options.path + "/" + name))
                logger.info("new block found and loaded", metadata: ["block": "\(name)"])
            } catch {
                logger.error("new block unreadable, not served", metadata: ["block": "\(name)", "error": "\(error)"])
            }
        }
        if !found.isEmpty { blockList.withLock { $0 = Self.sorted($0 + found) } }
    }

    /// Replaces `old` blocks by `new` in the served list, then removes the old directories.
    func replaceBlocks(_ old: [Block], with new: [Block]) throws {
        let gone = Set(old.map(\.meta.ulid))
        blockList.withLock { list in
            list = Self.sorted(list.filter { !gone.contains($0.meta.ulid) } + new)
        }
        for b in old { try Self.removeBlockDirectory(b.directory) }
    }

    /// Damage queries found in the served blocks so far (series entries, postings, chunks left
    /// out of results), for `/metrics`.
    public var blockReadDamage: Int { blocks.reduce(0) { $0 + $1.damage.count } }

    /// Logs damage found in blocks since the last call, with file and offset (the maintenance
    /// pass calls it every minute).
    func logReadDamage() {
        for block in blocks {
            for report in block.damage.takeNew() {
                logger.error("damaged block data left out of query results", metadata: ["block": "\(block.meta.ulid)", "damage": "\(report)"])
            }
        }
    }
}
