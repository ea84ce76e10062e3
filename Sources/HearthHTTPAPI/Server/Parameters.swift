import HearthChunks
import HearthEncoding
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1

/// A request's parameters: the query string and, for a form-encoded POST, the body
/// (`application/x-www-form-urlencoded`), in order; names may repeat (`match[]`).
public struct Parameters: Sendable {
    public private(set) var pairs: [(String, String)] = []

    public init(_ request: HTTPRequest) {
        if let q = request.uri.firstIndex(of: "?") {
            pairs += Self.decodeForm(request.uri[request.uri.index(after: q)...])
        }
        if request.method == .POST,
           let type = request.headers.first(name: "content-type"), type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            let body = String(decoding: request.body.readableBytesView, as: UTF8.self)
            pairs += Self.decodeForm(Substring(body))
        }
    }

    public subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// `a=1&b=x%20y` → pairs, `+` as space.
    static func decodeForm(_ s: Substring) -> [(String, String)] {
        s.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (percentDecode(pair[..<eq]), percentDecode(pair[pair.index(after: eq)...]))
            }
            return (percentDecode(pair), "")
        }
    }

    static func percentDecode(_ s: Substring) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var bytes = s.utf8.makeIterator()
        while let b = bytes.next() {
            switch b {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if let h = bytes.next(), let l = bytes.next(), let hi = hexValue(h), let lo = hexValue(l) {
                    out.append(hi << 4 | lo)
                } else {
                    out.append(b)
                }
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Prometheus's time and duration parameters.
enum TimeParameter {
    /// A Unix timestamp in seconds (with decimals) or RFC 3339; milliseconds. Prometheus
    /// accepts any float and lets the conversion wrap; Hearth refuses one whose milliseconds do
    /// not fit an Int64 (docs/compatibility.md).
    static func parse(_ s: String) -> Int64? {
        if let v = Double(s) {
            let ms = (v * 1000).rounded()
            guard ms.isFinite, abs(ms) < 9.2e18 else { return nil }
            return Int64(ms)
        }
        // Go's time parser reads only four-digit years, so Prometheus names its own open-ended
        // bounds (which clients send back) explicitly.
        switch s {
        case "-292273086-05-16T16:47:06Z": return API.minTime
        case "292277025-08-18T07:12:54.999999999Z": return API.maxTime
        default: return parseRFC3339(s)
        }
    }

    /// A duration: seconds as a float, or Prometheus's `1h30m` syntax; whole milliseconds
    /// (truncated, as Prometheus's engine takes them). The error is Prometheus's message.
    static func parseDuration(_ s: String) -> Result<Int64, DurationError> {
        if let v = Double(s) {
            // Prometheus counts nanoseconds in an Int64 and refuses what does not fit.
            guard v.isFinite, abs(v * 1e9) < 9.223372036854775807e18 else { return .failure(.overflows(s)) }
            return .success(Int64((v * 1000).rounded(.towardZero)))
        }
        guard let ms = PrometheusDuration.parseMilliseconds(s) else { return .failure(.invalid(s)) }
        return .success(ms)
    }

    enum DurationError: Error, CustomStringConvertible {
        case invalid(String)
        case overflows(String)

        var description: String {
            switch self {
            case .invalid(let s): return "cannot parse \(GoText.quote(s)) to a valid duration"
            case .overflows(let s): return "cannot parse \(GoText.quote(s)) to a valid duration. It overflows int64"
            }
        }
    }

    /// `2006-01-02T15:04:05.999999999Z07:00`.
    static func parseRFC3339(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in 0..<max(0, 3 - digits) { millis *= 10 }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) else { return nil }
            offset = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // Days from civil (Howard Hinnant).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return seconds * 1000 + millis
    }

    /// RFC 3339 with milliseconds, UTC (what Prometheus prints for times in JSON).
    static func formatRFC3339(_ ms: Int64) -> String { RFC3339.format(ms) }
}
