import Foundation
import XCTest

/// A private plugin folder for one test: fixtures compiled from Fixtures/*.c with `cc`,
/// and copies of the standard plugins that `swift build` put next to the test bundle.
final class PluginFolder {
    let path: String

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var abiHeaderFolder: String { repositoryRoot.appendingPathComponent("Sources/CParleyPlugin/include").path }
    static var fixturesFolder: String { repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures").path }

    init() {
        path = TestFiles.temporaryDirectory()
        chmod(path, 0o755)
    }

    /// Compiles Fixtures/`source` into lib`name`.so here.
    func compile(_ source: String, as name: String, defines: [String] = []) throws {
        try RequiredTool.cCompiler.require()
        let output = "\(path)/lib\(name).so"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC", "-I", Self.abiHeaderFolder] + defines.map { "-D\($0)" }
            + ["\(Self.fixturesFolder)/\(source)", "-o", output + ".tmp"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("cc \(source) failed: \(String(decoding: message, as: UTF8.self))")
        }
        // Replace atomically, as a build tool would, so a loaded copy is never rewritten.
        guard rename(output + ".tmp", output) == 0 else { throw TestFailure("rename failed") }
    }

    /// Copies a standard plugin (built by `swift build`) in, optionally under another name.
    func addStandard(_ name: String, as alias: String? = nil) throws {
        let source = TestServer.buildFolder.appendingPathComponent("lib\(name).so").path
        let target = "\(path)/lib\(alias ?? name).so"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        chmod(target, 0o755)
    }

    var arguments: [String] { ["--plugin-dir", path] }
}
