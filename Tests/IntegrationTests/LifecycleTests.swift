import Foundation
import XCTest

/// Signals, config reload and config errors, against the real binary.
final class LifecycleTests: XCTestCase {
    func testSigtermTellsEveryClientThenExitsZero() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        let unregistered = try server.connect()
        try unregistered.expect("Choose a nickname")
        server.signal(SIGTERM)
        for client in [alice, bob, unregistered] {
            let lines = try client.readUntilClosed()
            XCTAssertEqual(lines.last, "-!- Server shutting down", "last lines: \(lines.suffix(3))")
        }
        XCTAssertEqual(try server.waitForExit(), 0)
        XCTAssertTrue(server.logLines.contains { $0.contains("SIGTERM received: shutting down") })
    }

    func testSigintAlsoShutsDownGracefully() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        server.signal(SIGINT)
        XCTAssertEqual(try alice.readUntilClosed().last, "-!- Server shutting down")
        XCTAssertEqual(try server.waitForExit(), 0)
    }

    func testSighupReloadsMotdAndLimitsWithoutDroppingAnyone() throws {
        let server = try TestServer(config: """
            [server]
            motd = "first edition"
            """)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        let path = try XCTUnwrap(server.configPath)
        try """
            plugins = []
            [server]
            motd = "second edition"
            [limits]
            max_line_bytes = 80
            [log]
            level = "debug"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.waitForLog("config reloaded", "server.motd", "limits.max_line_bytes", "log.level")

        let carol = try server.connect()
        try carol.expect("-!- second edition")
        try alice.send(String(repeating: "a", count: 81) + "\n")
        try alice.expect("error: line too long (the limit is 80 bytes)")
        try alice.send("still connected\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> still connected")

        // A broken file is refused and the running config stays.
        try "plugins = []\n[limits]\nmax_line_bytes = \"big\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.waitForLog("config reload refused", "limits.max_line_bytes", "expected an integer")
        try alice.send(String(repeating: "a", count: 81) + "\n")
        try alice.expect("error: line too long (the limit is 80 bytes)")
    }

    func testConfigErrorsNameFileLineKeyAndProblem() throws {
        let cases: [(String, [String])] = [
            ("[limits]\nmax_clients = \"lots\"\n",
             [":2: limits.max_clients: expected an integer, got string \"lots\""]),
            ("[server]\nname = \"x\"\nnmae = \"typo\"\n",
             [":3: server.nmae: unknown key (expected one of:"]),
            ("[[listen]]\nprotocol = \"plain\"\nport = 70000\n",
             [":3: listen[0].port: 70000 is out of range: expected 0 to 65535"]),
            ("[[listen]]\nprotocol = \"gopher\"\nport = 70\n",
             [":2: listen[0].protocol: 'gopher' is not one of: irc, plain"]),
            ("[server\nname = 1\n",
             [":1: syntax error:"]),
            ("colour = \"blue\"\n[limits]\nsendq_bytes = 1\n",
             [":1: colour: unknown key", ":3: limits.sendq_bytes: 1 is out of range"]),
            ("[server]\ndefault_room = \"lobby\"\n",
             [":2: server.default_room: a room name starts with #"]),
        ]
        for (text, expected) in cases {
            let path = TestFiles.temporaryFile(named: "bad.toml", contents: text)
            let (status, output) = try runParley(["--check-config", "--config", path])
            XCTAssertEqual(status, 1, output)
            for fragment in expected {
                XCTAssertTrue(output.contains("config error: \(path)\(fragment)"),
                              "expected '\(path)\(fragment)' in:\n\(output)")
            }
        }
    }

    func testCheckConfigAcceptsTheExampleAndMissingFileIsAnError() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("parley.example.toml").path
        let (status, output) = try runParley(["--check-config", "--config", example])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("config OK"))
        let (missingStatus, missingOutput) = try runParley(["--check-config", "--config", "/nonexistent/parley.toml"])
        XCTAssertEqual(missingStatus, 1)
        XCTAssertTrue(missingOutput.contains("config error: /nonexistent/parley.toml: cannot read file"), missingOutput)
    }

    func testABadConfigStopsStartupBeforeAnySocketOpens() throws {
        let path = TestFiles.temporaryFile(named: "bad.toml", contents: "[limits]\nsendq_bytes = \"lots\"\n")
        let (status, output) = try runParley(["--config", path, "--plain", "127.0.0.1:0"])
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("config error: \(path):2: limits.sendq_bytes: expected an integer"), output)
        XCTAssertFalse(output.contains("listening"), output)
    }

    func testCheckConfigWarnsAboutTablesOfPluginsThatAreNotLoaded() throws {
        let path = TestFiles.temporaryFile(named: "typo.toml", contents: "plugins = [\"EchoBot\"]\n[plugin.EchoBott]\nnick = \"x\"\n")
        let (status, output) = try runParley(["--check-config", "--config", path])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("config warning: [plugin.EchoBott] is set but EchoBott is not in plugins"), output)
    }

    func testFlagsAreValidated() throws {
        let (badPlain, plainOutput) = try runParley(["--plain", "localhost", "--check-config"])
        XCTAssertNotEqual(badPlain, 0)
        XCTAssertTrue(plainOutput.contains("--plain") && plainOutput.contains("'localhost' is not HOST:PORT"), plainOutput)
        let (badPort, portOutput) = try runParley(["--irc", "127.0.0.1:99999", "--check-config"])
        XCTAssertNotEqual(badPort, 0)
        XCTAssertTrue(portOutput.contains("is not a port number"), portOutput)
        let (badDir, dirOutput) = try runParley(["--plugin-dir", "/nonexistent", "--check-config"])
        XCTAssertNotEqual(badDir, 0)
        XCTAssertTrue(dirOutput.contains("--plugin-dir: '/nonexistent' does not exist"), dirOutput)
        let (help, helpOutput) = try runParley(["--help"])
        XCTAssertEqual(help, 0)
        for flag in ["--config", "--plugin-dir", "--plain", "--irc", "--check-config"] {
            XCTAssertTrue(helpOutput.contains(flag), "--help does not mention \(flag)")
        }
    }
}
