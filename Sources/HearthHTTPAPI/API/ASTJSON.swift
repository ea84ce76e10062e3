import HearthChunks
import HearthModel
import HearthPromQL
import HearthPromQLParser
import HearthStorage
import HearthTSDB
import Logging
import NIOCore
import NIOHTTP1

/// The syntax tree as `parse_query` returns it (the shape of Prometheus's `translateAST`, keys in
/// the sorted order Go's JSON encoder gives maps).
enum ASTJSON {
    static func write(_ e: Expr, into w: inout JSONWriter) {
        switch e {
        case .number(let v):
            object(&w, [("type", { $0.string("numberLiteral") }), ("val", { $0.string(formatFloatLikeGo(v)) })])
        case .string(let s):
            object(&w, [("type", { $0.string("stringLiteral") }), ("val", { $0.string(s) })])
        case .paren(let inner):
            object(&w, [("expr", { write(inner, into: &$0) }), ("type", { $0.string("parenExpr") })])
        case .unary(let negative, let inner):
            object(&w, [("expr", { write(inner, into: &$0) }), ("op", { $0.string(negative ? "-" : "+") }),
                        ("type", { $0.string("unaryExpr") })])
        case .vectorSelector(let vs):
            object(&w, selectorFields(vs) + [("type", { $0.string("vectorSelector") })])
        case .matrixSelector(let vs, let range):
            object(&w, selectorFields(vs) + [("range", { $0.int(Int(range)) }), ("rangeExpr", { $0.null() }),
                                             ("type", { $0.string("matrixSelector") })])
        case .subquery(let inner, let range, let step, let offset, let at):
            object(&w, [("expr", { write(inner, into: &$0) }), ("offset", { $0.int(Int(offset)) }), ("offsetExpr", { $0.null() }),
                        ("range", { $0.int(Int(range)) }), ("rangeExpr", { $0.null() }),
                        ("startOrEnd", { startOrEnd(at, &$0) }), ("step", { $0.int(Int(step ?? 0)) }), ("stepExpr", { $0.null() }),
                        ("timestamp", { timestamp(at, &$0) }), ("type", { $0.string("subquery") })])
        case .call(let name, let args):
            let signature = FunctionSignature.all[name]
            object(&w, [
                ("args", { w in
                    w.beginArray()
                    for a in args { write(a, into: &w) }
                    w.endArray()
                }),
                ("func", { w in
                    object(&w, [
                        ("argTypes", { w in
                            w.beginArray()
                            for t in signature?.argumentTypes ?? [] { w.string(t.rawValue) }
                            w.endArray()
                        }),
                        ("name", { $0.string(name) }),
                        ("returnType", { $0.string(signature?.returnType.rawValue ?? "vector") }),
                        ("variadic", { $0.int(signature?.variadic ?? 0) }),
                    ])
                }),
                ("type", { $0.string("call") }),
            ])
        case .aggregate(let op, let inner, let param, let grouping, let without, _):
            object(&w, [("expr", { write(inner, into: &$0) }), ("grouping", { strings(grouping, &$0) }),
                        ("op", { $0.string(op) }), ("param", { w in if let param { write(param, into: &w) } else { w.null() } }),
                        ("type", { $0.string("aggregation") }), ("without", { $0.bool(without) })])
        case .binary(let op, let lhs, let rhs, let returnBool, let matching):
            object(&w, [
                ("bool", { $0.bool(returnBool) }), ("lhs", { write(lhs, into: &$0) }),
                ("matching", { w in
                    guard let m = matching, lhs.type == .vector && rhs.type == .vector else { return w.null() }
                    let card: String
                    switch op.isSetOperator ? .manyToMany : m.cardinality {
                    case .oneToOne: card = "one-to-one"
                    case .manyToOne: card = "many-to-one"
                    case .oneToMany: card = "one-to-many"
                    case .manyToMany: card = "many-to-many"
                    }
                    object(&w, [("card", { $0.string(card) }),
                                ("fillValues", { w in object(&w, [("lhs", { $0.null() }), ("rhs", { $0.null() })]) }),
                                ("include", { strings(m.include, &$0) }), ("labels", { strings(m.labels, &$0) }),
                                ("on", { $0.bool(m.on) })])
                }),
                ("op", { $0.string(op.rawValue) }), ("rhs", { write(rhs, into: &$0) }), ("type", { $0.string("binaryExpr") }),
            ])
        }
    }

    typealias Field = (String, (inout JSONWriter) -> Void)

    static func object(_ w: inout JSONWriter, _ fields: [Field]) {
        w.beginObject()
        for (k, f) in fields.sorted(by: { $0.0 < $1.0 }) {
            w.key(k)
            f(&w)
        }
        w.endObject()
    }

    static func strings(_ list: [String], _ w: inout JSONWriter) {
        w.beginArray()
        for s in list { w.string(s) }
        w.endArray()
    }

    static func selectorFields(_ vs: VectorSelector) -> [Field] {
        [
            ("anchored", { $0.bool(false) }),
            ("matchers", { w in
                w.beginArray()
                var all = vs.matchers
                if let name = vs.name { all.insert(MatcherSpec(name: "__name__", kind: .equal, value: name), at: 0) }
                for m in all {
                    object(&w, [("name", { $0.string(m.name) }), ("type", { $0.string(m.kind.rawValue) }), ("value", { $0.string(m.value) })])
                }
                w.endArray()
            }),
            ("name", { $0.string(vs.name ?? "") }),
            ("offset", { $0.int(Int(vs.offset)) }),
            ("offsetExpr", { $0.null() }),
            ("smoothed", { $0.bool(false) }),
            ("startOrEnd", { startOrEnd(vs.at, &$0) }),
            ("timestamp", { timestamp(vs.at, &$0) }),
        ]
    }

    static func startOrEnd(_ at: AtModifier?, _ w: inout JSONWriter) {
        switch at {
        case .start: w.string("start")
        case .end: w.string("end")
        default: w.null()
        }
    }

    static func timestamp(_ at: AtModifier?, _ w: inout JSONWriter) {
        if case .timestamp(let t) = at { w.int(Int(t)) } else { w.null() }
    }
}
