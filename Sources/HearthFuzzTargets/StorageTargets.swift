import Glibc
import HearthBlock
import HearthChunks
import HearthEncoding
import HearthFileIO
import HearthModel
import Logging
import HearthStorage
import HearthTSDB
import HearthWAL

/// What Hearth reads back from disk: chunks, WAL records and segments, block files, and a
/// whole data directory (snapshot, head chunk files, WAL) as a server opens it after a crash.
enum StorageTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("chunk", "XOR and decimal chunk decoding, as queries decode chunks read from disk") { bytes in
            guard let first = bytes.first else { return }
            let data = ChunkData(minTime: Int64.min, maxTime: Int64.max, encoding: first & 1 == 0 ? .xor : .decimal,
                                 bytes: Array(bytes.dropFirst()))
            _ = data.decodedSamples()
            _ = data.portable.decodedSamples()
        },
        FuzzTarget("wal-record", "WAL record payloads: series and samples records") { bytes in
            _ = WALRecordCodec.type(of: bytes)
            _ = try? WALRecordCodec.decodeSeries(bytes)
            var samples: [WALSample] = []
            try? WALRecordCodec.decodeSamples(bytes, into: &samples)
        },
        FuzzTarget("wal-segment", "WAL segment framing (length, CRC32C, payload) and the records in it") { bytes in
            _ = Segment.scan(bytes) { _, payload in
                _ = try? WALRecordCodec.decodeSeries(payload)
                var samples: [WALSample] = []
                try? WALRecordCodec.decodeSamples(payload, into: &samples)
            }
        },
        FuzzTarget("block-meta", "a block's meta.json") { bytes in
            _ = try? BlockMeta.parse(Array(bytes))
        },
        FuzzTarget("tombstones", "a block's tombstones file") { bytes in
            _ = try? Tombstones.decode(Array(bytes))
        },
        FuzzTarget("block", "a block directory (index, chunk segment, tombstones; meta.json valid or not) opened and read whole") { bytes in
            var input = FuzzInput(bytes)
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            let meta = input.bool() ? Array(#"{"ulid":"01JD3X0000000000000000000A","minTime":0,"maxTime":7200000,"stats":{"numSamples":1},"compaction":{"level":1,"sources":["01JD3X0000000000000000000A"]},"version":1}"#.utf8)
                : input.bytes(maxLength: 512)
            let tombstones = input.int(4) == 0 ? input.bytes(maxLength: 64) : nil
            let chunks = input.bytes(maxLength: 4096)
            let index = input.rest()
            dir.write("meta.json", meta)
            dir.write("index", index)
            dir.mkdir("chunks")
            dir.write("chunks/000001", chunks)
            if let tombstones { dir.write("tombstones", tombstones) }
            guard let block = try? Block(directory: dir.path) else { return }
            let all = [try! Matcher(.regexMatch, Labels.metricName, ".*")]
            for s in block.select(all, hints: SelectHints(start: .min, end: .max)).series {
                _ = try? s.samples()
            }
            for name in block.labelNames([], hints: LabelHints()).values { _ = block.labelValues(name, [], hints: LabelHints()) }
            _ = block.labelNames(all, hints: LabelHints())
        },
        FuzzTarget("data-directory", "a data directory after a crash: head snapshot, head chunk file and WAL segment, opened and queried; with valid checksums, to reach the decoders behind them") { bytes in
            var input = FuzzInput(bytes)
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            // With checksums fixed, the fuzzer's bytes get past the CRCs into the decoders, as a
            // writer bug (or a CRC collision) would.
            let fixChecksums = input.bool()
            dir.write("hearth.format", Array("1\n".utf8))
            if input.bool() {
                var snapshot = input.bytes(maxLength: 4096)
                if fixChecksums && snapshot.count >= 8 {
                    let crc = snapshot.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(snapshot.count - 4)])) }
                    snapshot.replaceSubrange((snapshot.count - 4)..., with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
                }
                dir.write("head.snapshot", snapshot)
            }
            if input.bool() { dir.write("head.floor", input.bytes(maxLength: 9)) }
            if input.bool() { dir.write("head.tombstones", input.bytes(maxLength: 64)) }
            dir.mkdir("chunks_head")
            dir.write("chunks_head/000001", fixChecksums ? framedHeadChunks(&input) : input.bytes(maxLength: 4096))
            dir.mkdir("wal")
            dir.write("wal/00000000", fixChecksums ? framedWALRecords(&input) : input.rest())
            var options = DB.Options(path: dir.path)
            options.head.stripeCount = 16
            options.snapshotOnShutdown = false
            guard let db = try? DB(options: options, logger: FuzzTargets.silent) else { return }
            let all = [try! Matcher(.regexMatch, Labels.metricName, ".*")]
            if let set = try? db.querier().select(all, hints: SelectHints(start: .min, end: .max)) {
                for s in set.series { _ = try? s.samples() }
            }
            try? db.close()
        },
    ]
}

/// A directory under /dev/shm (or /tmp) for one input's files.
struct TemporaryDirectory {
    let path: String

    init() {
        let base = FileSystem.isDirectory("/dev/shm") ? "/dev/shm" : "/tmp"
        var template = Array("\(base)/hearth-fuzz-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    func mkdir(_ name: String) { Glibc.mkdir(path + "/" + name, 0o755) }

    func write(_ name: String, _ bytes: [UInt8]) {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func remove() { try? FileSystem.remove(path) }
}

/// A WAL segment of records cut from the input, each framed with a correct length and CRC.
func framedWALRecords(_ input: inout FuzzInput) -> [UInt8] {
    var out: [UInt8] = []
    while !input.isExhausted {
        let payload = input.bytes(maxLength: 300)
        if payload.isEmpty { continue }
        payload.withUnsafeBytes { Segment.appendRecord($0, to: &out) }
    }
    return out
}

/// A head chunk file of chunks cut from the input (series ref, times, data), each with a
/// correct length and CRC.
func framedHeadChunks(_ input: inout FuzzInput) -> [UInt8] {
    var out: [UInt8] = []
    BigEndian.append(HeadChunkFiles.magic, to: &out)
    out += [1, 0, 0, 0]
    for _ in 0..<input.int(4) {
        let start = out.count
        out += input.bytes(maxLength: 24) + [UInt8](repeating: 0, count: 0)
        while out.count < start + 24 { out.append(0) }
        out.append(ChunkEncoding.xor.rawValue)
        let data = input.bytes(maxLength: 200)
        VarInt.appendUnsigned(UInt64(data.count), to: &out)
        out += data
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        BigEndian.append(crc, to: &out)
    }
    return out
}
