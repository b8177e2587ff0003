// swift-tools-version:6.0
import PackageDescription

// Dependencies, each chosen for a job we should not hand-write (CI builds them on every run):
//   swift-argument-parser: the `parley` command line and its --help.
//   swift-log: one logging API for the server.
//   TOMLKit: the config file parser (wraps toml++, gives line/column on syntax errors).
//   Yams (tests only): the ircdocs IRC parser test vectors are YAML.
// System libraries (Debian): libffi-dev (typed plugin commands), libcrypt (operator passwords),
// libssl-dev (TLS listeners; OpenSSL 3).

/// A plugin is a dynamic library product; the server loads lib<Name>.so from its plugin folder.
func plugin(_ name: String) -> Product {
    .library(name: name, type: .dynamic, targets: [name])
}

let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

/// A layer of the server. Exclusivity is still checked at compile time; the run-time checks
/// cost ~7% of fan-out CPU (swift_beginAccess on every queue append), so release builds skip
/// them. Cross-module optimization lets the hot path inline across the layers.
func layer(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, swiftSettings: [
        .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release)),
    ])
}

let package = Package(
    name: "Parley",
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .executable(name: "parley-bench", targets: ["parley-bench"]),
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
            linkerSettings: [.linkedLibrary("ffi")]
        ),
        // Password hashing (libcrypt) and the cloaks' HMAC (libcrypto), the chat core's only C:
        // apart, so the core cannot reach the loop's shims.
        .target(name: "CParleyCrypt", linkerSettings: [.linkedLibrary("crypt"), .linkedLibrary("crypto")]),
        // TLS through the system's OpenSSL (Debian libssl-dev): contexts, non-blocking sessions, certificates.
        .target(name: "CParleyTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // parley-bench's event loop (epoll); kept apart so the server's shims stay the server's.
        .target(name: "CBenchEpoll"),
        // The server's layers, lowest first; each imports only layers above it in this list, so
        // the compiler enforces the direction (see docs/ARCHITECTURE.md).
        // Loop: file descriptors, readiness (poll or epoll), timers, signals, one wake-up.
        layer("ParleyLoop", ["CParleySys"]),
        // Shared output bytes and the message arena: what the core renders into, no sockets.
        layer("ParleyBytes", []),
        // Connections: non-blocking sockets, line framing, output queues, write coalescing.
        layer("ParleyTransport", ["ParleyLoop", "ParleyBytes", "CParleySys", "CParleyTLS"]),
        // The chat core: users, rooms, modes, routing. No sockets, no wire formats.
        layer("ParleyChat", ["ParleyBytes", "CParleyCrypt"]),
        // The config file: its schema, loading and validation.
        layer("ParleyConfig", ["ParleyChat", "ParleyTransport", "ParleyBytes", "ParleyLoop", .product(name: "TOMLKit", package: "TOMLKit")]),
        // The plugin host: loading, the C host API, the chain, hooks, reload.
        layer("ParleyPluginHost", ["ParleyChat", "ParleyConfig", "ParleyBytes", "ParleyLoop", "CParleyPlugin", "CParleySys", logging]),
        // What every front-end is handed, and what it hands the server.
        layer("ParleyFrontEnd", ["ParleyChat", "ParleyConfig", "ParleyTransport", "ParleyBytes", "ParleyLoop", logging]),
        // The front-ends: each depends on the layers below, never on the other.
        layer("ParleyPlain", ["ParleyFrontEnd", "ParleyChat", "ParleyConfig", "ParleyTransport", "ParleyBytes", "ParleyLoop", logging]),
        layer("ParleyIRC", ["ParleyFrontEnd", "ParleyChat", "ParleyConfig", "ParleyTransport", "ParleyBytes", "ParleyLoop", logging]),
        // The server wires the layers together from the config.
        layer("ParleyServer", ["ParleyPlain", "ParleyIRC", "ParleyFrontEnd", "ParleyPluginHost", "ParleyConfig",
                               "ParleyChat", "ParleyTransport", "ParleyBytes", "ParleyLoop", "CParleySys", logging]),
        // The Swift SDK for plugin authors: no unsafe pointers in plugin code.
        .target(name: "ParleyPluginKit", dependencies: ["CParleyPlugin"]),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyServer", "ParleyPluginHost", "ParleyConfig", "ParleyChat", "ParleyTransport", "ParleyLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                logging,
            ]
        ),

        // The load generator: plain text and IRC, so peers are measured the same way.
        .executableTarget(
            name: "parley-bench",
            dependencies: ["CBenchEpoll", "CParleyTLS", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // As for the core: run-time exclusivity checks were 5% of the generator's time.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),

        // The standard plugins.
        .target(name: "ProfanityFilter", dependencies: ["ParleyPluginKit"], path: "Plugins/ProfanityFilter"),
        .target(name: "EchoBot", dependencies: ["ParleyPluginKit"], path: "Plugins/EchoBot"),
        .target(name: "Timestamp", dependencies: ["ParleyPluginKit"], path: "Plugins/Timestamp"),
        .target(name: "Dice", dependencies: ["CParleyPlugin"], path: "Plugins/Dice"),

        .testTarget(
            name: "ParleyUnitTests",
            dependencies: ["ParleyServer", "ParleyPlain", "ParleyIRC", "ParleyFrontEnd", "ParleyPluginHost", "ParleyConfig",
                           "ParleyChat", "ParleyTransport", "ParleyBytes", "ParleyLoop", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"]
        ),
        // Depends on the executable only so that `swift test` builds it; the tests run it as a
        // process and load the plugins' .so files from the build folder (never link them:
        // each exports the same entry symbol).
        .testTarget(name: "IntegrationTests", dependencies: ["parley", "parley-bench"], exclude: ["Fixtures"]),
    ]
)
