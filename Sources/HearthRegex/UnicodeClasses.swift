
/// Named classes: POSIX `[:alpha:]` (ASCII, as in Go), Unicode general categories (`\pL`,
/// `\p{Lu}`, computed from the standard library's Unicode properties on first use) and scripts
/// (`\p{Greek}`, from the generated `UnicodeScripts` table, since the standard library has no
/// script property).
enum UnicodeClasses {
    static func posix(_ name: String) -> CharClass? {
        switch name {
        case "alnum": return CharClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A])
        case "alpha": return CharClass([0x41...0x5A, 0x61...0x7A])
        case "ascii": return CharClass([0x00...0x7F])
        case "blank": return CharClass([0x09...0x09, 0x20...0x20])
        case "cntrl": return CharClass([0x00...0x1F, 0x7F...0x7F])
        case "digit": return CharClass([0x30...0x39])
        case "graph": return CharClass([0x21...0x7E])
        case "lower": return CharClass([0x61...0x7A])
        case "print": return CharClass([0x20...0x7E])
        case "punct": return CharClass([0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E])
        case "space": return CharClass([0x09...0x0D, 0x20...0x20])
        case "upper": return CharClass([0x41...0x5A])
        case "word": return CharClass([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
        case "xdigit": return CharClass([0x30...0x39, 0x41...0x46, 0x61...0x66])
        default: return nil
        }
    }

    /// `Any`, a one-letter category (`L`) or a two-letter one (`Lu`).
    static func named(_ name: String) -> CharClass? {
        if name == "Any" { return CharClass([0...CharClass.maxScalar]) }
        if let category = categories[name] { return category }
        guard let ranges = UnicodeScripts.table[name] else { return nil }
        var out = CharClass()
        for part in ranges.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { UInt32($0, radix: 16) }
            if let lo = bounds.first { out.add(lo...(bounds.last ?? lo)) }
        }
        return out
    }

    /// Ranges of every general category (one- and two-letter names), scanned once.
    static let categories: [String: CharClass] = {
        var ranges: [String: [ClosedRange<UInt32>]] = [:]
        var current: String? = nil
        var start: UInt32 = 0
        func close(_ end: UInt32) {
            if let current { ranges[current, default: []].append(start...end) }
        }
        for v in UInt32(0)...CharClass.maxScalar {
            let cat: String
            if let scalar = Unicode.Scalar(v) {
                cat = abbreviation(scalar.properties.generalCategory)
            } else {
                cat = "Cs"
            }
            if cat != current {
                if v > 0 { close(v - 1) }
                current = cat
                start = v
            }
        }
        close(CharClass.maxScalar)
        var out: [String: CharClass] = [:]
        for (k, v) in ranges {
            var c = CharClass()
            for r in v { c.add(r) }
            out[k] = c
        }
        // Go's one-letter groups; "C" leaves out unassigned code points, as Go's does.
        for letter in ["C", "L", "M", "N", "P", "S", "Z"] {
            var group = CharClass()
            for (k, v) in out where k.hasPrefix(letter) && k != "Cn" { group.add(v) }
            out[letter] = group
        }
        return out
    }()

    static func abbreviation(_ c: Unicode.GeneralCategory) -> String {
        switch c {
        case .uppercaseLetter: return "Lu"
        case .lowercaseLetter: return "Ll"
        case .titlecaseLetter: return "Lt"
        case .modifierLetter: return "Lm"
        case .otherLetter: return "Lo"
        case .nonspacingMark: return "Mn"
        case .spacingMark: return "Mc"
        case .enclosingMark: return "Me"
        case .decimalNumber: return "Nd"
        case .letterNumber: return "Nl"
        case .otherNumber: return "No"
        case .connectorPunctuation: return "Pc"
        case .dashPunctuation: return "Pd"
        case .openPunctuation: return "Ps"
        case .closePunctuation: return "Pe"
        case .initialPunctuation: return "Pi"
        case .finalPunctuation: return "Pf"
        case .otherPunctuation: return "Po"
        case .mathSymbol: return "Sm"
        case .currencySymbol: return "Sc"
        case .modifierSymbol: return "Sk"
        case .otherSymbol: return "So"
        case .spaceSeparator: return "Zs"
        case .lineSeparator: return "Zl"
        case .paragraphSeparator: return "Zp"
        case .control: return "Cc"
        case .format: return "Cf"
        case .surrogate: return "Cs"
        case .privateUse: return "Co"
        case .unassigned: return "Cn"
        @unknown default: return "Cn"
        }
    }
}
