import HearthPromQLParser
import Testing

@Suite struct LexerTests {
    func kinds(_ q: String) throws -> [Token.Kind] {
        try Lexer.tokens(q).map(\.kind)
    }

    func texts(_ q: String) throws -> [String] {
        try Lexer.tokens(q).dropLast().map(\.text)
    }

    @Test func aTypicalQuery() throws {
        let q = #"sum by (job) (rate(http_requests_total{job=~"api|web", code!="500"}[5m] offset 1h))"#
        #expect(try kinds(q) == [
            .aggregator("sum"), .keyword(.by), .leftParen, .identifier, .rightParen, .leftParen, .identifier, .leftParen,
            .identifier, .leftBrace, .identifier, .regexMatch, .string, .comma, .identifier, .notEqual, .string,
            .rightBrace, .leftBracket, .duration, .rightBracket, .keyword(.offset), .duration, .rightParen, .rightParen, .eof,
        ])
        #expect(try texts(q)[12] == "api|web")
    }

    @Test func keywordsAreCaseInsensitiveAndOnlyOutsideBraces() throws {
        #expect(try kinds("SUM BY (a) (x) AND ON(b) y") == [
            .aggregator("sum"), .keyword(.by), .leftParen, .identifier, .rightParen, .leftParen, .identifier,
            .rightParen, .keyword(.and), .keyword(.on), .leftParen, .identifier, .rightParen, .identifier, .eof,
        ])
        #expect(try kinds(#"{by="x", and="y", sum="z"}"#) == [
            .leftBrace, .identifier, .assign, .string, .comma, .identifier, .assign, .string, .comma,
            .identifier, .assign, .string, .rightBrace, .eof,
        ])
    }

    @Test(arguments: ["1", "1.5", ".5", "5.", "1e3", "1E-3", "12.34e+6", "0x1F", "0XaB", "Inf", "nan", "NaN", "-inf"])
    func numbers(_ n: String) throws {
        let t = try Lexer.tokens(n).filter { $0.kind == .number }
        #expect(t.count == 1, "\(n)")
    }

    @Test(arguments: ["5m", "1h30m", "500ms", "1y", "2w", "10s", "1d12h"])
    func durations(_ d: String) throws {
        #expect(try kinds(d) == [.duration, .eof])
    }

    @Test func subqueryBrackets() throws {
        #expect(try kinds("x[5m:1m]") == [.identifier, .leftBracket, .duration, .colon, .duration, .rightBracket, .eof])
        #expect(try kinds("x[5m:]") == [.identifier, .leftBracket, .duration, .colon, .rightBracket, .eof])
    }

    @Test func identifiers() throws {
        #expect(try kinds("job:rate5m:sum") == [.metricIdentifier, .eof])
        #expect(try kinds("node_cpu_seconds_total") == [.identifier, .eof])
        #expect(try kinds(":weird") == [.metricIdentifier, .eof])
    }

    @Test func stringsTakeGoEscapes() throws {
        #expect(try texts(#""a\nb\t\"q\" \x41\u00e9\U0001F600\101""#) == ["a\nb\t\"q\" Aé😀A"])
        #expect(try texts(#"'it\'s'"#) == ["it's"])
        #expect(try texts(#"`raw \n "x"`"#) == [#"raw \n "x""#])
    }

    @Test func comments() throws {
        #expect(try kinds("x # a comment\n+ 1") == [.identifier, .add, .number, .eof])
    }

    @Test func operators() throws {
        #expect(try kinds("a == b != c < d <= e > f >= g + h - i * j / k % l ^ m @ 10") == [
            .identifier, .equal, .identifier, .notEqual, .identifier, .less, .identifier, .lessOrEqual, .identifier,
            .greater, .identifier, .greaterOrEqual, .identifier, .add, .identifier, .sub, .identifier, .mul,
            .identifier, .div, .identifier, .mod, .identifier, .pow, .identifier, .at, .number, .eof,
        ])
    }

    @Test(arguments: [
        ("(x", "unclosed left parenthesis"), ("x)", "unexpected right parenthesis ')'"), ("x[5m", "unexpected end of input in duration expression"),
        ("$", "unexpected character: '$'"), ("\"abc", "unterminated quoted string"), ("1.5x", "bad number or duration syntax: \"1.5\""),
        ("x =~ y", "unexpected character after '=': '~'"), (#""\q""#, "unknown escape sequence U+0071 'q'"), ("x]", "unexpected right bracket ']'"),
        ("é", "unexpected character: 'é'"),
    ])
    func errors(_ query: String, _ message: String) {
        do {
            _ = try Lexer.tokens(query)
            Issue.record("\(query) lexed without error")
        } catch {
            #expect(error.message == message, "\(query)")
        }
    }

    @Test func errorPositionsReadLikePrometheus() {
        do { _ = try Lexer.tokens("sum(x)\n  + $") } catch {
            #expect(error.describe(in: "sum(x)\n  + $") == "2:5: parse error: unexpected character: '$'")
        }
    }
}
