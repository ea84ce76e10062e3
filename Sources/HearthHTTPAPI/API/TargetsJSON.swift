import HearthModel
import HearthScrape

/// `/api/v1/targets`'s `data` in Prometheus's shape; shared by the server's and the agent's API.
public enum TargetsJSON {
    public static func write(_ w: inout JSONWriter, active: [ScrapeTargetStatus], dropped: [ScrapeTargetStatus]) {
        w.beginObject()
        w.key("activeTargets")
        w.beginArray()
        for t in active {
            w.beginObject()
            w.key("discoveredLabels")
            labels(&w, t.discoveredLabels)
            w.key("labels")
            labels(&w, t.labels)
            w.key("scrapePool")
            w.string(t.scrapePool)
            w.key("scrapeUrl")
            w.string(t.scrapeURL)
            w.key("globalUrl")
            w.string(t.scrapeURL)
            w.key("lastError")
            w.string(t.lastError)
            w.key("lastScrape")
            w.string(t.lastScrape == 0 ? "0001-01-01T00:00:00Z" : TimeParameter.formatRFC3339(t.lastScrape))
            w.key("lastScrapeDuration")
            w.sampleValueNumber(t.lastScrapeDuration)
            w.key("health")
            w.string(t.health)
            w.key("scrapeInterval")
            w.string(t.scrapeInterval)
            w.key("scrapeTimeout")
            w.string(t.scrapeTimeout)
            w.endObject()
        }
        w.endArray()
        w.key("droppedTargets")
        w.beginArray()
        var counts: [String: Int] = [:]
        for t in dropped {
            counts[t.scrapePool, default: 0] += 1
            w.beginObject()
            w.key("discoveredLabels")
            labels(&w, t.discoveredLabels)
            w.endObject()
        }
        w.endArray()
        w.key("droppedTargetCounts")
        w.beginObject()
        for (job, n) in counts.sorted(by: { $0.key < $1.key }) {
            w.key(job)
            w.int(n)
        }
        w.endObject()
        w.endObject()
    }

    static func labels(_ w: inout JSONWriter, _ labels: Labels) {
        w.beginObject()
        for l in labels {
            w.key(l.name)
            w.string(l.value)
        }
        w.endObject()
    }
}
