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
    /// `POST /api/v1/write`: remote write 1.0 and 2.0 (by `Content-Type`), snappy-compressed.
    ///
    /// 204 once every sample is in the WAL. 400 (not retried by senders) for bodies that do not
    /// decode, invalid labels and refused samples; 415 for other encodings; 500 (retried) when
    /// the WAL write fails, in which case nothing of the request was applied.
    func remoteWrite(_ request: HTTPRequest) async -> HTTPResponse {
        let encoding = request.headers.first(name: "content-encoding")?.lowercased() ?? ""
        guard encoding == "snappy" else {
            return .text(.unsupportedMediaType, "unsupported compression \"\(encoding)\": remote write bodies must be snappy-compressed\n")
        }
        let contentType = request.headers.first(name: "content-type")?.lowercased().replacingSpaces() ?? "application/x-protobuf"
        let v2: Bool
        switch contentType {
        case "application/x-protobuf", "application/x-protobuf;proto=prometheus.writerequest": v2 = false
        case "application/x-protobuf;proto=io.prometheus.write.v2.request": v2 = true
        default:
            return .text(.unsupportedMediaType, "unsupported content type \"\(contentType)\": expected application/x-protobuf with proto=prometheus.WriteRequest or io.prometheus.write.v2.Request\n")
        }
        let decoded: [UInt8]
        switch decompressedBody(request) {
        case .success(let bytes): decoded = bytes
        case .failure(let error): return error.response
        }

        guard let db = context.db else { return .text(.notFound, "404 page not found\n") }
        let appender = db.appender()
        var written = 0
        var histograms = 0
        var refused: [String] = []
        var invalid: [String] = []
        do {
            let decodeProblems = try decoded.withUnsafeBytes { raw in
                let cache = context.seriesRefs
                let visit: (inout WriteSeries) throws -> Void = { series in
                    histograms += series.histograms
                    guard !series.samples.isEmpty else { return }
                    var ref = series.ref
                    var labels = Labels()
                    if ref == 0 {
                        labels = Labels(sorted: series.labels)
                        do throws(AppendError) { ref = try appender.ref(for: labels) } catch {
                            refused.append(error.description)
                            if !v2 { throw RefusedSample() }
                            return
                        }
                        if let bytes = series.labelBytes { cache.insert(bytes, ref: ref) }
                    }
                    for s in series.samples {
                        do throws(AppendError) {
                            ref = try appender.append(ref, labels, s.timestamp, s.value)
                            written += 1
                        } catch {
                            if case .unknownSeries = error, let bytes = series.labelBytes {
                                // The cached ref's series has left the head (truncated while
                                // idle): take the sample by its labels, decoded now.
                                cache.remove(bytes)
                                switch try WriteRequestDecoder.v1Labels(bytes) {
                                case .success(let decoded): labels = Labels(sorted: decoded)
                                case .failure(let problem): invalid.append(problem.description); return
                                }
                                do throws(AppendError) {
                                    ref = try appender.append(0, labels, s.timestamp, s.value)
                                    cache.insert(bytes, ref: ref)
                                    written += 1
                                    continue
                                } catch {
                                    refused.append(error.description)
                                    if !v2 { throw RefusedSample() }
                                    continue
                                }
                            }
                            refused.append(error.description)
                            // Protocol 1.0 refuses the whole request, as Prometheus does.
                            if !v2 { throw RefusedSample() }
                        }
                    }
                }
                return v2 ? try WriteRequestDecoder.decodeV2(raw, visit)
                    : try WriteRequestDecoder.decodeV1(raw, knownRef: { cache.ref(for: $0) }, visit)
            }
            invalid += decodeProblems
        } catch is RefusedSample {
            appender.rollback()
            return .text(.badRequest, refused.joined(separator: "\n") + "\n")
        } catch {
            appender.rollback()
            return .text(.badRequest, "invalid \(v2 ? "io.prometheus.write.v2.Request" : "prometheus.WriteRequest"): \(error)\n")
        }
        do {
            try appender.commit()
        } catch {
            context.logger.error("remote write commit failed", metadata: ["error": "\(error)"])
            return .text(.internalServerError, "\(error)\n")
        }
        context.instrumentation.remoteWrite(samples: written, invalidLabelSamples: invalid.count, histogramsDropped: histograms)
        var headers: HTTPHeaders = [:]
        if v2 {
            headers.add(name: "X-Prometheus-Remote-Write-Samples-Written", value: String(written))
            headers.add(name: "X-Prometheus-Remote-Write-Histograms-Written", value: "0")
            headers.add(name: "X-Prometheus-Remote-Write-Exemplars-Written", value: "0")
        }
        let problems = invalid + refused
        if !problems.isEmpty {
            var response = HTTPResponse.text(.badRequest, problems.prefix(20).joined(separator: "\n")
                                             + (problems.count > 20 ? "\n… and \(problems.count - 20) more\n" : "\n"))
            response.headers.add(contentsOf: headers)
            return response
        }
        return HTTPResponse(status: .noContent, headers: headers)
    }
}

private struct RefusedSample: Error {}

extension String {
    func replacingSpaces() -> String { String(filter { $0 != " " }) }
}
