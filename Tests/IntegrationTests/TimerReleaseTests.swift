import Foundation
import XCTest

extension PluginFolder {
    /// Compiles Fixtures/`sources` (Swift, one of them with the plugin's export line) into
    /// lib`name`.so here, linked with the very ParleyPluginKit objects `swift build` linked
    /// the standard plugins with (read from SwiftPM's link list for EchoBot).
    func compileSwiftPlugin(_ sources: [String], as name: String) throws {
        let output = "\(path)/lib\(name).so"
        try SwiftFixture.compile(sources.map { "\(Self.fixturesFolder)/\($0)" },
                                 into: output + ".tmp", arguments: ["-emit-library", "-module-name", name])
        guard rename(output + ".tmp", output) == 0 else { throw TestFailure("rename failed") }
    }
}

/// swiftc with the SDK of the build under test: its module, the ABI header, its objects.
enum SwiftFixture {
    static var build: URL { TestServer.buildFolder }

    static func sdkObjects() throws -> [String] {
        let list = build.appendingPathComponent("EchoBot.product/Objects.LinkFileList")
        guard let text = try? String(contentsOf: list, encoding: .utf8) else {
            throw TestFailure("no \(list.path): build with `swift build --build-tests` first")
        }
        let objects = text.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            .filter { !$0.contains("/EchoBot.build/") }
        guard objects.contains(where: { $0.contains("/ParleyPluginKit.build/") }) else {
            throw TestFailure("no ParleyPluginKit objects in \(list.path)")
        }
        return objects
    }

    static func compile(_ sources: [String], into output: String, arguments: [String]) throws {
        let moduleCache = TestFiles.temporaryDirectory()
        let (status, log) = try runProcess("/usr/bin/env", ["swiftc", "-parse-as-library", "-swift-version", "6"] + arguments + [
            "-I", build.appendingPathComponent("Modules").path,
            "-Xcc", "-fmodule-map-file=" + build.appendingPathComponent("CParleyPlugin.build/module.modulemap").path,
            "-Xcc", "-I", "-Xcc", PluginFolder.abiHeaderFolder,
            "-module-cache-path", moduleCache,
        ] + sources + (try sdkObjects()) + ["-o", output])
        guard status == 0 else { throw TestFailure("swiftc \(sources) failed:\n\(log)") }
    }
}

/// The SDK lets go of a timer's closure as soon as the timer can no longer run: a one-shot
/// once it has run, any timer once it is cancelled (or refused), a repeating one not before.
/// The fixture's closures each capture a Token that logs when it is freed.
final class TimerReleaseTests: XCTestCase {
    func testTimerClosuresAreReleasedAfterAOneShotRunsAndOnCancel() throws {
        let folder = PluginFolder()
        try folder.compileSwiftPlugin(["timer_probe.swift"], as: "TimerProbe")
        // glibc fills freed memory with this byte, so that a closure (or the SDK's box) used
        // after it was freed crashes the server instead of passing by luck.
        let server = try TestServer(config: "plugins = [\"TimerProbe\"]\n", arguments: folder.arguments,
                                     environment: ["MALLOC_PERTURB_": "165"])
        try server.waitForLog("plugin loaded", "plugin=TimerProbe")

        // Every closure goes, in its turn.
        for name in ["one-shot", "cancelled", "repeating", "outer", "inner"] {
            try server.waitForLog("probe: released \(name)")
        }
        try server.waitForLog("probe: refused timer id 0, released: true")

        let log = server.logLines
        func index(_ fragment: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
            let found = log.firstIndex { $0.contains(fragment) }
            XCTAssertNotNil(found, "no log line with \(fragment)", file: file, line: line)
            return found ?? -1
        }
        func count(_ fragment: String) -> Int { log.filter { $0.contains(fragment) }.count }

        // A one-shot: after it ran, not before.
        XCTAssertLessThan(index("probe: ran one-shot"), index("probe: released one-shot"))
        // Cancelled: released inside cancel(), and it never ran.
        XCTAssertLessThan(index("probe: cancelling"), index("probe: released cancelled"))
        XCTAssertLessThan(index("probe: released cancelled"), index("probe: cancelled"))
        XCTAssertEqual(count("probe: ran cancelled"), 0)
        // Repeating: kept through its runs, alive while its last run cancels it, gone after.
        XCTAssertLessThan(index("probe: repeating run 3"), index("probe: released repeating"))
        XCTAssertNotNil(log.first { $0.contains("probe: repeating cancelled itself, still alive: true") },
                        "a timer's closure was freed while it ran")
        XCTAssertLessThan(index("probe: repeating cancelled itself"), index("probe: released repeating"))
        // A one-shot that cancels itself and schedules another: each released once, after it ran.
        XCTAssertLessThan(index("probe: ran outer"), index("probe: released outer"))
        XCTAssertLessThan(index("probe: released outer"), index("probe: ran inner"))
        XCTAssertLessThan(index("probe: ran inner"), index("probe: released inner"))

        // Nothing runs again, nothing is released twice, and the server is still fine.
        try server.waitForLog("probe: settled")  // twenty periods of the repeating timer on
        XCTAssertEqual(server.logLines.filter { $0.contains("crashed") }, [],
                       "the server crashed: a timer's closure or the SDK's box was used after it was freed")
        _ = try server.register("alice")
        let later = server.logLines
        XCTAssertEqual(later.filter { $0.contains("probe: repeating run 4") }.count, 0)
        for name in ["one-shot", "cancelled", "repeating", "outer", "inner"] {
            XCTAssertEqual(later.filter { $0.contains("probe: released \(name)") }.count, 1, name)
        }
        XCTAssertTrue(server.process.isRunning)

        // A repeating timer never cancelled keeps its closure until the plugin goes: here a
        // reload (the file changed), whose old generation's shutdown releases it.
        XCTAssertEqual(later.filter { $0.contains("probe: released forever") }.count, 0)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)],
                                              ofItemAtPath: folder.path + "/libTimerProbe.so")
        kill(server.process.processIdentifier, SIGHUP)
        try server.waitForLog("probe: released forever")
        try server.waitForLog("plugin reloaded", "plugin=TimerProbe")
    }
}
