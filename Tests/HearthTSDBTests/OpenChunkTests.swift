import HearthChunks
@testable import HearthTSDB
import Testing

@Suite struct OpenChunkTests {
    /// Irregular timestamps and noisy values, so chunks span many segments at uneven byte counts.
    static func sample(_ i: Int, series: Int) -> (Int64, Double) {
        let jitter = Int64((i * 7919 + series * 104_729) % 37) - 18
        return (Int64(i) * 15_000 + jitter, Double((i * 2_654_435_761 + series) % 1_000_003) / 7.0)
    }

    @Test func bytesMatchAnArrayBackedAppenderAtEverySample() {
        let space = ChunkSpace()
        // Interleaved series share the space, so their segment chains interleave too.
        var chunks = (0..<5).map { _ in OpenChunk(in: space, decimal: false) }
        var reference = (0..<5).map { _ in XORAppender() }
        for i in 0..<240 {
            for s in chunks.indices {
                let (t, v) = Self.sample(i, series: s)
                chunks[s].append(timestamp: t, value: v, in: space)
                reference[s].append(timestamp: t, value: v)
                #expect(chunks[s].bytes(in: space) == reference[s].bytes)
                #expect(chunks[s].byteCount == reference[s].byteCount)
                #expect(chunks[s].firstTimestamp(in: space) == reference[s].firstTimestamp)
            }
        }
        #expect(chunks[0].byteCount > 8 * ChunkSpace.dataBytes)
    }

    @Test func stateRoundTripContinuesTheChunkExactly() {
        let space = ChunkSpace()
        var chunk = OpenChunk(in: space, decimal: false)
        var reference = XORAppender()
        for i in 0..<100 {
            let (t, v) = Self.sample(i, series: 1)
            chunk.append(timestamp: t, value: v, in: space)
            reference.append(timestamp: t, value: v)
        }
        let state = chunk.state(in: space)
        #expect(state.xor == reference.state)
        #expect(!state.isDecimal)
        guard var restored = OpenChunk(restoring: state, in: space) else {
            Issue.record("state not accepted")
            return
        }
        for i in 100..<200 {
            let (t, v) = Self.sample(i, series: 1)
            restored.append(timestamp: t, value: v, in: space)
            reference.append(timestamp: t, value: v)
        }
        #expect(restored.bytes(in: space) == reference.bytes)
        // The original chain is untouched by the copy.
        #expect(chunk.count == 100)
    }

    /// The decimal encoding in segments: the same bytes as the encoder writes into an array,
    /// at every sample, through a state round trip.
    @Test func decimalChunksMatchTheEncoderWritingIntoAnArray() throws {
        let space = ChunkSpace()
        var chunks = (0..<3).map { _ in OpenChunk(in: space) }
        var reference = (0..<3).map { _ in (HeadChunkEncoder(), [UInt8](arrayLiteral: 0, 0)) }
        func expected(_ r: (HeadChunkEncoder, [UInt8])) -> [UInt8] {
            var out = r.1
            out[0] = UInt8(truncatingIfNeeded: r.0.count >> 8)
            out[1] = UInt8(truncatingIfNeeded: r.0.count)
            if r.0.pendingBits > 0 { out.append(r.0.pendingByte) }
            return out
        }
        for i in 0..<240 {
            for s in chunks.indices {
                let (t, _) = Self.sample(i, series: s)
                // Counters with two decimals, a staleness marker now and then.
                let v = i % 97 == 50 ? Double(bitPattern: 0x7FF0_0000_0000_0002) : Double(i * (s + 3) * 137 % 100_000) / 100
                chunks[s].append(timestamp: t, value: v, in: space)
                var (encoder, bytes) = reference[s]
                encoder.append(timestamp: t, value: v, into: &bytes)
                reference[s] = (encoder, bytes)
                #expect(chunks[s].bytes(in: space) == expected(reference[s]))
            }
        }
        #expect(chunks.allSatisfy { $0.encoding == .decimal })
        let state = chunks[1].state(in: space)
        #expect(state.isDecimal)
        var restored = try #require(OpenChunk(restoring: state, in: space))
        for i in 240..<300 {
            let (t, _) = Self.sample(i, series: 1)
            let v = Double(i) / 8
            restored.append(timestamp: t, value: v, in: space)
            var (encoder, bytes) = reference[1]
            encoder.append(timestamp: t, value: v, into: &bytes)
            reference[1] = (encoder, bytes)
        }
        #expect(restored.bytes(in: space) == expected(reference[1]))
        // Cut: the XOR conversion holds every sample, and the decimal encoding is the smaller.
        let (xor, decimalSize) = restored.xorBytes(in: space)
        #expect(decimalSize == restored.byteCount)
        #expect(decimalSize < xor.count)
        #expect(XORDecoder.declaredCount(xor.withUnsafeBytes { $0 }) == 300)
    }

