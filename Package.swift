// swift-tools-version:6.0
import PackageDescription

// Dependencies, each chosen for a job we should not hand-write (CI builds them on every run):
//   swift-argument-parser: the `parley` command line and its --help.
//   swift-log: one logging API for the server and, later, plugins' host-side messages.
//   TOMLKit: the config file parser (wraps toml++, gives line/column on syntax errors).
let package = Package(
    name: "Parley",
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "ParleyCore", targets: ["ParleyCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(name: "CParleySys"),
        .target(
            name: "ParleyCore",
            dependencies: [
                "CParleySys",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ParleyCoreTests", dependencies: ["ParleyCore"]),
        // Depends on the executable only so that `swift test` builds it; the tests run it as a process.
        .testTarget(name: "IntegrationTests", dependencies: ["parley"]),
    ]
)
