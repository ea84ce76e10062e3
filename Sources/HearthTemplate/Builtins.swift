import HearthEncoding

/// Go's predefined template functions (`and` and `or` are evaluated lazily by the executor).
enum Builtins {
    static let names: Set<String> = Set(["and", "or"]).union(functions.keys)

    static let functions: [String: TemplateFunction] = [
        "not": { args throws(TemplateFunctionError) in
            try arity("not", args, 1)
            return .bool(!args[0].isTrue)
        },
        "len": { args throws(TemplateFunctionError) in
            try arity("len", args, 1)
            switch args[0] {
            case .string(let s): return .int(Int64(s.utf8.count))
            case .list(let l): return .int(Int64(l.count))
            case .map(let m): return .int(Int64(m.count))
            case .missing: throw TemplateFunctionError("len of nil pointer")
            default: throw TemplateFunctionError("len of type \(args[0].goTypeName)")
            }
        },
        "index": { args throws(TemplateFunctionError) in
            guard !args.isEmpty else { throw .arguments("wrong number of args for index: want at least 1 got 0") }
            var item = args[0]
            for key in args.dropFirst() {
                switch (item, key) {
                case (.list(let l), .int(let i)):
                    guard i >= 0, i < l.count else { throw TemplateFunctionError("index out of range: \(i)") }
                    item = l[Int(i)]
                case (.string(let s), .int(let i)):
                    let bytes = Array(s.utf8)
                    guard i >= 0, i < bytes.count else { throw TemplateFunctionError("index out of range: \(i)") }
                    item = .int(Int64(bytes[Int(i)]))
                case (.map(let m), .string(let k)):
                    item = m[k] ?? (args[0].goTypeName == "map[string]string" ? .string("") : .missing)
                case (.missing, _):
                    throw TemplateFunctionError("index of untyped nil")
                case (.list, _), (.string, _):
                    throw TemplateFunctionError("cannot index slice/array with type \(key.goTypeName)")
                case (.map, _):
                    throw TemplateFunctionError("value has type \(key.goTypeName); should be string")
                default:
                    throw TemplateFunctionError("can't index item of type \(item.goTypeName)")
                }
            }
            return item
        },
        "slice": { args throws(TemplateFunctionError) in
            guard !args.isEmpty, args.count <= 3 else { throw .arguments("wrong number of args for slice: want 1 to 3 got \(args.count)") }
            var bounds: [Int] = []
            for a in args.dropFirst() {
                guard case .int(let i) = a else { throw TemplateFunctionError("cannot index slice/array with type \(a.goTypeName)") }
                bounds.append(Int(i))
            }
            switch args[0] {
            case .string(let s):
                let bytes = Array(s.utf8)
                let lo = bounds.first ?? 0, hi = bounds.count > 1 ? bounds[1] : bytes.count
                guard lo >= 0, lo <= hi, hi <= bytes.count else { throw TemplateFunctionError("index out of range: \(hi)") }
                return .string(String(decoding: bytes[lo..<hi], as: UTF8.self))
            case .list(let l):
                let lo = bounds.first ?? 0, hi = bounds.count > 1 ? bounds[1] : l.count
                guard lo >= 0, lo <= hi, hi <= l.count else { throw TemplateFunctionError("index out of range: \(hi)") }
                return .list(Array(l[lo..<hi]))
            default:
                throw TemplateFunctionError("can't slice item of type \(args[0].goTypeName)")
            }
        },
        "print": { args throws(TemplateFunctionError) in .string(GoFormat.sprint(args)) },
        "println": { args throws(TemplateFunctionError) in .string(GoFormat.sprintln(args)) },
        "printf": { args throws(TemplateFunctionError) in
            guard let first = args.first else { throw .arguments("wrong number of args for printf: want at least 1 got 0") }
            guard case .string(let format) = first else {
                throw .arguments("wrong type for value; expected string; got \(first.goTypeName)")
            }
            return .string(GoFormat.sprintf(format, Array(args.dropFirst())))
        },
        "eq": { args throws(TemplateFunctionError) in
            guard args.count >= 2 else {
                if args.count == 1 { throw TemplateFunctionError("missing argument for comparison") }
                throw .arguments("wrong number of args for eq: want at least 1 got 0")
            }
            for other in args.dropFirst() where try equal(args[0], other) { return .bool(true) }
            return .bool(false)
        },
        "ne": { args throws(TemplateFunctionError) in
            try arity("ne", args, 2)
            return .bool(!(try equal(args[0], args[1])))
        },
        "lt": { args throws(TemplateFunctionError) in
            try arity("lt", args, 2)
            return .bool(try less(args[0], args[1]))
        },
        "le": { args throws(TemplateFunctionError) in
            try arity("le", args, 2)
            if try less(args[0], args[1]) { return .bool(true) }
            return .bool(try equal(args[0], args[1]))
        },
        "gt": { args throws(TemplateFunctionError) in
            try arity("gt", args, 2)
            if try less(args[0], args[1]) { return .bool(false) }
            return .bool(!(try equal(args[0], args[1])))
        },
        "ge": { args throws(TemplateFunctionError) in
            try arity("ge", args, 2)
            return .bool(!(try less(args[0], args[1])))
        },
        "html": { args throws(TemplateFunctionError) in .string(Escaping.html(Escaping.textOf(args))) },
        "js": { args throws(TemplateFunctionError) in .string(Escaping.javaScript(Escaping.textOf(args))) },
        "urlquery": { args throws(TemplateFunctionError) in .string(GoText.queryEscape(Escaping.textOf(args))) },
    ]

    static func arity(_ name: String, _ args: [TemplateValue], _ n: Int) throws(TemplateFunctionError) {
        guard args.count == n else { throw .arguments("wrong number of args for \(name): want \(n) got \(args.count)") }
    }

    private enum Kind { case bool, int, float, string, other }

    private static func kind(_ v: TemplateValue) -> Kind {
        switch v {
        case .bool: .bool
        case .int: .int
        case .float: .float
        case .string: .string
        default: .other
        }
    }

    /// Go's `eq` on basic kinds; a missing value equals nothing and is no error.
    static func equal(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateFunctionError) -> Bool {
        if case .missing = a { return false }
        if case .missing = b { return false }
        let ka = kind(a), kb = kind(b)
        guard ka == kb else { throw TemplateFunctionError("incompatible types for comparison") }
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        default: throw TemplateFunctionError("non-comparable types \(a.goString): \(a.goTypeName), \(b.goTypeName): \(b.goString)")
        }
    }

    static func less(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateFunctionError) -> Bool {
        let ka = kind(a), kb = kind(b)
        guard ka != .other, kb != .other, ka != .bool, kb != .bool else { throw TemplateFunctionError("invalid type for comparison") }
        guard ka == kb else { throw TemplateFunctionError("incompatible types for comparison") }
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.float(let x), .float(let y)): return x < y
        case (.string(let x), .string(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        default: throw TemplateFunctionError("invalid type for comparison")
        }
    }
}

/// `html`, `js` and `urlquery` as Go's text/template escapes.
public enum Escaping {
    /// The text the escapers work on: a lone string as is, else `fmt.Sprint` of the arguments.
    static func textOf(_ args: [TemplateValue]) -> String {
        if args.count == 1, case .string(let s) = args[0] { return s }
        return GoFormat.sprint(args)
    }

    public static func html(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    public static func javaScript(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if c.value < 0x20 {
                    out += "\\u00" + GoText.hex(UInt8(c.value), upper: true)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}