    /// The head keeps one slot per series: the decimal state must not grow it past 104 bytes
    /// (it was 88 with XOR only; a misplaced field costs 8 bytes of padding per series).
    @Test func seriesSlotStaysSmall() {
        #expect(MemoryLayout<MemSeries>.stride <= 104)
    }

    @Test func releasedSegmentsAreReusedSoTheSpaceDoesNotGrow() {
        let space = ChunkSpace()
        var chunks = (0..<50).map { _ in OpenChunk(in: space, decimal: false) }
        var capacityAfterFirstRound = 0
        for round in 0..<10 {
            for i in 0..<120 {
                for s in chunks.indices {
                    let (t, v) = Self.sample(round * 120 + i, series: s)
                    chunks[s].append(timestamp: t, value: v, in: space)
                }
            }
            // Cut every chunk at once, as a head does at a range boundary, and start again.
            for s in chunks.indices {
                chunks[s].release(in: space)
                #expect(!chunks[s].isOpen)
            }
            #expect(space.segmentsInUse == 0)
            if round == 0 { capacityAfterFirstRound = space.capacityBytes }
            #expect(space.capacityBytes == capacityAfterFirstRound)
            chunks = (0..<50).map { _ in OpenChunk(in: space, decimal: false) }
        }
    }

    @Test func compactionKeepsEveryChunkAndUnmapsFreedPages() {
        var state = Stripe.SeriesState()
        var reference: [XORAppender] = []
        for s in 0..<64 {
            var series = MemSeries()
            series.head = OpenChunk(in: state.chunks, decimal: false)
            state.series.append(series)
            reference.append(XORAppender())
            for i in 0..<150 {
                let (t, v) = Self.sample(i, series: s)
                state.series[s].head.append(timestamp: t, value: v, in: state.chunks)
                reference[s].append(timestamp: t, value: v)
            }
        }
        let peak = state.chunks.capacityBytes
        // Three series in four have their chunk cut and restarted with a few samples.
        for s in 0..<64 where s % 4 != 0 {
            state.series[s].head.release(in: state.chunks)
            state.series[s].head = OpenChunk(in: state.chunks, decimal: false)
            reference[s] = XORAppender()
            for i in 150..<153 {
                let (t, v) = Self.sample(i, series: s)
                state.series[s].head.append(timestamp: t, value: v, in: state.chunks)
                reference[s].append(timestamp: t, value: v)
            }
        }
        // A series removed outright: its chain is released and the space compacts.
        state.remove(1)
        #expect(state.chunks.capacityBytes < peak * 3 / 4)
        #expect(!state.chunks.wantsCompaction)
        for s in 0..<64 where s != 1 {
            #expect(state.series[s].head.bytes(in: state.chunks) == reference[s].bytes)
            #expect(state.series[s].head.firstTimestamp(in: state.chunks) == reference[s].firstTimestamp)
        }
        // Chains written after compaction keep growing correctly.
        for s in 0..<64 where s != 1 {
            for i in 153..<200 {
                let (t, v) = Self.sample(i, series: s)
                state.series[s].head.append(timestamp: t, value: v, in: state.chunks)
                reference[s].append(timestamp: t, value: v)
            }
            #expect(state.series[s].head.bytes(in: state.chunks) == reference[s].bytes)
        }
    }
}
