import HearthRegex

/// A label-matcher regex on Hearth's RE2 engine, anchored as Prometheus anchors matchers:
/// `^(?s:pattern)$`, so `.` also matches newlines and the whole value must match.
struct RE2LabelRegex: LabelRegex {
    let regex: RE2

    init(pattern: String) throws {
        regex = try RE2("(?s:" + pattern + ")")
    }

    func matches(_ value: String) -> Bool {
        regex.wholeMatch(value)
    }

    var literalSet: [String]? { regex.literalSet }
}
