import HearthAgent
import HearthModel
import HearthRemoteProtocol
import HearthScrape
import HearthTestSupport
import Logging
import Testing

/// A remote-write round takes the agent's labels straight from its symbol store
/// (`writeLabels`); that must be the same labels `resolveLabels` builds.
@Suite struct AgentStorageLabelsTests {
    /// Records what a sink is handed.
    struct Recorder: LabelSetSink {
        var sets: [(UInt64, [Label])] = []
        mutating func beginSet(ref: UInt64) { sets.append((ref, [])) }
        mutating func label(name: String, value: String) { sets[sets.count - 1].1.append(Label(name, value)) }
        mutating func endSet() {}
    }

    @Test func writeLabelsHandsOverWhatResolveLabelsGives() throws {
        let dir = TemporaryDirectory("hearth-agent-labels")
        let storage = try AgentStorage(options: AgentStorage.Options(path: dir.path), logger: Logger(label: "test"))
        defer { try? storage.close() }
        let app = storage.appender()
        var refs: [UInt64] = []
        for i in 0..<300 {
            var labels = ["__name__": "m\(i % 3)", "instance": "10.0.0.\(i % 50):9100", "path": "/p/\(i)"]
            if i % 4 == 0 { labels["extra"] = "é\(i)" }  // a second shape
            refs.append(try app.append(0, Labels(labels), 1000, Double(i)))
        }
        try app.commit()
        let asked = refs.reversed() + [999_999]  // any order; an unknown ref is left out
        var resolved: [UInt64: Labels] = [:]
        storage.resolveLabels(Array(asked), into: &resolved)
        var recorder = Recorder()
        storage.writeLabels(Array(asked), to: &recorder)
        #expect(recorder.sets.count == 300)
        #expect(recorder.sets.map(\.0) == Array(refs.reversed()))
        for (ref, labels) in recorder.sets {
            #expect(Labels(sorted: labels) == resolved[ref])
        }
    }
}
