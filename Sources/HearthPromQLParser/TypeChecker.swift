/// Prometheus's static checks of a parsed expression, with its messages.
enum TypeChecker {
    static func fail(_ message: String, _ start: Int, _ end: Int) -> PromQLParseError {
        PromQLParseError(start: start, end: end, message: message)
    }

    static func check(_ e: Expr, start: Int, end: Int, experimental: Bool) throws(PromQLParseError) {
        switch e {
        case .number, .string, .vectorSelector, .matrixSelector:
            return
        case .paren(let inner):
            try check(inner, start: start, end: end, experimental: experimental)
        case .unary(_, let inner):
            try check(inner, start: start, end: end, experimental: experimental)
            guard inner.type == .scalar || inner.type == .vector else {
                throw fail("unary expression only allowed on expressions of type scalar or instant vector, got \(Format.quote(inner.type.documentedName))", start, end)
            }
        case .subquery(let inner, _, _, _, _):
            try check(inner, start: start, end: end, experimental: experimental)
            guard inner.type == .vector else {
                throw fail("subquery is only allowed on instant vector, got \(inner.type.rawValue) instead", start, end)
            }
        case .call(let name, let args):
            for a in args { try check(a, start: start, end: end, experimental: experimental) }
            guard let f = FunctionSignature.all[name] else { throw fail("unknown function with name \"\(name)\"", start, end) }
            if f.experimental && !experimental { throw fail("function \"\(name)\" is not enabled", start, end) }
            let n = f.argumentTypes.count
            if f.variadic == 0 {
                guard args.count == n else {
                    throw fail("expected \(n) argument(s) in call to \"\(name)\", got \(args.count)", start, end)
                }
            } else {
                let required = n - 1
                if args.count < required {
                    throw fail("expected at least \(required) argument(s) in call to \"\(name)\", got \(args.count)", start, end)
                }
                if f.variadic > 0 && args.count > required + f.variadic {
                    throw fail("expected at most \(required + f.variadic) argument(s) in call to \"\(name)\", got \(args.count)", start, end)
                }
            }
            for (i, a) in args.enumerated() {
                let want = f.argumentTypes[min(i, n - 1)]
                var got = a.type
                if got == .scalar && want == .vector, case .number = a.unwrapped { got = .scalar }
                guard got == want else {
                    throw fail("expected type \(want.documentedName) in call to function \"\(name)\", got \(got.documentedName)", start, end)
                }
            }
        case .aggregate(let op, let expr, let param, _, _, _):
            try check(expr, start: start, end: end, experimental: experimental)
            guard expr.type == .vector else {
                throw fail("expected type instant vector in aggregation expression, got \(expr.type.documentedName)", start, end)
            }
            if let param {
                try check(param, start: start, end: end, experimental: experimental)
                let want: ValueType = op == "count_values" ? .string : .scalar
                guard param.type == want else {
                    throw fail("expected type \(want.documentedName) in aggregation parameter, got \(param.type.documentedName)", start, end)
                }
            }
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            try check(lhs, start: start, end: end, experimental: experimental)
            try check(rhs, start: start, end: end, experimental: experimental)
            for side in [lhs, rhs] where side.type != .scalar && side.type != .vector {
                throw fail("binary expression must contain only scalar and instant vector types", start, end)
            }
            if returnBool && !op.isComparison {
                throw fail("bool modifier can only be used on comparison operators", start, end)
            }
            if op.isComparison && !returnBool && lhs.type == .scalar && rhs.type == .scalar {
                throw fail("comparisons between scalars must use BOOL modifier", start, end)
            }
            if let m = matching, m.on, let repeated = m.labels.first(where: m.include.contains) {
                throw fail("label \(Format.quote(repeated)) must not occur in ON and GROUP clause at once", start, end)
            }
            if let m = matching {
                if lhs.type != .vector || rhs.type != .vector {
                    throw fail("vector matching only allowed between instant vectors", start, end)
                }
                if op.isSetOperator && m.cardinality != .oneToOne {
                    throw fail("no grouping allowed for \"\(op.rawValue)\" operation", start, end)
                }
            }
            if op.isSetOperator && (lhs.type == .scalar || rhs.type == .scalar) {
                throw fail("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", start, end)
            }
        }
    }
}

extension Expr {
    /// The expression without enclosing parentheses.
    var unwrapped: Expr {
        if case .paren(let inner) = self { return inner.unwrapped }
        return self
    }
}
