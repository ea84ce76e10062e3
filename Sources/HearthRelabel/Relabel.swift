import HearthModel
import HearthRegex

/// Applies relabeling steps to a label set, as Prometheus's `relabel.Process`: steps run in
/// order on the result of the previous one; `keep`/`drop`/`keepequal`/`dropequal` can drop the
/// whole set (nil). Labels with empty values are absent afterwards.
public enum Relabel {
    public static func process(_ labels: Labels, _ configs: [RelabelConfig]) -> Labels? {
        guard !configs.isEmpty else { return labels }
        var builder = Array(labels)
        for config in configs {
            guard apply(config, to: &builder) else { return nil }
        }
        return Labels(sortedDroppingEmpty: builder)
    }

    /// One step; false means the label set is dropped.
    static func apply(_ c: RelabelConfig, to labels: inout [Label]) -> Bool {
        let value = c.sourceLabels.map { get(labels, $0) }.joined(separator: c.separator)
        switch c.action {
        case .drop:
            if c.regex.wholeMatch(value) { return false }
        case .keep:
            if !c.regex.wholeMatch(value) { return false }
        case .dropequal:
            if get(labels, c.targetLabel) == value { return false }
        case .keepequal:
            if get(labels, c.targetLabel) != value { return false }
        case .replace:
            guard let match = c.regex.firstMatch(in: value) else { break }
            let target = c.regex.expand(c.targetLabel, subject: value, match: match)
            guard LabelName.isValid(target) else { break }
            let result = c.regex.expand(c.replacement, subject: value, match: match)
            set(&labels, target, result)
        case .lowercase:
            set(&labels, c.targetLabel, value.lowercased())
        case .uppercase:
            set(&labels, c.targetLabel, value.uppercased())
        case .hashmod:
            let digest = MD5.hash(Array(value.utf8))
            var sum: UInt64 = 0
            for b in digest[8..<16] { sum = sum << 8 | UInt64(b) }
            set(&labels, c.targetLabel, String(sum % c.modulus))
        case .labelmap:
            for l in labels where c.regex.wholeMatch(l.name) {
                guard let match = c.regex.firstMatch(in: l.name) else { continue }
                let name = c.regex.expand(c.replacement, subject: l.name, match: match)
                set(&labels, name, l.value)
            }
        case .labeldrop:
            labels.removeAll { c.regex.wholeMatch($0.name) }
        case .labelkeep:
            labels.removeAll { !c.regex.wholeMatch($0.name) }
        }
        return true
    }

    static func get(_ labels: [Label], _ name: String) -> String {
        for l in labels where l.name == name { return l.value }
        return ""
    }

    /// Sets (or, with an empty value, removes) a label, keeping the array sorted by name.
    static func set(_ labels: inout [Label], _ name: String, _ value: String) {
        if let i = labels.firstIndex(where: { $0.name == name }) {
            if value.isEmpty { labels.remove(at: i) } else { labels[i].value = value }
            return
        }
        guard !value.isEmpty else { return }
        let at = labels.firstIndex { name.utf8Precedes($0.name) } ?? labels.endIndex
        labels.insert(Label(name, value), at: at)
    }
}
