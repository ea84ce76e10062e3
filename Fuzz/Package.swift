// swift-tools-version:6.1
import PackageDescription

// libFuzzer drivers for Hearth's fuzz targets (`Sources/HearthFuzzTargets` in the main
// package). A package of its own because it is built with `-sanitize=fuzzer,address`, which
// the main build and the tests must not be. Use `scripts/fuzz.sh`, which builds it and runs
// every target over its corpus in `corpus/<target>/`.
let package = Package(
    name: "HearthFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Hearth", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "hearth-fuzz",
            dependencies: [.product(name: "HearthFuzzTargets", package: "Hearth")],
            path: "Sources/hearth-fuzz"
        ),
    ]
)
