import HearthModel
import HearthPromQLParser

extension Evaluator {
    func evalBinary(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr, returnBool: Bool, matching: VectorMatching?) throws(QueryError) -> Matrix {
        switch (lhs.type, rhs.type) {
        case (.scalar, .scalar):
            return try rangeEval([lhs, rhs]) { (v, _, _) throws(QueryError) in
                [VectorSample(labels: Labels(), f: scalarBinop(op, v[0][0].f, v[1][0].f))]
            }
        case (.vector, .vector):
            var m = matching ?? VectorMatching()
            if op.isSetOperator { m.cardinality = .manyToMany }
            let state = BinopState()
            return try rangeEval([lhs, rhs], matching: m) { (v, sigs, _) throws(QueryError) in
                switch op {
                case .and: return vectorAnd(v[0], v[1], sigs[0], sigs[1])
                case .or: return vectorOr(v[0], v[1], sigs[0], sigs[1])
                case .unless: return vectorUnless(v[0], v[1], sigs[0], sigs[1])
                default: return try vectorBinop(op, v[0], v[1], sigs[0], sigs[1], matching: m, returnBool: returnBool, state: state)
                }
            }
        case (.vector, .scalar):
            return try vectorScalar(op, vector: evalMatrix(lhs), scalar: evalMatrix(rhs), swap: false, returnBool: returnBool)
        case (.scalar, .vector):
            return try vectorScalar(op, vector: evalMatrix(rhs), scalar: evalMatrix(lhs), swap: true, returnBool: returnBool)
        default:
            throw .execution("invalid operand types for binary operator \(op.rawValue)")
        }
    }

    private func vectorAnd(_ lhs: Vector, _ rhs: Vector, _ ls: [Int], _ rs: [Int]) -> Vector {
        if lhs.isEmpty || rhs.isEmpty { return [] }
        let present = Set(rs)
        return lhs.indices.filter { present.contains(ls[$0]) }.map { lhs[$0] }
    }

    private func vectorOr(_ lhs: Vector, _ rhs: Vector, _ ls: [Int], _ rs: [Int]) -> Vector {
        if lhs.isEmpty { return rhs }
        if rhs.isEmpty { return lhs }
        let present = Set(ls)
        return lhs + rhs.indices.filter { !present.contains(rs[$0]) }.map { rhs[$0] }
    }

    private func vectorUnless(_ lhs: Vector, _ rhs: Vector, _ ls: [Int], _ rs: [Int]) -> Vector {
        if lhs.isEmpty || rhs.isEmpty { return lhs }
        let present = Set(rs)
        return lhs.indices.filter { !present.contains(ls[$0]) }.map { lhs[$0] }
    }

