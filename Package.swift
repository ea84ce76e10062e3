// swift-tools-version:6.1
import PackageDescription

/// Settings every Hearth target shares: Swift 6 mode (strict concurrency) plus the upcoming
/// features that make existentials and imports visible in review.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Hearth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hearth", targets: ["hearth"]),
        .library(name: "HearthTSDB", targets: ["HearthTSDB"]),
        .library(name: "HearthChunks", targets: ["HearthChunks"]),
        .library(name: "HearthModel", targets: ["HearthModel"]),
        .library(name: "HearthIndex", targets: ["HearthIndex"]),
        .library(name: "HearthBlock", targets: ["HearthBlock"]),
        .library(name: "HearthStorage", targets: ["HearthStorage"]),
        .library(name: "HearthWAL", targets: ["HearthWAL"]),
        .library(name: "HearthRegex", targets: ["HearthRegex"]),
        .library(name: "HearthServer", targets: ["HearthServer"]),
        .library(name: "HearthPromQL", targets: ["HearthPromQL"]),
        .library(name: "HearthPromQLParser", targets: ["HearthPromQLParser"]),
        .library(name: "HearthSnappy", targets: ["HearthSnappy"]),
        .library(name: "HearthRemoteProtocol", targets: ["HearthRemoteProtocol"]),
        .library(name: "HearthExposition", targets: ["HearthExposition"]),
        .library(name: "HearthConfig", targets: ["HearthConfig"]),
        .library(name: "HearthScrape", targets: ["HearthScrape"]),
        .library(name: "HearthRemoteWrite", targets: ["HearthRemoteWrite"]),
        .library(name: "HearthAgent", targets: ["HearthAgent"]),
        .library(name: "HearthTemplate", targets: ["HearthTemplate"]),
        .library(name: "HearthRules", targets: ["HearthRules"]),
        .library(name: "HearthNotifier", targets: ["HearthNotifier"]),
        .library(name: "HearthFuzzTargets", targets: ["HearthFuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // L0: leaf algorithms, standard library only.
        .target(name: "CHearthCRC32C"),
        .target(name: "CHearthMalloc"),
        .target(name: "HearthEncoding", dependencies: ["CHearthCRC32C"], swiftSettings: swiftSettings),
        .target(name: "HearthFileIO", swiftSettings: swiftSettings),
        .target(name: "HearthRegex", exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "HearthSnappy", swiftSettings: swiftSettings),
        .target(name: "HearthTemplate", dependencies: ["HearthEncoding"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // L1: the data model shared by every component.
        .target(name: "HearthModel", dependencies: ["HearthEncoding", "HearthRegex"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // L2: encoders and on-disk formats.
        .target(name: "HearthChunks", dependencies: ["HearthEncoding"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "HearthPromQLParser", dependencies: ["HearthModel", "HearthEncoding"], exclude: ["README.md"],
                swiftSettings: swiftSettings),
        .target(name: "HearthPromQLTesting",
                dependencies: ["HearthModel", "HearthPromQLParser", "HearthPromQL", "HearthChunks", "HearthStorage", "HearthRegex"],
                swiftSettings: swiftSettings),
        .target(name: "HearthIndex", dependencies: ["HearthModel"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "HearthWAL", dependencies: ["HearthEncoding", "HearthFileIO", "HearthModel"], exclude: ["README.md"],
                swiftSettings: swiftSettings),
        .target(name: "HearthStorage", dependencies: ["HearthModel", "HearthChunks"], swiftSettings: swiftSettings),
        .target(name: "HearthRemoteProtocol", dependencies: ["HearthModel", "HearthEncoding"], swiftSettings: swiftSettings),
        // L2: the text exposition formats (OpenMetrics for now).
        .target(name: "HearthExposition", dependencies: ["HearthModel"], swiftSettings: swiftSettings),
        // L2: relabeling, and the configuration file (YAML through Yams).
        .target(name: "HearthRelabel", dependencies: ["HearthModel", "HearthRegex"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "HearthConfig",
                dependencies: ["HearthModel", "HearthEncoding", "HearthFileIO", "HearthRelabel", .product(name: "Yams", package: "Yams")],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L2: an HTTP/1.1 client on SwiftNIO (scrapes, remote write, notifications).
        .target(name: "HearthHTTPClient",
                dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOHTTPCompression", package: "swift-nio-extras")],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L3: service discovery (static groups come from the configuration; file and HTTP here),
        // shared by scraping and by the notifier's Alertmanagers.
        .target(name: "HearthDiscovery",
                dependencies: ["HearthModel", "HearthFileIO", "HearthConfig", "HearthHTTPClient", .product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L3: scraping: target relabeling, scrape loops, staleness.
        .target(name: "HearthScrape",
                dependencies: ["HearthModel", "HearthEncoding", "HearthFileIO", "HearthExposition", "HearthConfig", "HearthRelabel", "HearthHTTPClient",
                               "HearthDiscovery",
                               .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L3: sending alerts to Alertmanager.
        .target(name: "HearthNotifier",
                dependencies: ["HearthModel", "HearthEncoding", "HearthConfig", "HearthFileIO", "HearthRelabel", "HearthHTTPClient", "HearthDiscovery",
                               .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        // L3: sending remote write (the agent's queue and the server's remote_write).
        .target(name: "HearthRemoteWrite",
                dependencies: ["HearthModel", "HearthEncoding", "HearthFileIO", "HearthWAL", "HearthConfig", "HearthRelabel",
                               "HearthHTTPClient", "HearthRemoteProtocol", "HearthSnappy",
                               .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        // L4: the agent's storage: a WAL that remote-write queues read back.
        .target(name: "HearthAgent",
                dependencies: ["HearthModel", "HearthEncoding", "HearthFileIO", "HearthWAL", "HearthScrape", "HearthRemoteWrite",
                               .product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L2: Prometheus's block format: index, chunk segments, tombstones, meta.json.
        .target(name: "HearthBlock",
                dependencies: ["HearthEncoding", "HearthFileIO", "HearthModel", "HearthChunks", "HearthIndex", "HearthStorage"],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L3: the query engine, over any Querier.
        .target(name: "HearthPromQL", dependencies: ["HearthModel", "HearthChunks", "HearthPromQLParser", "HearthStorage", "HearthRegex"],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L3: the storage engine.
        .target(
            name: "HearthTSDB",
            dependencies: [
                "HearthEncoding", "HearthFileIO", "HearthModel", "HearthChunks", "HearthIndex", "HearthWAL",
                "HearthStorage", "HearthBlock", "HearthExposition",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // L4: recording and alerting rules, their templates, SLO rule generation.
        .target(name: "HearthRules",
                dependencies: ["HearthModel", "HearthEncoding", "HearthConfig", "HearthFileIO", "HearthPromQL", "HearthPromQLParser",
                               "HearthStorage", "HearthTSDB", "HearthTemplate", "HearthRegex", "HearthNotifier", .product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"], swiftSettings: swiftSettings),
        // L5: the HTTP API, remote write/read and federation, on SwiftNIO.
        .target(
            name: "HearthHTTPAPI",
            dependencies: [
                "HearthModel", "HearthEncoding", "HearthChunks", "HearthPromQL", "HearthPromQLParser", "HearthStorage", "HearthTSDB",
                "HearthRemoteProtocol", "HearthSnappy", "HearthScrape", "HearthRules", "HearthTemplate",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // L6: wiring of every component into runnable services.
        .target(
            name: "HearthServer",
            dependencies: [
                "HearthTSDB", "HearthBlock", "HearthWAL", "HearthPromQL", "HearthHTTPAPI", "CHearthMalloc",
                "HearthConfig", "HearthScrape", "HearthHTTPClient", "HearthModel", "HearthFileIO", "HearthAgent", "HearthRemoteWrite",
                "HearthRules", "HearthNotifier", "HearthStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // L7: the command-line interface.
        .executableTarget(
            name: "hearth",
            dependencies: [
                "HearthServer", "HearthHTTPAPI", "HearthTSDB", "HearthBlock", "HearthFileIO", "HearthWAL", "HearthPromQL", "HearthModel", "HearthAgent",
                "HearthConfig", "HearthExposition", "HearthRules", "HearthPromQLParser",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzz targets: every parser and decoder behind one function each, run by libFuzzer
        // (the `Fuzz/` package) and, over their seed corpora and found crashes, by the tests.
        .target(
            name: "HearthFuzzTargets",
            dependencies: [
                "HearthModel", "HearthEncoding", "HearthFileIO", "HearthPromQLParser", "HearthPromQL", "HearthPromQLTesting",
                "HearthRemoteProtocol", "HearthSnappy", "HearthExposition", "HearthRegex", "HearthTemplate", "HearthConfig",
                "HearthRelabel", "HearthRules", "HearthHTTPAPI", "HearthTSDB", "HearthWAL", "HearthBlock", "HearthChunks",
                "HearthStorage",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        // A child process for the crash tests: appends acknowledged batches until it is killed.
        .executableTarget(
            name: "hearth-crash-writer",
            dependencies: ["HearthTSDB", "HearthBlock"],
            path: "Tests/CrashWriter",
            swiftSettings: swiftSettings
        ),
        // Test-only support.
        .target(name: "HearthTestSupport", dependencies: ["HearthModel", "HearthStorage"], path: "Tests/HearthTestSupport",
                swiftSettings: swiftSettings),

        .testTarget(name: "HearthEncodingTests", dependencies: ["HearthEncoding"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthSnappyTests", dependencies: ["HearthSnappy"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthTemplateTests", dependencies: ["HearthTemplate", "HearthTestSupport"], exclude: ["goref"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthRemoteProtocolTests", dependencies: ["HearthRemoteProtocol", "HearthModel"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthRegexTests", dependencies: ["HearthRegex", "HearthTestSupport"], exclude: ["goref", "testdata"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthPromQLParserTests", dependencies: ["HearthPromQLParser", "HearthTestSupport"], exclude: ["goref"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthPromQLTestingTests", dependencies: ["HearthPromQLTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthPromQLTests",
                    dependencies: ["HearthPromQL", "HearthPromQLParser", "HearthPromQLTesting", "HearthModel", "HearthTSDB", "HearthStorage",
                                   "HearthTestSupport"],
                    exclude: ["testdata"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthModelTests", dependencies: ["HearthModel"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthChunksTests", dependencies: ["HearthChunks"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthIndexTests", dependencies: ["HearthIndex"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthWALTests", dependencies: ["HearthWAL", "HearthTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthExpositionTests", dependencies: ["HearthExposition", "HearthModel"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthRelabelTests", dependencies: ["HearthRelabel", "HearthConfig", "HearthModel"],
                    resources: [.copy("testdata")], swiftSettings: swiftSettings),
        .testTarget(name: "HearthConfigTests", dependencies: ["HearthConfig", "HearthRelabel", "HearthModel"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthScrapeTests",
                    dependencies: ["HearthScrape", "HearthConfig", "HearthExposition", "HearthModel", "HearthTestSupport",
                                   "HearthHTTPAPI", "HearthHTTPClient", .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthHTTPClientTests",
                    dependencies: ["HearthHTTPClient", .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthRemoteWriteTests",
                    dependencies: ["HearthRemoteWrite", "HearthConfig", "HearthHTTPClient", "HearthModel", "HearthHTTPAPI",
                                   "HearthRemoteProtocol", "HearthSnappy", "HearthTestSupport",
                                   .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthBlockTests", dependencies: ["HearthBlock", "HearthStorage", "HearthModel", "HearthFileIO", "HearthTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthTSDBTests", dependencies: ["HearthTSDB", "HearthBlock", "HearthTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthHTTPAPITests",
                    dependencies: ["HearthHTTPAPI", "HearthModel", "HearthPromQL", "HearthRemoteProtocol", "HearthSnappy",
                                   "HearthBlock", "HearthTSDB", "HearthTestSupport",
                                   .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthServerTests", dependencies: ["HearthServer", "HearthModel", "HearthTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthAgentTests",
                    dependencies: ["HearthAgent", "HearthRemoteWrite", "HearthConfig", "HearthHTTPClient", "HearthModel", "HearthHTTPAPI", "HearthTSDB",
                                   "HearthRemoteProtocol", "HearthSnappy", "HearthScrape", "HearthWAL", "HearthTestSupport",
                                   .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthNotifierTests",
                    dependencies: ["HearthNotifier", "HearthConfig", "HearthHTTPClient", "HearthHTTPAPI", "HearthModel",
                                   .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                                   .product(name: "Logging", package: "swift-log")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthRulesTests",
                    dependencies: ["HearthRules", "HearthNotifier", "HearthTemplate", "HearthConfig", "HearthModel", "HearthPromQL",
                                   "HearthPromQLParser", "HearthStorage", "HearthTSDB", "HearthTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HearthFuzzTargetsTests", dependencies: ["HearthFuzzTargets", "HearthTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HearthCLITests", dependencies: ["HearthTestSupport", "HearthModel", "HearthWAL", "HearthRemoteProtocol", "HearthSnappy"],
                    swiftSettings: swiftSettings),
    ]
)
