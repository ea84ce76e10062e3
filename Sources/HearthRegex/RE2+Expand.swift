extension RE2 {
    /// Expands a replacement template as Go's `Regexp.ExpandString` does (what relabeling's
    /// `replacement` uses): `$1` or `${1}` is group 1, `$name` or `${name}` a named group, `$$`
    /// a dollar sign. A name runs as far as letters, digits and `_` go, so `$1x` means the group
    /// named `1x` (empty), not group 1 then `x`; write `${1}x`. A malformed `$` stays as text.
    /// `match` is ``firstMatch(in:)``'s result for `subject`.
    public func expand(_ template: String, subject: String, match: [Range<Int>?]) -> String {
        let src = Array(subject.utf8)
        var out: [UInt8] = []
        let t = Array(template.unicodeScalars)
        var i = 0
        func appendScalar(_ s: Unicode.Scalar) { out.append(contentsOf: String(s).utf8) }
        while i < t.count {
            guard t[i] == "$" else {
                appendScalar(t[i])
                i += 1
                continue
            }
            i += 1
            if i < t.count && t[i] == "$" {
                out.append(UInt8(ascii: "$"))
                i += 1
                continue
            }
            // extract: {name} or name
            var j = i
            let brace = j < t.count && t[j] == "{"
            if brace { j += 1 }
            let nameStart = j
            while j < t.count, t[j].properties.isAlphabetic || t[j].properties.numericType == .decimal || t[j] == "_" {
                j += 1
            }
            var ok = j > nameStart
            var nameEnd = j
            if ok && brace {
                if j < t.count && t[j] == "}" {
                    nameEnd = j
                    j += 1
                } else {
                    ok = false
                }
            }
            guard ok else {
                out.append(UInt8(ascii: "$"))
                continue
            }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: t[nameStart..<nameEnd])
            let text = String(name)
            var group: Int? = nil
            if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && !(text.hasPrefix("0") && text.count > 1)
                && text.count <= 8 {
                group = Int(text)
            } else {
                group = captureNames.firstIndex { $0 == text }
            }
            if let g = group, g < match.count, let r = match[g] { out.append(contentsOf: src[r]) }
            i = j
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension RE2 {
    /// Go's `Regexp.ReplaceAllString`: every non-overlapping match replaced by `template`
    /// expanded as ``expand(_:subject:match:)`` (`$1`, `${name}`); an empty match right after a
    /// match is not replaced.
    public func replaceAll(in subject: String, with template: String) -> String {
        var s = subject
        let bytes = Array(subject.utf8)
        var out: [UInt8] = []
        var searchPos = 0, lastMatchEnd = 0
        while searchPos <= bytes.count {
            guard let slots = s.withUTF8({ vm.run($0, anchored: false, whole: false, from: searchPos) }), slots[0] >= 0 else { break }
            let a0 = slots[0], a1 = slots[1]
            out.append(contentsOf: bytes[lastMatchEnd..<a0])
            if a1 > lastMatchEnd || a0 == 0 {
                let match = stride(from: 0, to: slots.count, by: 2).map { k in
                    slots[k] >= 0 && slots[k + 1] >= 0 ? slots[k]..<slots[k + 1] : nil
                }
                out.append(contentsOf: expand(template, subject: subject, match: match).utf8)
            }
            lastMatchEnd = a1
            var width = 0
            if searchPos < bytes.count {
                let b = bytes[searchPos]
                width = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            }
            if searchPos + width > a1 {
                searchPos += width
            } else if searchPos + 1 > a1 {
                searchPos += 1
            } else {
                searchPos = a1
            }
        }
        out.append(contentsOf: bytes[min(lastMatchEnd, bytes.count)...])
        return String(decoding: out, as: UTF8.self)
    }
}
