/// The files `parley plugin new` writes.
enum PluginTemplate {
    static func files(name: String, parleyRoot: String) -> [(String, String)] {
        // SwiftPM names a path dependency after the folder's last component.
        let identity = parleyRoot.split(separator: "/").last.map(String.init) ?? "parley"
        let command = name.lowercased()
        return [
            ("Package.swift", """
            // swift-tools-version:6.0
            import PackageDescription

            let package = Package(
                name: "\(name)",
                products: [
                    // The server loads lib\(name).so from its plugin folder.
                    .library(name: "\(name)", type: .dynamic, targets: ["\(name)"]),
                ],
                dependencies: [
                    .package(path: "\(parleyRoot)"),
                ],
                targets: [
                    .target(name: "\(name)", dependencies: [.product(name: "ParleyPluginKit", package: "\(identity)")]),
                ]
            )

            """),
            ("Sources/\(name)/\(name).swift", """
            import ParleyPluginKit

            /// A starting point: one command, one message hook. See docs/PLUGINS.md in Parley.
            final class \(name): Plugin {
                static let name = "\(name)"
                static let version = "0.1.0"
                static let description = "Says hello"

                private var greeting: String
                private var seen = 0

                static func checkConfig(_ config: PluginConfig) throws {
                    try config.requireOnly(["greeting"])
                }

                init(host: Host, config: PluginConfig) throws {
                    greeting = try config.string("greeting", default: "Hello")
                    // `call` and `message` are borrowed: read them during the call (each read may
                    // throw if kept for later). reply throws when the server refuses the text, a
                    // line break say; a command's thrown error reaches its caller as "error: ...".
                    try host.command("\(command)", usage: "", help: "say hello from \(name)") { [unowned self] call in
                        try call.reply("\\(greeting), \\(try call.callerNick)! \(name) has seen \\(seen) messages.")
                    }
                    host.onMessage(.observe) { [unowned self] _ in
                        seen += 1
                        return .pass
                    }
                }
            }

            @_cdecl("parley_plugin_entry")
            public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(\(name).self, major, minor) }

            """),
            (".gitignore", ".build/\n.swiftpm/\nPackage.resolved\n"),
            ("README.md", """
            # \(name)

            A Parley plugin. Build it, then point the server at the build folder:

                swift build
                parley --plugin-dir .build/debug --config parley.toml

            with `plugins = ["\(name)"]` in parley.toml. In a chat, type `/\(command)`.

            """),
        ]
    }
}
