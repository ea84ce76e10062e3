import Foundation
import HearthRegex
import Testing

/// Runs testdata/corpus.jsonl: hand-written cases whose answers were recorded from Go's regexp.
@Suite struct RecordedCorpusTests {
    struct Entry: Decodable {
        let pattern: String
        let subject: String
        let error: String?
        let whole: Bool?
        let match: [Int]?
    }

    static let entries: [Entry] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata/corpus.jsonl")
        guard let data = try? Data(contentsOf: url) else { return [] }
        return data.split(separator: 0x0A).compactMap { try? JSONDecoder().decode(Entry.self, from: Data($0)) }
    }()

    @Test func everyRecordedCaseAgrees() throws {
        #expect(Self.entries.count > 150)
        var failures: [String] = []
        for e in Self.entries {
            let re: RE2
            do throws(RegexError) { re = try RE2(e.pattern) } catch {
                if e.error == nil { failures.append("/\(e.pattern)/ rejected: \(error)") }
                else if error.description != e.error { failures.append("/\(e.pattern)/: \(error) vs Go's \(e.error!)") }
                continue
            }
            if let goError = e.error {
                failures.append("/\(e.pattern)/ accepted, Go says \(goError)")
                continue
            }
            if re.wholeMatch(e.subject) != e.whole {
                failures.append("/\(e.pattern)/ on \(e.subject.debugDescription): whole \(!e.whole!)")
            }
            let ours = re.firstMatch(in: e.subject).map { $0.flatMap { $0.map { [$0.lowerBound, $0.upperBound] } ?? [-1, -1] } }
            if ours != e.match {
                failures.append("/\(e.pattern)/ on \(e.subject.debugDescription): \(String(describing: ours)) vs Go's \(String(describing: e.match))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
    }
}
