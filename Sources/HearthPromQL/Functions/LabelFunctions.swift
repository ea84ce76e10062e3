import HearthModel
import HearthPromQLParser
import HearthRegex

extension Evaluator {
    /// `label_replace(v, dst, replacement, src, regex)`: where `regex` matches the whole of `src`'s
    /// value, sets `dst` to the expanded replacement.
    func labelReplace(_ args: [Expr]) throws(QueryError) -> Matrix {
        let dst = args[1].stringLiteral, replacement = args[2].stringLiteral
        let src = args[3].stringLiteral, pattern = args[4].stringLiteral
        let regex: RE2
        do { regex = try RE2("^(?s:" + pattern + ")$") } catch {
            throw .execution("invalid regular expression in label_replace(): \(pattern)")
        }
        guard isValidLabelName(dst) else { throw .execution("invalid destination label name in label_replace(): \(dst)") }
        var matrix = try evalMatrix(args[0])
        for i in matrix.indices {
            let value = matrix[i].labels[src] ?? ""
            guard let match = regex.firstMatch(in: value) else { continue }
            let result = regex.expand(replacement, subject: value, match: match)
            matrix[i].labels = matrix[i].labels.setting(dst, result)
            if dst == Labels.metricName { matrix[i].dropName = false }
        }
        return try mergeSeriesWithSameLabels(matrix)
    }

    /// `label_join(v, dst, separator, src...)`: sets `dst` to the source values joined.
    func labelJoin(_ args: [Expr]) throws(QueryError) -> Matrix {
        let dst = args[1].stringLiteral, separator = args[2].stringLiteral
        let sources = args.dropFirst(3).map { $0.stringLiteral }
        for s in sources where !isValidLabelName(s) {
            throw .execution("invalid source label name in label_join(): \(s)")
        }
        guard isValidLabelName(dst) else { throw .execution("invalid destination label name in label_join(): \(dst)") }
        var matrix = try evalMatrix(args[0])
        for i in matrix.indices {
            let joined = sources.map { matrix[i].labels[$0] ?? "" }.joined(separator: separator)
            matrix[i].labels = matrix[i].labels.setting(dst, joined)
            if dst == Labels.metricName { matrix[i].dropName = false }
        }
        return try mergeSeriesWithSameLabels(matrix)
    }

    /// Merges series that ended up with the same labels (their steps must not overlap).
    func mergeSeriesWithSameLabels(_ matrix: Matrix) throws(QueryError) -> Matrix {
        var index: [Labels: Int] = [:]
        var out: Matrix = []
        var merged = false
        for s in matrix {
            if let i = index[s.labels] {
                out[i].floats.append(contentsOf: s.floats)
                merged = true
            } else {
                index[s.labels] = out.count
                out.append(s)
            }
        }
        guard merged else { return matrix }
        for i in out.indices {
            out[i].floats.sort { $0.t < $1.t }
            for j in out[i].floats.indices.dropFirst() where out[i].floats[j].t == out[i].floats[j - 1].t {
                throw .execution("vector cannot contain metrics with the same labelset")
            }
        }
        return out
    }
}

/// Whether `name` is a valid label name: any non-empty valid UTF-8 (Prometheus 3's rule).
func isValidLabelName(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.count == name.unicodeScalars.reduce(0) { $0 + UTF8.width($1) }
        && !name.unicodeScalars.contains("\u{FFFD}")
}

extension Expr {
    /// The value of a string literal argument.
    var stringLiteral: String {
        if case .string(let s) = self.unwrappingParens { return s }
        return ""
    }
}
