/// Simple case folding: the scalars `(?i)` treats as equal to a given one.
///
/// Built from the standard library's case mappings (lowercase, uppercase, titlecase when each
/// is a single scalar), closed into orbits, so that `k`, `K` and KELVIN SIGN fold together as in
/// Go. Go uses CaseFolding.txt's simple foldings; the two agree except on a few rare scalars.
enum CaseFolding {
    /// Every scalar equivalent to `c` under simple folding, including `c`.
    static func orbit(_ c: UInt32) -> [UInt32] {
        if c < 0x80 {
            if c >= 0x41 && c <= 0x5A { return c == 0x4B ? [c, c + 32, 0x212A] : (c == 0x53 ? [c, c + 32, 0x17F] : [c, c + 32]) }
            if c >= 0x61 && c <= 0x7A { return c == 0x6B ? [c - 32, c, 0x212A] : (c == 0x73 ? [c - 32, c, 0x17F] : [c - 32, c]) }
            return [c]
        }
        return table[c] ?? [c]
    }

    /// Every scalar with case variants and its orbit, ASCII included, sorted by scalar.
    static let all: [(UInt32, [UInt32])] = {
        var out: [(UInt32, [UInt32])] = []
        for c in UInt32(0x41)...0x7A where (c <= 0x5A || c >= 0x61) { out.append((c, orbit(c))) }
        for (c, o) in table { out.append((c, o)) }
        return out.sorted { $0.0 < $1.0 }
    }()

    /// Orbits of every non-ASCII cased scalar, computed once.
    static let table: [UInt32: [UInt32]] = {
        var groups: [UInt32: Set<UInt32>] = [:]
        func single(_ s: String) -> UInt32? {
            let u = s.unicodeScalars
            return u.count == 1 ? u.first!.value : nil
        }
        for v in UInt32(0)...0x1FFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            let p = s.properties
            guard p.changesWhenCaseMapped else { continue }
            var members: Set<UInt32> = [v]
            for m in [p.lowercaseMapping, p.uppercaseMapping, p.titlecaseMapping] {
                if let x = single(m) { members.insert(x) }
            }
            // Union the orbits of every member.
            var all = members
            for m in members { all.formUnion(groups[m] ?? []) }
            for m in all { groups[m] = all }
        }
        var out: [UInt32: [UInt32]] = [:]
        for (k, v) in groups where v.count > 1 { out[k] = v.sorted() }
        return out
    }()
}