    /// Arithmetic and comparison between two vectors: one-to-one, or many-to-one/one-to-many
    /// with `group_left`/`group_right`, with Prometheus's errors for ambiguous matches.
    private func vectorBinop(
        _ op: BinaryOp, _ lhsIn: Vector, _ rhsIn: Vector, _ lsIn: [Int], _ rsIn: [Int],
        matching: VectorMatching, returnBool: Bool, state: BinopState
    ) throws(QueryError) -> Vector {
        if lhsIn.isEmpty || rhsIn.isEmpty { return [] }
        let swapped = matching.cardinality == .oneToMany
        let (lhs, rhs, ls, rs) = swapped ? (rhsIn, lhsIn, rsIn, lsIn) : (lhsIn, rhsIn, lsIn, rsIn)

        // The "one" side, by signature.
        state.one.removeAll(keepingCapacity: true)
        for (i, r) in rhs.enumerated() {
            if let previous = state.one[rs[i]] {
                let side = swapped ? "left" : "right"
                let group = matchLabels(r.labels, matching)
                var pair = [r.labels.promString, rhs[previous].labels.promString]
                if pair[0] > pair[1] { pair.swapAt(0, 1) }
                throw .execution(
                    "found duplicate series for the match group \(group.promString) on the \(side) hand-side of the operation: [\(pair[0]), \(pair[1])];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            state.one[rs[i]] = i
        }

        state.matched.removeAll(keepingCapacity: true)
        var out: Vector = []
        out.reserveCapacity(lhs.count)
        for (i, l) in lhs.enumerated() {
            guard let ri = state.one[ls[i]] else { continue }
            let r = rhs[ri]
            var (fl, fr) = (l.f, r.f)
            if swapped { swap(&fl, &fr) }
            var (value, keep) = vectorElementBinop(op, fl, fr)
            if returnBool {
                value = keep ? 1 : 0
            }
            // The pair of input series identifies the output series and its labels.
            let id = l.id >= 0 && r.id >= 0 && l.id < 1 << 31 && r.id < 1 << 31 ? l.id << 32 | r.id : -1
            let (metric, metricKey) = state.result(id: id) {
                resultMetric(l.labels, r.labels, op: op, matching: matching)
            }
            if matching.cardinality == .oneToOne {
                if !state.matched.insert(ls[i]).inserted {
                    throw .execution("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            } else if !state.matched.insert(ls[i] << 32 | metricKey).inserted {
                throw .execution("multiple matches for labels: grouping labels must ensure unique matches")
            }
            if !keep && !returnBool { continue }
            out.append(VectorSample(labels: metric, t: l.t, f: value, dropName: returnBool, id: id))
        }
        return out
    }

    /// The labels of a result: the "many" side's, reduced to the matching labels for one-to-one
    /// matching, plus the `group_x` labels from the "one" side.
    private func resultMetric(_ lhs: Labels, _ rhs: Labels, op: BinaryOp, matching: VectorMatching) -> Labels {
        var result = lhs
        if op.changesMetricSchema { result = result.droppingMetricName() }
        if matching.cardinality == .oneToOne {
            let names = Set(matching.labels)
            result = matching.on ? result.keeping(names) : result.removing(names)
        }
        for name in matching.include {
            result = result.setting(name, rhs[name] ?? "")
        }
        return result
    }

    private func matchLabels(_ labels: Labels, _ matching: VectorMatching) -> Labels {
        let names = Set(matching.labels)
        return matching.on ? labels.keeping(names) : labels.removing(names.union([Labels.metricName]))
    }

    /// A vector and a scalar: series by series (a scalar has a value at every step), without
    /// gathering steps, since the labels of each series stay as they are.
    private func vectorScalar(_ op: BinaryOp, vector: Matrix, scalar: Matrix, swap: Bool, returnBool: Bool) throws(QueryError) -> Matrix {
        let scalars = scalar.first?.floats ?? []
        var out: Matrix = []
        out.reserveCapacity(vector.count)
        for series in vector {
            try context.checkDeadline()
            var result = Series(labels: series.labels, dropName: series.dropName || op.changesMetricSchema || returnBool)
            result.floats.reserveCapacity(series.floats.count)
            for p in series.floats {
                let step = Int((p.t - start) / interval)
                guard step < scalars.count else { continue }
                let (l, r) = swap ? (scalars[step].f, p.f) : (p.f, scalars[step].f)
                var (value, keep) = vectorElementBinop(op, l, r)
                // A comparison keeps the vector's value even when the scalar is on the left.
                if op.isComparison && swap { value = r }
                if returnBool {
                    value = keep ? 1 : 0
                    keep = true
                }
                if keep { result.floats.append(FPoint(t: p.t, f: value)) }
            }
            if !result.floats.isEmpty { out.append(result) }
        }
        return out
    }
}

/// What a vector-vector operation keeps across steps: result labels by input pair, and the
/// per-step tables, reused to avoid allocating at every step.
final class BinopState {
    /// Result labels and their interned key, by the pair of input series ids.
    private var byPair: [Int: (Labels, Int)] = [:]
    private var keys: [Labels: Int] = [:]
    var one: [Int: Int] = [:]
    var matched = Set<Int>()

    func result(id: Int, _ make: () -> Labels) -> (Labels, Int) {
        if id >= 0, let r = byPair[id] { return r }
        let labels = make()
        let key: Int
        if let k = keys[labels] {
            key = k
        } else {
            key = keys.count
            keys[labels] = key
        }
        if id >= 0 { byPair[id] = (labels, key) }
        return (labels, key)
    }
}

/// An operator applied to two scalars (comparisons give 1 or 0).
func scalarBinop(_ op: BinaryOp, _ l: Double, _ r: Double) -> Double {
    switch op {
    case .add: return l + r
    case .sub: return l - r
    case .mul: return l * r
    case .div: return l / r
    case .pow: return Math.pow(l, r)
    case .mod: return Math.fmod(l, r)
    case .atan2: return Math.atan2(l, r)
    case .equal: return l == r ? 1 : 0
    case .notEqual: return l != r ? 1 : 0
    case .greater: return l > r ? 1 : 0
    case .less: return l < r ? 1 : 0
    case .greaterOrEqual: return l >= r ? 1 : 0
    case .lessOrEqual: return l <= r ? 1 : 0
    case .and, .or, .unless: return .nan
    }
}

/// An operator applied to two vector elements: the value and whether the element is kept
/// (comparisons filter and keep the left value).
func vectorElementBinop(_ op: BinaryOp, _ l: Double, _ r: Double) -> (Double, Bool) {
    switch op {
    case .equal: return (l, l == r)
    case .notEqual: return (l, l != r)
    case .greater: return (l, l > r)
    case .less: return (l, l < r)
    case .greaterOrEqual: return (l, l >= r)
    case .lessOrEqual: return (l, l <= r)
    default: return (scalarBinop(op, l, r), true)
    }
}

extension BinaryOp {
    /// Arithmetic changes what a metric means, so the result loses its name.
    var changesMetricSchema: Bool {
        switch self {
        case .add, .sub, .mul, .div, .mod, .pow, .atan2: return true
        default: return false
        }
    }
}

extension Labels {
    /// Prometheus's `labels.String()`: `{a="b", c="d"}` with Go-quoted values, `__name__` included.
    public var promString: String {
        "{" + map { l in
            let name = l.name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
                ? l.name : quoteLikeGo(l.name)
            return name + "=" + quoteLikeGo(l.value)
        }.joined(separator: ", ") + "}"
    }
}
