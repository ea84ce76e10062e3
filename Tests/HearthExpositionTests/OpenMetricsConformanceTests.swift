import Foundation
import HearthExposition
import Testing

/// The OpenMetrics project's parser cases (../shared/openmetrics-tests): each body accepted or
/// rejected as its test.json says, by the scanner plus the strict validator.
@Suite struct OpenMetricsConformanceTests {
    static let root: URL? = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        let shared = dir.deletingLastPathComponent().appendingPathComponent("shared/openmetrics-tests/parsers")
        return FileManager.default.fileExists(atPath: shared.path) ? shared : nil
    }()

    @Test func everyCaseAcceptedOrRejectedAsItsTestSays() throws {
        guard let root = Self.root else {
            print("openmetrics conformance: skipped, ../shared/openmetrics-tests not found")
            return
        }
        let cases = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        var passed = 0
        var failures: [String] = []
        for name in cases {
            let dir = root.appendingPathComponent(name)
            let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("test.json"))) as! [String: Any]
            let body = try [UInt8](Data(contentsOf: dir.appendingPathComponent(spec["file"] as? String ?? "metrics")))
            let shouldParse = spec["shouldParse"] as! Bool
            var error: ExpositionError?
            do throws(ExpositionError) { try OpenMetricsValidator.validate(body) } catch let e { error = e }
            if ProcessInfo.processInfo.environment["OM_VERBOSE"] != nil { print("  \(name): \(error.map { "\($0)" } ?? "ok")") }
            if (error == nil) == shouldParse {
                passed += 1
            } else {
                failures.append("\(name): expected \(shouldParse ? "accept" : "reject"), \(error.map { "rejected: \($0)" } ?? "accepted")")
            }
        }
        print("openmetrics conformance: \(passed)/\(cases.count) cases as expected")
        for f in failures { print("  \(f)") }
        #expect(failures.isEmpty)
    }
}
