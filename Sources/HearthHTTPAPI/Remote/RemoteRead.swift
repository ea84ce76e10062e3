import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthRemoteProtocol
import HearthSnappy
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1

extension API {
    /// `POST /api/v1/read`: remote read with the `SAMPLES` response (snappy-compressed
    /// `ReadResponse`) or, when the client accepts it, `STREAMED_XOR_CHUNKS` (length-prefixed,
    /// checksummed `ChunkedReadResponse` frames of at most ~1 MiB, chunks as stored).
    func remoteRead(_ request: HTTPRequest) async -> HTTPResponse {
        let decoded: [UInt8]
        switch decompressedBody(request) {
        case .success(let bytes): decoded = bytes
        case .failure(let error): return error.response
        }
        let read: ReadRequest
        do {
            read = try decoded.withUnsafeBytes { raw throws(ProtoError) in try ReadRequest.decode(raw) }
        } catch {
            return .text(.badRequest, "invalid prometheus.ReadRequest: \(error)\n")
        }
        var matcherSets: [[Matcher]] = []
        for q in read.queries {
            do {
                matcherSets.append(try q.matchers.map { try Matcher($0.0, $0.1, $0.2) })
            } catch {
                return .text(.badRequest, "invalid matcher: \(error)\n")
            }
        }
        let streamed = read.acceptedResponseTypes.first { $0 == .streamedXORChunks || $0 == .samples } == .streamedXORChunks
        let querier = context.querier(ReadParameters())
        let queries = read.queries
        let external = context.externalLabels()
        let selections: [SeriesSet]
        do {
            selections = try await reading(querier) { [matcherSets] () throws(StorageError) in
                var out: [SeriesSet] = []
                for (index, q) in queries.enumerated() {
                    guard let stored = external.storedMatchers(matcherSets[index]) else {
                        out.append(SeriesSet())
                        continue
                    }
                    let set = try querier.select(stored, hints: SelectHints(start: q.startMs, end: q.endMs))
                    out.append(set.adding(external: external))
                }
                return out
            }
        } catch {
            return .text(.internalServerError, "\(error.message)\n")
        }
        // The protocol has no place for warnings: they go in headers (which a Hearth querier
        // reads), as they would otherwise be lost.
        var warningHeaders: HTTPHeaders = [:]
        for w in Set(selections.flatMap(\.warnings)).sorted() { warningHeaders.add(name: Self.readWarningHeader, value: w) }
        if streamed {
            var body: [UInt8] = []
            for index in read.queries.indices {
                var frame: [(Labels, [ReadResponseEncoder.XORChunk])] = []
                var frameBytes = 0
                for s in selections[index].series {
                    let chunks = s.chunks.map(\.portable).filter { $0.encoding == .xor }.map {
                        ReadResponseEncoder.XORChunk(minTime: $0.minTime, maxTime: $0.maxTime, bytes: $0.bytes)
                    }
                    frame.append((s.labels, chunks))
                    frameBytes += chunks.reduce(0) { $0 + $1.bytes.count + 32 } + 64
                    if frameBytes >= 1 << 20 {
                        body += ReadResponseEncoder.chunkedFrame(frame, queryIndex: Int64(index))
                        frame.removeAll()
                        frameBytes = 0
                    }
                }
                if !frame.isEmpty { body += ReadResponseEncoder.chunkedFrame(frame, queryIndex: Int64(index)) }
            }
            var response = HTTPResponse(status: .ok, contentType: "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse",
                                        bytes: body)
            response.headers.add(contentsOf: warningHeaders)
            return response
        }
        var results: [[ReadResponseEncoder.SeriesSamples]] = []
        do {
            for set in selections {
                var result: [ReadResponseEncoder.SeriesSamples] = []
                for s in set.series { result.append(ReadResponseEncoder.SeriesSamples(labels: s.labels, samples: try s.samples())) }
                results.append(result)
            }
        } catch {
            return .text(.internalServerError, "\(error)\n")
        }
        var response = HTTPResponse(status: .ok, contentType: "application/x-protobuf",
                                    bytes: Snappy.encode(ReadResponseEncoder.samples(results)))
        response.headers.add(name: "Content-Encoding", value: "snappy")
        response.headers.add(contentsOf: warningHeaders)
        return response
    }

    /// The response header carrying each of a remote read's warnings.
    public static let readWarningHeader = "Hearth-Read-Warning"

    /// The snappy-decoded body, or the 400 to answer with.
    func decompressedBody(_ request: HTTPRequest) -> Result<[UInt8], HTTPResponseError> {
        do {
            return .success(try request.body.withUnsafeReadableBytes { raw throws(Snappy.DecodeError) in
                try Snappy.decode(raw, limit: context.maxDecodedBodySize)
            })
        } catch {
            return .failure(HTTPResponseError(response: .text(.badRequest, "\(error)\n")))
        }
    }
}

/// A response to answer with instead of a value.
struct HTTPResponseError: Error {
    var response: HTTPResponse
}
