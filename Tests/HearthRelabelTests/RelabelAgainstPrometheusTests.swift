import Foundation
import HearthConfig
import HearthModel
import HearthRelabel
import Testing

/// Target relabeling compared with Debian's Prometheus: `testdata/relabel-cases.json` holds a
/// configuration (a job per case) and the labels and scrape URL Prometheus 2.42 computed for
/// each target, collected by `scripts/collect-relabel-cases.py`. Hearth parses the same
/// configuration and must compute the same.
@Suite struct RelabelAgainstPrometheusTests {
    struct Expected: Decodable {
        var labels: [String: String]?
        var scrapeUrl: String?
        var dropped: Bool?
    }

    struct Recorded: Decodable {
        var prometheus: String
        var config: String
        var targets: [String: Expected]
    }

    @Test func everyTargetAsPrometheusComputedIt() throws {
        let url = try #require(Bundle.module.url(forResource: "testdata/relabel-cases", withExtension: "json"))
        let recorded = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: url))
        let config = try Config(yaml: recorded.config)
        var compared = 0
        for job in config.scrapeConfigs {
            for group in job.staticConfigs {
                for address in group.targets {
                    let key = job.jobName + "/" + address.split(separator: ":").last!
                    let expected = try #require(recorded.targets[key], "\(key) not recorded")
                    switch ScrapeTarget.populate(address: address, group: group, config: job) {
                    case .target(let target):
                        #expect(expected.dropped != true, "\(key): Prometheus dropped it, Hearth kept \(target.publicLabels)")
                        var wantDict = expected.labels ?? [:]
                        // Prometheus 3 anchors relabel regexes as ^(?s:...)$ so `.` matches a
                        // newline; Debian's 2.42 used ^(?:...)$. Hearth follows Prometheus 3.
                        if key == "relabel_regex_features/10131" { wantDict["dot_matches_newline"] = "ok" }
                        let want = Labels(wantDict)
                        #expect(target.publicLabels == want, "\(key)")
                        #expect(target.url(params: job.params) == expected.scrapeUrl, "\(key)")
                    case .dropped:
                        #expect(expected.dropped == true, "\(key): Hearth dropped it, Prometheus kept \(expected.labels ?? [:])")
                    case .invalid(_, let why):
                        Issue.record("\(key): invalid in Hearth: \(why)")
                    }
                    compared += 1
                }
            }
        }
        #expect(compared == recorded.targets.count)
        print("relabel vs \(recorded.prometheus): \(compared) targets compared")
    }

    @Test func invalidConfigsAreRejectedWithPrometheusWording() {
        let cases: [(RelabelAction, String, UInt64, String)] = [
            (.replace, "", 0, "requires 'target_label'"),
            (.hashmod, "x", 0, "non-zero modulus"),
            (.lowercase, "", 0, "requires 'target_label'"),
            (.uppercase, "9bad", 0, "invalid 'target_label'"),
        ]
        for (action, target, modulus, fragment) in cases {
            #expect(throws: RelabelError.self) { try RelabelConfig(modulus: modulus, targetLabel: target, action: action) }
            do { _ = try RelabelConfig(modulus: modulus, targetLabel: target, action: action) } catch {
                #expect(error.message.contains(fragment), "\(error)")
            }
        }
        #expect(throws: RelabelError.self) { try RelabelConfig(sourceLabels: ["a"], action: .labeldrop) }
        #expect(throws: RelabelError.self) { try RelabelConfig(regex: "(unclosed", action: .keep) }
    }

    @Test func processingIsOrderedAndDropsWholeSets() throws {
        let labels = Labels(["__name__": "http_requests_total", "code": "500", "path": "/api"])
        let configs = try [
            RelabelConfig(sourceLabels: ["code"], regex: "5..", targetLabel: "class", replacement: "error"),
            RelabelConfig(sourceLabels: ["class", "path"], separator: "|", targetLabel: "key"),
            RelabelConfig(regex: "path", action: .labeldrop),
        ]
        let out = try #require(Relabel.process(labels, configs))
        #expect(out == Labels(["__name__": "http_requests_total", "code": "500", "class": "error", "key": "error|/api"]))
        #expect(Relabel.process(labels, [try RelabelConfig(sourceLabels: ["__name__"], regex: "http_.*", action: .drop)]) == nil)
    }
}
