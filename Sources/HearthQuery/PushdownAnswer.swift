#if canImport(Glibc)
import Glibc
#endif
import HearthEncoding
import HearthModel

extension Pushdown {
    /// A pushed-down query's answer (Prometheus's query API JSON) with `labels` added to every
    /// series, in name order, as the fan-out would have attached the endpoint's external labels.
    /// One pass over the bytes; only `"metric"` objects are rewritten. Nil when a series already
    /// has one of the labels (the fan-out would have merged it with its twin: the query is then
    /// evaluated here) or the answer is not the JSON expected.
    public static func addingLabels(_ labels: Labels, to body: [UInt8]) -> [UInt8]? {
        guard !labels.isEmpty else { return body }
        let added: [(name: [UInt8], json: [UInt8])] = labels.map { l in
            var json: [UInt8] = []
            GoText.appendJSONString(l.name, to: &json)
            json.append(UInt8(ascii: ":"))
            GoText.appendJSONString(l.value, to: &json)
            return (Array(l.name.utf8), json)
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + body.count / 8)
        var i = 0
        var copied = 0
        let n = body.count
        var pairs: [(name: Range<Int>, text: Range<Int>)] = []
        return body.withUnsafeBufferPointer { b -> [UInt8]? in
            while i < n {
                // Straight to the next string (memchr: most of an answer is its values).
                guard let found = memchr(b.baseAddress! + i, Int32(UInt8(ascii: "\"")), n - i) else { break }
                i = b.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let start = i
                guard let end = stringEnd(b, from: i) else { return nil }
                i = end
                // A key `"metric"` followed by an object: the series' labels.
                guard end - start == 8, b[start + 1] == UInt8(ascii: "m"), equal(b, start + 1, "metric") else { continue }
                var k = end
                while k < n, isSpace(b[k]) { k += 1 }
                guard k < n, b[k] == UInt8(ascii: ":") else { continue }
                k += 1
                while k < n, isSpace(b[k]) { k += 1 }
                guard k < n, b[k] == UInt8(ascii: "{") else { return nil }
                out.append(contentsOf: b[copied...k])
                k += 1
                // The series' pairs, as written, with their names.
                pairs.removeAll(keepingCapacity: true)
                while true {
                    while k < n, isSpace(b[k]) || b[k] == UInt8(ascii: ",") { k += 1 }
                    guard k < n else { return nil }
                    if b[k] == UInt8(ascii: "}") { break }
                    guard b[k] == UInt8(ascii: "\""), let nameEnd = stringEnd(b, from: k) else { return nil }
                    var v = nameEnd
                    while v < n, isSpace(b[v]) { v += 1 }
                    guard v < n, b[v] == UInt8(ascii: ":") else { return nil }
                    v += 1
                    while v < n, isSpace(b[v]) { v += 1 }
                    guard v < n, b[v] == UInt8(ascii: "\""), let valueEnd = stringEnd(b, from: v) else { return nil }
                    // Names with escapes are not label names Prometheus writes plainly: give up.
                    guard !b[(k + 1)..<(nameEnd - 1)].contains(UInt8(ascii: "\\")) else { return nil }
                    pairs.append(((k + 1)..<(nameEnd - 1), k..<valueEnd))
                    k = valueEnd
                }
                // Merge by name (byte order, as labels are sorted).
                var a = 0
                var first = true
                for p in pairs {
                    let name = b[p.name]
                    while a < added.count, added[a].name.lexicographicallyPrecedes(name) {
                        if !first { out.append(UInt8(ascii: ",")) }
                        out.append(contentsOf: added[a].json)
                        first = false
                        a += 1
                    }
                    if a < added.count, added[a].name.elementsEqual(name) { return nil }
                    if !first { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: b[p.text])
                    first = false
                }
                while a < added.count {
                    if !first { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: added[a].json)
                    first = false
                    a += 1
                }
                copied = k  // the closing brace is copied with what follows
                i = k + 1
            }
            out.append(contentsOf: b[copied..<n])
            return out
        }
    }

    /// The index after the JSON string starting at `from` (a quote), or nil if it does not end.
    private static func stringEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var k = from + 1
        while k < b.count {
            switch b[k] {
            case UInt8(ascii: "\\"): k += 2
            case UInt8(ascii: "\""): return k + 1
            default: k += 1
            }
        }
        return nil
    }

    private static func equal(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard at + count <= b.count else { return false }
        let w = word.utf8Start
        for j in 0..<count where b[at + j] != w[j] { return false }
        return true
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
}
