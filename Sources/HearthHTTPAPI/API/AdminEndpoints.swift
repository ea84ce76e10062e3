import Dispatch
import HearthModel
import HearthTSDB
import NIOHTTP1

extension API {
    /// `admin/tsdb/{delete_series,clean_tombstones,snapshot}`, behind `--web.enable-admin-api`,
    /// with Prometheus's status codes: 204 for the first two, the snapshot's name for the last.
    func admin(_ request: HTTPRequest) async -> HTTPResponse {
        guard context.enableAdminAPI else { return failure(.unavailable("admin APIs disabled")) }
        let db = context.db
        let p = Parameters(request)
        switch request.path.dropFirst("/api/v1/admin/tsdb/".count) {
        case "delete_series":
            let sets: [[Matcher]]
            let start: Int64, end: Int64
            do throws(APIError) {
                sets = try matcherSets(p)
                guard !sets.isEmpty else { throw .badData("no match[] parameter provided") }
                start = try time(p, "start", default: Self.minTime)
                end = try time(p, "end", default: Self.maxTime)
            } catch {
                return failure(error)
            }
            let error = await Self.offload { () -> String? in
                do {
                    for matchers in sets { try db.delete(matchers, minTime: start, maxTime: end) }
                    return nil
                } catch { return "\(error)" }
            }
            if let error { return failure(APIError(type: "internal", message: error, status: .internalServerError)) }
            return HTTPResponse(status: .noContent)
        case "clean_tombstones":
            let error = await Self.offload { () -> String? in
                do { try db.cleanTombstones(); return nil } catch { return "\(error)" }
            }
            if let error { return failure(APIError(type: "internal", message: error, status: .internalServerError)) }
            return HTTPResponse(status: .noContent)
        case "snapshot":
            let skipHead: Bool
            switch p["skip_head"] ?? "" {
            case "", "false", "0", "f", "F", "FALSE", "False": skipHead = false
            case "true", "1", "t", "T", "TRUE", "True": skipHead = true
            case let other:
                return failure(.badData("unable to parse boolean 'skip_head' argument: strconv.ParseBool: parsing \"\(other)\": invalid syntax"))
            }
            let result = await Self.offload { () -> Result<String, SnapshotFailure> in
                do { return .success(try db.snapshot(withHead: !skipHead)) } catch { return .failure(SnapshotFailure(message: "\(error)")) }
            }
            switch result {
            case .success(let name):
                return success(APIResult { w in
                    w.beginObject()
                    w.key("name")
                    w.string(name)
                    w.endObject()
                })
            case .failure(let f):
                return failure(APIError(type: "internal", message: "create snapshot: \(f.message)", status: .internalServerError))
            }
        default:
            return .text(.notFound, "404 page not found\n")
        }
    }

    struct SnapshotFailure: Error {
        let message: String
    }

    /// Runs blocking storage work on a Dispatch thread, off the event loops and the task pool.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            DispatchQueue.global(qos: .userInitiated).async { c.resume(returning: work()) }
        }
    }
}
