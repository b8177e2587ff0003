import Foundation
import XCTest

/// `parley plugin new` must give an author a package that builds and loads as it is.
final class PluginScaffoldTests: XCTestCase {
    func testScaffoldBuildsWithSwiftBuildAndLoadsIntoARunningServer() throws {
        let workspace = TestFiles.temporaryDirectory()
        let (status, output) = try runProcess(TestServer.binary, ["plugin", "new", "Greeter", workspace])
        XCTAssertEqual(status, 0, output)
        let package = workspace + "/Greeter"
        XCTAssertTrue(FileManager.default.fileExists(atPath: package + "/Package.swift"))

        let (built, log) = try runProcess("/usr/bin/env", ["swift", "build", "--package-path", package])
        XCTAssertEqual(built, 0, log)
        let pluginDir = package + "/.build/debug"
        XCTAssertTrue(FileManager.default.fileExists(atPath: pluginDir + "/libGreeter.so"), log)

        let server = try TestServer(config: """
            plugins = ["Greeter"]
            [plugin.Greeter]
            greeting = "Howdy"
            """, arguments: ["--plugin-dir", pluginDir])
        try server.waitForLog("plugin loaded", "plugin=Greeter", "version=0.1.0")
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("one\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> one")
        try bob.send("/greeter\n")
        try bob.expect("-!- Howdy, bob! Greeter has seen 1 messages.")

        let (again, _) = try runProcess(TestServer.binary, ["plugin", "new", "Greeter", workspace])
        XCTAssertEqual(again, 1, "an existing folder is never overwritten")
    }
}
