import HearthPromQLParser
import Testing

@Suite struct ParserTests {
    /// Input and the canonical form Prometheus's printer gives it.
    @Test(arguments: [
        (#"sum by (job) (rate(http_requests_total{job=~"api|web"}[5m]))"#, #"sum by (job) (rate(http_requests_total{job=~"api|web"}[5m]))"#),
        ("sum(x) by (job)", "sum by (job) (x)"),
        ("SUM WITHOUT(a,b)(x)", "sum without (a, b) (x)"),
        ("sum by () (x)", "sum by () (x)"),
        ("topk(5, x)", "topk(5, x)"),
        ("count_values(\"v\", x)", "count_values(\"v\", x)"),
        ("quantile by (le) (0.9, x)", "quantile by (le) (0.9, x)"),
        ("a + on(b) group_left(c) d", "a + on (b) group_left (c) d"),
        ("a / ignoring(b) group_right d", "a / ignoring (b) group_right () d"),
        ("a and on() b", "a and on () b"),
        ("a > bool b", "a > bool b"),
        ("x offset 5m", "x offset 5m"),
        ("x[5m] offset -1h", "x[5m] offset -1h"),
        ("x @ 100", "x @ 100.000"),
        ("x @ start()", "x @ start()"),
        ("x @ end() offset 1m", "x @ end() offset 1m"),
        ("x offset 1m @ 1.5", "x @ 1.500 offset 1m"),
        ("rate(x[5m])[1h:5m]", "rate(x[5m])[1h:5m]"),
        ("x[1h:]", "x[1h:]"),
        ("max_over_time(deriv(rate(x[1m])[5m:1m])[10m:])", "max_over_time(deriv(rate(x[1m])[5m:1m])[10m:])"),
        ("x[90m]", "x[1h30m]"),
        ("x[2d]", "x[2d]"),
        ("x[300]", "x[5m]"),
        ("-2^2", "-2 ^ 2"),
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("2 ^ 3 ^ 2", "2 ^ 3 ^ 2"),
        ("1e6", "1000000"),
        ("0x10", "16"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1e-7", "0.0000001"),
        ("inf", "+Inf"),
        ("-Inf", "-Inf"),
        ("NaN", "NaN"),
        ("5m", "300"),
        ("'a\"b'", #""a\"b""#),
        (#"{"my.metric"}"#, #"{"my.metric"}"#),
        (#"{"my.metric", "label.name"="x"}"#, #"{"my.metric", "label.name"="x"}"#),
        (#"{__name__="up"}"#, #"{__name__="up"}"#),
        ("job:rate5m:sum", "job:rate5m:sum"),
        ("x # comment", "x"),
        ("by", "by"),
        ("label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")", #"label_replace(up, "a", "$1", "b", "(.*)")"#),
        ("time()", "time()"),
        ("vector(1)", "vector(1)"),
        ("-x", "-x"),
        ("+1", "1"),
        ("1 - -1", "1 - -1"),
    ])
    func printsCanonically(_ input: String, _ canonical: String) throws {
        let e = try Parser.parse(input)
        #expect(e.description == canonical)
        // The canonical form parses to the same tree.
        #expect(try Parser.parse(canonical) == e)
    }

    @Test func precedenceAndAssociativity() throws {
        guard case .binary(.or, _, let rhs, _, _) = try Parser.parse("a or b and c") else { Issue.record("or"); return }
        guard case .binary(.and, _, _, _, _) = rhs else { Issue.record("and binds tighter"); return }
        guard case .binary(.sub, let l, _, _, _) = try Parser.parse("a - b - c") else { Issue.record("-"); return }
        guard case .binary(.sub, _, _, _, _) = l else { Issue.record("- is left-associative"); return }
        guard case .binary(.pow, _, let r, _, _) = try Parser.parse("a ^ b ^ c") else { Issue.record("^"); return }
        guard case .binary(.pow, _, _, _, _) = r else { Issue.record("^ is right-associative"); return }
        guard case .unary(true, .binary(.pow, _, _, _, _)) = try Parser.parse("-a ^ b") else { Issue.record("-a^b"); return }
        guard case .binary(.mul, .unary(true, _), _, _, _) = try Parser.parse("-a * b") else { Issue.record("-a*b"); return }
        guard case .binary(.equal, _, _, true, _) = try Parser.parse("a == bool 1") else { Issue.record("bool"); return }
    }

    @Test(arguments: [
        ("rate(x)", "expected type range vector in call to function \"rate\", got instant vector"),
        ("foo(x)", "unknown function with name \"foo\""),
        ("sum(x[5m])", "expected type instant vector in aggregation expression, got range vector"),
        ("topk(x, y)", "expected type scalar in aggregation parameter, got instant vector"),
        ("count_values(1, x)", "expected type string in aggregation parameter, got scalar"),
        ("1 == 1", "comparisons between scalars must use BOOL modifier"),
        ("1 + bool 2", "bool modifier can only be used on comparison operators"),
        ("x and 1", "set operator \"and\" not allowed in binary scalar expression"),
        ("x[5m] + 1", "binary expression must contain only scalar and instant vector types"),
        ("{}", "vector selector must contain at least one non-empty matcher"),
        (#"{job=""}"#, "vector selector must contain at least one non-empty matcher"),
        (#"{job=~".*"}"#, "vector selector must contain at least one non-empty matcher"),
        ("x offset 5m offset 1m", "offset may not be set multiple times"),
        ("1 offset 5m", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"),
        ("x @ 1 @ 2", "@ <timestamp> may not be set multiple times"),
        ("time(1)", "expected 0 argument(s) in call to \"time\", got 1"),
        ("label_join()", "expected at least 3 argument(s) in call to \"label_join\", got 0"),
        ("round(x, 1, 2)", "expected at most 2 argument(s) in call to \"round\", got 3"),
        (#"x{a=~"("}"#, "invalid regular expression \"(\": error parsing regexp: missing closing ): `(?s:()`"),
        (#"x{__name__="y"}"#, "metric name must not be set twice: \"x\" or \"y\""),
        ("sum(x, y)", "wrong number of arguments for aggregate expression provided, expected 1, got 2"),
        ("sum()", "no arguments for aggregate expression provided"),
        ("-\"a\"", "unary expression only allowed on expressions of type scalar or instant vector, got \"string\""),
        ("rate(x[5m])[5m]", "ranges only allowed for vector selectors"),
        ("x[5m][1h:]", "subquery is only allowed on instant vector, got matrix instead"),
        ("sum by (a) x", "unexpected identifier \"x\" in aggregation"),
        ("x +", "unexpected end of input"),
        ("(x", "unclosed left parenthesis"),
    ])
    func rejectsWithPrometheusMessages(_ query: String, _ message: String) {
        do {
            let e = try Parser.parse(query)
            Issue.record("\(query) parsed as \(e)")
        } catch {
            #expect(error.message == message, "\(query)")
        }
    }
}
