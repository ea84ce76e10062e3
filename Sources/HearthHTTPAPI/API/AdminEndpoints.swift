import HearthModel
import HearthTSDB
import NIOHTTP1

extension API {
    /// `admin/tsdb/{delete_series,clean_tombstones,snapshot}`, behind `--web.enable-admin-api`,
    /// with Prometheus's status codes: 204 for the first two, the snapshot's name for the last.
    func admin(_ request: HTTPRequest) async -> HTTPResponse {
        guard context.enableAdminAPI else { return Self.failure(.unavailable("admin APIs disabled")) }
        guard let db = context.db else { return .text(.notFound, "404 page not found\n") }
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
                return Self.failure(error)
            }
            return await noContent { for matchers in sets { try db.delete(matchers, minTime: start, maxTime: end) } }
        case "clean_tombstones":
            return await noContent { try db.cleanTombstones() }
        case "snapshot":
            let skipHead: Bool
            switch p["skip_head"] ?? "" {
            case "", "false", "0", "f", "F", "FALSE", "False": skipHead = false
            case "true", "1", "t", "T", "TRUE", "True": skipHead = true
            case let other:
                return Self.failure(.badData("unable to parse boolean 'skip_head' argument: strconv.ParseBool: parsing \"\(other)\": invalid syntax"))
            }
            switch await runBlockingStorageWork({ try db.snapshot(withHead: !skipHead) }) {
            case .success(let name):
                return Self.success(APIResult { w in
                    w.beginObject()
                    w.key("name")
                    w.string(name)
                    w.endObject()
                })
            case .failure(let error):
                return Self.failure(Self.internalError("create snapshot: \(error)"))
            }
        default:
            return .text(.notFound, "404 page not found\n")
        }
    }

    /// 204 once `work` has run off the event loop; a 500 with its error otherwise.
    func noContent(_ work: @escaping @Sendable () throws -> Void) async -> HTTPResponse {
        if case .failure(let error) = await runBlockingStorageWork(work) { return Self.failure(Self.internalError("\(error)")) }
        return HTTPResponse(status: .noContent)
    }

    static func internalError(_ message: String) -> APIError {
        APIError(type: "internal", message: message, status: .internalServerError)
    }
}
