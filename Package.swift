// swift-tools-version:6.0
import PackageDescription

// Dependencies, each chosen for a job we should not hand-write (CI builds them on every run):
//   swift-argument-parser: the `parley` command line and its --help.
//   swift-log: one logging API for the server.
//   TOMLKit: the config file parser (wraps toml++, gives line/column on syntax errors).
//   Yams (tests only): the ircdocs IRC parser test vectors are YAML.
// System libraries (Debian): libffi-dev (typed plugin commands), libcrypt (operator passwords).

/// A plugin is a dynamic library product; the server loads lib<Name>.so from its plugin folder.
func plugin(_ name: String) -> Product {
    .library(name: name, type: .dynamic, targets: [name])
}

let package = Package(
    name: "Parley",
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .executable(name: "parley-bench", targets: ["parley-bench"]),
        .library(name: "ParleyCore", targets: ["ParleyCore"]),
        .library(name: "ParleyPluginKit", targets: ["ParleyPluginKit"]),
        plugin("ProfanityFilter"),
        plugin("EchoBot"),
        plugin("Timestamp"),
        plugin("Dice"),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Tests only: reads the ircdocs parser test vectors, which are YAML.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // The plugin ABI: the only header a C plugin needs.
        .target(name: "CParleyPlugin"),
        .target(
            name: "CParleySys",
            dependencies: ["CParleyPlugin"],
            linkerSettings: [.linkedLibrary("ffi"), .linkedLibrary("crypt")]
        ),
        // parley-bench's event loop (epoll); kept apart so the server's shims stay the server's.
        .target(name: "CBenchEpoll"),
        .target(
            name: "ParleyCore",
            dependencies: [
                "CParleySys",
                "CParleyPlugin",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // Exclusivity is still checked at compile time; the run-time checks cost ~7% of
            // fan-out CPU (swift_beginAccess on every queue append), so release builds skip them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The Swift SDK for plugin authors: no unsafe pointers in plugin code.
        .target(name: "ParleyPluginKit", dependencies: ["CParleyPlugin"]),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The load generator: plain text and IRC, so peers are measured the same way.
        .executableTarget(
            name: "parley-bench",
            dependencies: ["CBenchEpoll", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // As for the core: run-time exclusivity checks were 5% of the generator's time.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),

        // The standard plugins.
        .target(name: "ProfanityFilter", dependencies: ["ParleyPluginKit"], path: "Plugins/ProfanityFilter"),
        .target(name: "EchoBot", dependencies: ["ParleyPluginKit"], path: "Plugins/EchoBot"),
        .target(name: "Timestamp", dependencies: ["ParleyPluginKit"], path: "Plugins/Timestamp"),
        .target(name: "Dice", dependencies: ["CParleyPlugin"], path: "Plugins/Dice"),

        .testTarget(
            name: "ParleyCoreTests",
            dependencies: ["ParleyCore", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"]
        ),
        // Depends on the executable only so that `swift test` builds it; the tests run it as a
        // process and load the plugins' .so files from the build folder (never link them:
        // each exports the same entry symbol).
        .testTarget(name: "IntegrationTests", dependencies: ["parley", "parley-bench"], exclude: ["Fixtures"]),
    ]
)
