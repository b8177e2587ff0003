import ArgumentParser
import Glibc

/// `parley plugin ...`: tools for plugin authors.
struct PluginTools: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "Tools for plugin authors.",
        subcommands: [New.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an out-of-tree Swift plugin package that builds a .so with `swift build`.",
            discussion: """
            Creates DIR/NAME (DIR defaults to the current folder) with a Package.swift that depends on \
            Parley's ParleyPluginKit by path, and a plugin with one command, /<name>. Then:
              cd DIR/NAME && swift build
              parley --plugin-dir DIR/NAME/.build/debug --config parley.toml   (with plugins = ["NAME"])
            """
        )

        @Argument(help: "The plugin's name: a Swift type name such as Greeter.")
        var name: String

        @Argument(help: "Where to create the package folder.")
        var directory: String = "."

        @Option(name: .customLong("parley-path"), help: ArgumentHelp("The Parley source checkout to depend on. Default: the one this parley was built from.", valueName: "dir"))
        var parleyPath: String?

        func validate() throws {
            guard let first = name.unicodeScalars.first, first.properties.isAlphabetic,
                  name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) }),
                  name.allSatisfy(\.isASCII) else {
                throw ValidationError("NAME must be letters and digits, starting with a letter, like Greeter")
            }
        }

        func run() throws {
            let root = parleyPath ?? parleySourceRoot()
            guard access(root + "/Package.swift", R_OK) == 0,
                  access(root + "/Sources/ParleyPluginKit", R_OK) == 0 else {
                printToStderr("error: no Parley checkout at \(root); pass --parley-path DIR")
                throw ExitCode(1)
            }
            let folder = directory + "/" + name
            guard access(folder, F_OK) != 0 else {
                printToStderr("error: \(folder) already exists")
                throw ExitCode(1)
            }
            for (path, text) in PluginTemplate.files(name: name, parleyRoot: root) {
                try write(text, to: folder + "/" + path)
            }
            print("Created \(folder). Build it with:")
            print("  cd \(folder) && swift build")
            print("Then add \"\(name)\" to plugins in your config and run:")
            print("  parley --plugin-dir \(folder)/.build/debug --config parley.toml")
        }

        private func write(_ text: String, to path: String) throws {
            var folder = path.hasPrefix("/") ? "/" : ""
            for part in path.split(separator: "/").dropLast() {
                folder += part + "/"
                mkdir(folder, 0o755)
            }
            guard let file = fopen(path, "w") else {
                printToStderr("error: cannot write \(path)")
                throw ExitCode(1)
            }
            defer { fclose(file) }
            fputs(text, file)
        }
    }
}

/// The checkout this binary was built from: Sources/parley/ is two levels below it.
func parleySourceRoot() -> String {
    var path = #filePath
    for _ in 0..<3 {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        path = String(path[..<slash])
    }
    return path
}
