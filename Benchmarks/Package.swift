// swift-tools-version:6.1
import PackageDescription

// Hearth's benchmarks live in their own package so that the main package (and CI) never builds
// package-benchmark. Run from this directory:
//   swift package benchmark                       # package-benchmark suites
//   swift run -c release hearth-bench --help      # memory and restart measurements
let package = Package(
    name: "HearthBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Hearth", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .executableTarget(
            name: "HearthTSDBBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthTSDB", package: "Hearth"),
                .product(name: "HearthChunks", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
                .product(name: "HearthIndex", package: "Hearth"),
                .product(name: "HearthWAL", package: "Hearth"),
            ],
            path: "Benchmarks/HearthTSDBBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HearthBlockBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthBlock", package: "Hearth"),
                .product(name: "HearthStorage", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
            ],
            path: "Benchmarks/HearthBlockBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HearthScrapeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthExposition", package: "Hearth"),
                .product(name: "HearthConfig", package: "Hearth"),
                .product(name: "HearthScrape", package: "Hearth"),
                .product(name: "HearthStorage", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
            ],
            path: "Benchmarks/HearthScrapeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HearthRulesBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthRules", package: "Hearth"),
                .product(name: "HearthTemplate", package: "Hearth"),
                .product(name: "HearthPromQL", package: "Hearth"),
                .product(name: "HearthPromQLParser", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
            ],
            path: "Benchmarks/HearthRulesBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HearthRegexBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthRegex", package: "Hearth"),
            ],
            path: "Benchmarks/HearthRegexBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HearthPromQLBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthPromQL", package: "Hearth"),
                .product(name: "HearthTSDB", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
            ],
            path: "Benchmarks/HearthPromQLBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // protoc output committed (remote_write.proto beside it), so no build runs the plugin.
        .target(
            name: "RemoteWriteProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Sources/RemoteWriteProto",
            exclude: ["remote_write.proto"]
        ),
        .executableTarget(
            name: "HearthRemoteBenchmarks",
            dependencies: [
                "RemoteWriteProto",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "HearthRemoteProtocol", package: "Hearth"),
                .product(name: "HearthSnappy", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
            ],
            path: "Benchmarks/HearthRemoteBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HearthQueryBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HearthQuery", package: "Hearth"),
                .product(name: "HearthRemoteProtocol", package: "Hearth"),
                .product(name: "HearthStorage", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
            ],
            path: "Benchmarks/HearthQueryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(name: "CBenchShims"),
        .executableTarget(
            name: "hearth-bench",
            dependencies: [
                "CBenchShims",
                .product(name: "HearthBlock", package: "Hearth"),
                .product(name: "HearthStorage", package: "Hearth"),
                .product(name: "HearthChunks", package: "Hearth"),
                .product(name: "HearthTSDB", package: "Hearth"),
                .product(name: "HearthModel", package: "Hearth"),
                .product(name: "HearthWAL", package: "Hearth"),
                .product(name: "HearthRegex", package: "Hearth"),
                .product(name: "HearthPromQL", package: "Hearth"),
            ],
            path: "Sources/hearth-bench"
        ),
    ]
)
