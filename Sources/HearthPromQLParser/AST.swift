import HearthModel

/// The type of a PromQL expression.
public enum ValueType: String, Sendable {
    case none, scalar, vector, matrix, string

    /// Prometheus's wording in error messages.
    public var documentedName: String {
        switch self {
        case .none: return "none"
        case .scalar: return "scalar"
        case .vector: return "instant vector"
        case .matrix: return "range vector"
        case .string: return "string"
        }
    }
}

/// `@ <timestamp>`, `@ start()` or `@ end()`.
public enum AtModifier: Equatable, Sendable {
    case timestamp(Int64)  // milliseconds
    case start
    case end
}

/// `on(…)`/`ignoring(…)` and `group_left(…)`/`group_right(…)` of a binary operation.
public struct VectorMatching: Equatable, Sendable {
    public enum Cardinality: String, Sendable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality = .oneToOne
    public var on = false
    public var labels: [String] = []
    public var include: [String] = []
    /// Whether `on`/`ignoring` was written (even with no labels).
    public var explicit = false

    public init() {}
}

/// A PromQL expression.
public indirect enum Expr: Equatable, Sendable {
    case number(Double)
    case string(String)
    case vectorSelector(VectorSelector)
    case matrixSelector(VectorSelector, range: Int64)
    case subquery(Expr, range: Int64, step: Int64?, offset: Int64, at: AtModifier?)
    case call(String, [Expr])
    case aggregate(op: String, expr: Expr, param: Expr?, grouping: [String], without: Bool, groupingWritten: Bool)
    case binary(op: BinaryOp, lhs: Expr, rhs: Expr, returnBool: Bool, matching: VectorMatching?)
    case unary(negative: Bool, Expr)
    case paren(Expr)

    public static func == (a: Expr, b: Expr) -> Bool { a.description == b.description }

    /// The expression's type, as Prometheus's type checker sees it.
    public var type: ValueType {
        switch self {
        case .number: return .scalar
        case .string: return .string
        case .vectorSelector: return .vector
        case .matrixSelector, .subquery: return .matrix
        case .call(let name, _): return FunctionSignature.all[name]?.returnType ?? .none
        case .aggregate: return .vector
        case .binary(_, let l, let r, _, _): return l.type == .scalar && r.type == .scalar ? .scalar : .vector
        case .unary(_, let e), .paren(let e): return e.type
        }
    }
}

/// A vector selector: an optional metric name, matchers, `offset` and `@`.
public struct VectorSelector: Equatable, Sendable {
    public var name: String?
    public var matchers: [MatcherSpec]
    public var offset: Int64 = 0
    public var at: AtModifier?

    public static func == (a: VectorSelector, b: VectorSelector) -> Bool {
        a.name == b.name && a.matchers == b.matchers && a.offset == b.offset && a.at == b.at
    }
}

/// A label matcher as written in the query (compiled into a `Matcher` when evaluated).
public struct MatcherSpec: Equatable, Sendable {
    public var name: String
    public var kind: Matcher.Kind
    public var value: String

    public init(name: String, kind: Matcher.Kind, value: String) {
        self.name = name
        self.kind = kind
        self.value = value
    }
}

/// Binary operators with Prometheus's precedence (higher binds tighter).
public enum BinaryOp: String, Sendable, CaseIterable {
    case or, and, unless
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", atan2, pow = "^"

    public var precedence: Int {
        switch self {
        case .or: return 1
        case .and, .unless: return 2
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return 3
        case .add, .sub: return 4
        case .mul, .div, .mod, .atan2: return 5
        case .pow: return 6
        }
    }

    public var isComparison: Bool { precedence == 3 }
    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }
    public var rightAssociative: Bool { self == .pow }
}

extension Expr {
    /// Every vector selector of the expression (those of range selectors too), in the order
    /// written: what a query reads.
    public var selectors: [VectorSelector] {
        var out: [VectorSelector] = []
        collectSelectors(into: &out)
        return out
    }

    private func collectSelectors(into out: inout [VectorSelector]) {
        switch self {
        case .number, .string: break
        case .vectorSelector(let s), .matrixSelector(let s, _): out.append(s)
        case .subquery(let inner, _, _, _, _), .unary(_, let inner), .paren(let inner): inner.collectSelectors(into: &out)
        case .call(_, let args): for a in args { a.collectSelectors(into: &out) }
        case .aggregate(_, let inner, let param, _, _, _):
            inner.collectSelectors(into: &out)
            param?.collectSelectors(into: &out)
        case .binary(_, let l, let r, _, _):
            l.collectSelectors(into: &out)
            r.collectSelectors(into: &out)
        }
    }
}
