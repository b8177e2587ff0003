import Foundation
import XCTest

/// The bundled plugins, loaded from the build folder as a user gets them.
final class StandardPluginTests: XCTestCase {
    func testEmbeddedDefaultsTurnOnTheStandardPlugins() throws {
        let server = try TestServer(embeddedDefaults: true)
        for name in ["ProfanityFilter", "Timestamp", "EchoBot", "Dice"] {
            try server.waitForLog("plugin loaded", "plugin=\(name)")
        }
        let alice = try server.register("alice")
        XCTAssertTrue(alice.received.contains("-!- #lobby has 2 members: alice EchoBot"), "\(alice.received)")
        let bob = try server.register("bob")
        try alice.send("well darn\n")
        let line = try XCTUnwrap(try bob.nextMessage())
        XCTAssertNotNil(line.range(of: #"^\[\d\d:\d\d:\d\d\] <alice> well \*\*\*\*$"#, options: .regularExpression), line)
        try alice.send("/roll 2 6\n")
        let roll = try bob.expect("-!- alice: /roll 2 6 = ")
        let total = try XCTUnwrap(Int(roll.split(separator: " ").last!))
        XCTAssertTrue((2...12).contains(total), roll)
    }

    func testProfanityFilterMatchesWholeWordsIgnoringCaseUnicodeAware() throws {
        let folder = PluginFolder()
        try folder.addStandard("ProfanityFilter")
        let server = try TestServer(config: """
            plugins = ["ProfanityFilter"]
            [plugin.ProfanityFilter]
            words = ["darn", "ärger"]
            exempt = ["Moderator"]
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        let cases = [
            ("Darn, darn! DARN darnell", "****, ****! **** darnell"),
            ("so much ÄRGER here", "so much ***** here"),
            ("(darn)darn'darn", "(****)****'****"),
            ("undarned darnit", "undarned darnit"),
        ]
        for (typed, shown) in cases {
            try alice.send(typed + "\n")
            XCTAssertEqual(try bob.nextMessage(), "<alice> " + shown)
        }
        let moderator = try server.register("moderator")
        try moderator.send("darn it\n")
        XCTAssertEqual(try bob.nextMessage(), "<moderator> darn it", "exempt nicks are matched without case")
    }

    func testProfanityFilterRejectActionTellsTheSender() throws {
        let folder = PluginFolder()
        try folder.addStandard("ProfanityFilter")
        let words = TestFiles.temporaryFile(named: "words.txt", contents: "# one per line\nheck\n\nfrak\n")
        let server = try TestServer(config: """
            plugins = ["ProfanityFilter"]
            [plugin.ProfanityFilter]
            words_file = "\(words)"
            action = "reject"
            reason = "mind your language"
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("what the Frak\n")
        try alice.expect("error: message not sent: mind your language")
        try alice.send("what the fun\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> what the fun")
    }

    func testProfanityFilterConfigIsChecked() throws {
        let folder = PluginFolder()
        try folder.addStandard("ProfanityFilter")
        let server = try TestServer(config: """
            plugins = ["ProfanityFilter"]
            [plugin.ProfanityFilter]
            action = "scold"
            """, arguments: folder.arguments)
        try server.waitForLog("plugin load failed", "plugin=ProfanityFilter", "config rejected by the plugin: action: 'scold' is not one of mask, reject")
    }

    func testEchoBotAnswersPeopleButNeverBots() throws {
        let folder = PluginFolder()
        try folder.addStandard("EchoBot")
        try folder.addStandard("EchoBot", as: "EchoBotTwo")
        let server = try TestServer(config: """
            plugins = ["EchoBot", "EchoBotTwo"]
            [plugin.EchoBot]
            nick = "EchoOne"
            rooms = ["#lobby"]
            [plugin.EchoBotTwo]
            nick = "EchoTwo"
            rooms = ["#lobby", "#other"]
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        try alice.send("/who\n")
        try alice.expect("-!- #lobby has 3 members: alice EchoOne EchoTwo")
        try alice.send("!echo ping\n")
        let echoes = [try alice.nextMessage(), try alice.nextMessage()].compactMap { $0 }.sorted()
        XCTAssertEqual(echoes, ["<EchoOne> ping", "<EchoTwo> ping"])
        // Neither bot answers the other: the next message alice sees is her private reply.
        try alice.send("/msg EchoOne are you there\n")
        XCTAssertEqual(try alice.nextMessage(), "-> *EchoOne* are you there")
        XCTAssertEqual(try alice.nextMessage(), "*EchoOne* are you there")
        try alice.send("!echo\n")
        try alice.send("/msg EchoTwo marker\n")
        XCTAssertEqual(try alice.nextMessage(), "-> *EchoTwo* marker")
        XCTAssertEqual(try alice.nextMessage(), "*EchoTwo* marker", "no echo of an empty !echo, no bot ping-pong")
    }

    func testTimestampFormatAndTimezone() throws {
        let folder = PluginFolder()
        try folder.addStandard("Timestamp")
        let server = try TestServer(config: """
            plugins = ["Timestamp"]
            [plugin.Timestamp]
            format = "%Y|%H"
            timezone = "+05:30"
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("hi\n")
        let line = try XCTUnwrap(try bob.nextMessage())
        var shifted = time(nil) + 5 * 3600 + 1800
        var parts = tm()
        gmtime_r(&shifted, &parts)
        let hours = [parts.tm_hour, (parts.tm_hour + 23) % 24].map { String(format: "%02d", $0) }
        XCTAssertTrue(hours.contains { line == "\(parts.tm_year + 1900)|\($0) <alice> hi" }, line)
    }

    func testTimestampNamedZonesFollowTheTzDatabase() throws {
        let folder = PluginFolder()
        try folder.addStandard("Timestamp")
        // Asia/Kolkata is +05:30 all year: no daylight saving to race against.
        let server = try TestServer(config: """
            plugins = ["Timestamp"]
            [plugin.Timestamp]
            format = "%H:%M"
            timezone = "Asia/Kolkata"
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("hi\n")
        let line = try XCTUnwrap(try bob.nextMessage())
        var parts = tm()
        let candidates = [0, -60].map { delta -> String in
            var shifted = time(nil) + 5 * 3600 + 1800 + delta
            gmtime_r(&shifted, &parts)
            return String(format: "%02d:%02d <alice> hi", parts.tm_hour, parts.tm_min)
        }
        XCTAssertTrue(candidates.contains(line), "\(line) not in \(candidates)")

        let bad = try TestServer(config: "plugins = [\"Timestamp\"]\n[plugin.Timestamp]\ntimezone = \"Mars/Olympus\"\n",
                                 arguments: folder.arguments)
        try bad.waitForLog("plugin load failed", "timezone: 'Mars/Olympus' is not UTC, local, an offset")
    }

    func testDiceRollsThroughLibffiAndValidatesArguments() throws {
        let folder = PluginFolder()
        try folder.addStandard("Dice")
        let server = try TestServer(config: "plugins = [\"Dice\"]\n", arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        for _ in 0..<20 {
            try alice.send("/roll 3 6\n")
            let line = try bob.expect("-!- alice: /roll 3 6 = ")
            XCTAssertTrue((3...18).contains(Int(line.split(separator: " ").last!)!), line)
        }
        let usage = "-!- usage: /roll <count 1..100> <sides 2..1000> - "
        try alice.send("/roll x 6\n")
        try alice.expect(usage + "count must be a whole number, not 'x'")
        try alice.send("/roll 1 2 3\n")
        try alice.expect(usage + "expected 2 arguments, got 3")
        try alice.send("/roll 101 6\n")
        try alice.expect(usage + "count must be from 1 to 100, not 101")
        try alice.send("/roll 2 1\n")
        try alice.expect(usage + "sides must be from 2 to 1000, not 1")
    }

    func testTypedCommandsCoverEveryTypeAndNeverCallWithBadArguments() throws {
        let folder = PluginFolder()
        try folder.compile("typed_probe.c", as: "TypedProbe")
        let server = try TestServer(config: "plugins = [\"TypedProbe\"]\n", arguments: folder.arguments)
        let alice = try server.register("alice")
        for bad in ["/probe 6 1 1 x", "/probe 1 -1 1 x", "/probe 1 1 nan x", "/probe 1 1 1", "/probe a b c d"] {
            try alice.send(bad + "\n")
            try alice.expect("-!- usage: /probe <small -5..5> <big 0..10000000000> <ratio number> <rest> - ")
        }
        try alice.send("/probe -5 10000000000 0.5 the rest of it\n")
        try alice.expect("-!- alice: /probe -5 10000000000 0.5 the rest of it = call 1: small=-5 big=10000000000 ratio=0.50 rest=the rest of it")
    }
}
