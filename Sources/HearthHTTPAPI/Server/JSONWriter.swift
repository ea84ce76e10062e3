import HearthEncoding
import HearthPromQLParser

/// Builds JSON into a byte array, with Prometheus's number formats: sample values as strings
/// in Go's shortest `'f'` format (`"NaN"`, `"+Inf"`), timestamps as seconds with up to three
/// decimals. Keys and strings are escaped as Go's `encoding/json` escapes them.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value needs a comma before it, per open container.
    private var needsComma: [Bool] = [false]

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A key inside an object; the value follows.
    public mutating func key(_ k: String) {
        separate()
        appendQuoted(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ s: String) {
        separate()
        appendQuoted(s)
    }

    public mutating func bool(_ b: Bool) {
        separate()
        bytes.append(contentsOf: (b ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    public mutating func int(_ v: Int) {
        separate()
        bytes.append(contentsOf: String(v).utf8)
    }

    /// A finite number as a bare JSON number (Go's shortest form).
    public mutating func sampleValueNumber(_ v: Double) {
        separate()
        appendFloatLikeGo(v.isFinite ? v : 0, to: &bytes)
    }

    /// `[<seconds>, "<value>"]`: one point as Prometheus writes it.
    public mutating func point(t: Int64, value: Double) {
        beginArray()
        timestamp(t)
        sampleValue(value)
        endArray()
    }

    /// A millisecond timestamp as seconds (`1435781451.781`).
    public mutating func timestamp(_ t: Int64) {
        separate()
        let (q, r) = (t / 1000, t % 1000)
        if t < 0 && r != 0 {
            bytes.append(contentsOf: formatFloatLikeGo(Double(t) / 1000).utf8)
            return
        }
        bytes.append(contentsOf: String(q).utf8)
        if r != 0 {
            var frac = String(abs(r))
            while frac.count < 3 { frac = "0" + frac }
            while frac.hasSuffix("0") { frac.removeLast() }
            bytes.append(UInt8(ascii: "."))
            bytes.append(contentsOf: frac.utf8)
        }
    }

    /// A sample value as a string: Go's shortest `'f'` format, or `'e'` below 1e-6 and from
    /// 1e21 on (Prometheus's `jsonutil.MarshalValue`).
    public mutating func sampleValue(_ v: Double) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        let magnitude = abs(v)
        if magnitude != 0 && magnitude.isFinite && (magnitude < 1e-6 || magnitude >= 1e21) {
            // Swift's shortest form is exponential in these ranges, with Go's two-digit exponent.
            bytes.append(contentsOf: "\(v)".utf8)
        } else {
            appendFloatLikeGo(v, to: &bytes)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendQuoted(_ s: String) { GoText.appendJSONString(s, to: &bytes) }
}
