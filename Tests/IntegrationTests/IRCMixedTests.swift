import Foundation
import XCTest

/// Plain and IRC users in one room, through the same plugin chain; IRCv3 caps; hostile input;
/// and a session with a real IRC client library.
final class IRCMixedTests: XCTestCase {
    let withPlugins = #"plugins = ["ProfanityFilter", "Timestamp", "EchoBot", "Dice"]"# + "\n"

    func testPlainAndIRCUsersShareARoomThroughTheChain() throws {
        let server = try TestServer(config: withPlugins)
        let plain = try server.register("plainuser")
        let irc = try IRCTestClient.registered(server, "ircuser", caps: ["server-time"])
        try irc.join("#lobby")
        try plain.expect("-!- ircuser joined #lobby")
        let names = try XCTUnwrap(irc.received.first { $0.contains(" 353 ") })
        // plainuser was the first person in #lobby, and is no operator of it: nobody is made
        // one for coming first to the room everyone is put in.
        XCTAssertTrue(names.hasSuffix(":EchoBot ircuser plainuser"), names)

        let witness = try server.register("witness")
        try plain.send("hello irc, darn it\n")
        let seen = try XCTUnwrap(try irc.nextMessage())
        XCTAssertNotNil(seen.range(of: #"^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :plainuser!plain@\#(loopbackCloak) PRIVMSG #lobby :hello irc, \*\*\*\* it$"#,
                                   options: .regularExpression), seen)
        // server-time carries the Timestamp plugin's annotation: the same instant a plain
        // witness sees as its [HH:MM:SS] prefix (Timestamp's default zone is UTC).
        let prefix = try XCTUnwrap(try witness.nextMessage())
        let tagTime = seen.dropFirst("@time=YYYY-MM-DDT".count).prefix(8)
        XCTAssertTrue(prefix.hasPrefix("[\(tagTime)] <plainuser>"), "\(prefix) vs \(seen)")
        try irc.send("PRIVMSG #lobby :hello plain")
        let line = try XCTUnwrap(try plain.nextMessage())
        XCTAssertNotNil(line.range(of: #"^\[\d\d:\d\d:\d\d\] <ircuser> hello plain$"#, options: .regularExpression), line)
        // The time tag is the Timestamp plugin's annotation: the same second as the prefix.
        try irc.send("PRIVMSG #lobby :\u{1}ACTION waves\u{1}")
        XCTAssertTrue(try XCTUnwrap(try plain.nextMessage()).hasSuffix("* ircuser waves"))
        try plain.send("/me nods\n")
        XCTAssertTrue(try XCTUnwrap(try irc.nextMessage()).hasSuffix("PRIVMSG #lobby :\u{1}ACTION nods\u{1}"))

        // Plugin commands and bots reach IRC users.
        try irc.send("ROLL 2 6")
        try irc.expect { $0.contains("NOTICE ircuser :ircuser: /roll 2 6 = ") }
        try irc.send("WHOIS EchoBot")
        XCTAssertTrue(try irc.expectNumeric("311").contains("EchoBot bot bots.parley * :Plugin bot"))
        try irc.send("WHO #lobby")
        try irc.expect { $0.contains(" 352 ") && $0.contains(" EchoBot ") }
        try irc.send("PRIVMSG #lobby :!echo ping")
        XCTAssertTrue(try XCTUnwrap(try irc.nextMessage()).hasSuffix(":EchoBot!bot@bots.parley PRIVMSG #lobby :ping"))

        try irc.send("NICK ircnew")
        try plain.expect("-!- ircuser is now known as ircnew")
        try plain.send("/nick plainnew\n")
        try irc.expect(":plainuser!plain@\(loopbackCloak) NICK plainnew")
        try irc.send("PART #lobby :bye plain")
        try plain.expect("-!- ircnew left #lobby (bye plain)")
        try irc.join("#lobby")
        try plain.send("/quit see you\n")
        try irc.expect(":plainnew!plain@\(loopbackCloak) QUIT :Quit: see you")
    }

    func testRejectReachesIRCSendersAndDropIsSilent() throws {
        let folder = PluginFolder()
        try folder.compile("chain_probe.c", as: "Probe")
        let server = try TestServer(config: "plugins = [\"Probe\"]\n[plugin.Probe]\ntag = \"P\"\n", arguments: folder.arguments)
        let irc = try IRCTestClient.registered(server, "ircuser")
        try irc.join("#lobby")
        let plain = try server.register("plainuser")
        try irc.send("PRIVMSG #lobby :reject me")
        XCTAssertTrue(try irc.expectNumeric("404").contains("#lobby :Message not sent: no rejects here"))
        try irc.send("PRIVMSG plainuser :reject this too")
        try irc.expect("NOTICE ircuser :Your message to plainuser was not sent: no rejects here")
        try irc.send("PRIVMSG #lobby :drop me")
        try irc.send("PING after-drop")
        // DROP tells nobody, not even the sender: its next line is the PONG.
        XCTAssertEqual(try irc.socket.readLine(), ":parley.local PONG parley.local after-drop")
        try irc.send("PRIVMSG #lobby :kept")
        XCTAssertEqual(try plain.nextMessage(), "<ircuser> kept [P]")
    }

    func testIRCv3Capabilities() throws {
        let server = try TestServer()
        let rich = try IRCTestClient.registered(server, "rich", caps: ["echo-message", "multi-prefix", "away-notify",
                                                                       "userhost-in-names", "message-tags", "server-time"])
        let plainIRC = try IRCTestClient.registered(server, "basic")
        try rich.join("#caps")
        try plainIRC.join("#caps")
        try rich.send("MODE #caps +v rich")
        try rich.expect("MODE #caps +v rich")
        try rich.send("NAMES #caps")
        XCTAssertTrue(try rich.expectNumeric("353").hasSuffix(":basic!~basic@\(loopbackCloak) @+rich!~rich@\(loopbackCloak)"))
        try plainIRC.send("NAMES #caps")
        XCTAssertTrue(try plainIRC.expectNumeric("353").hasSuffix(":basic @rich"))

        try rich.send("@+draft/react=x PRIVMSG #caps :echoed")
        let echo = try XCTUnwrap(try rich.nextMessage())
        XCTAssertTrue(echo.hasPrefix("@time="), echo)
        XCTAssertTrue(echo.hasSuffix(":rich!~rich@\(loopbackCloak) PRIVMSG #caps :echoed"), echo)
        XCTAssertEqual(try plainIRC.nextMessage(), ":rich!~rich@\(loopbackCloak) PRIVMSG #caps :echoed",
                       "no tags for clients without server-time or message-tags")
        try plainIRC.send("AWAY :brb")
        try rich.expect { $0.hasSuffix(":basic!~basic@\(loopbackCloak) AWAY :brb") }
        try plainIRC.send("@+draft/react=y PRIVMSG #caps :tagged")
        let tagged = try XCTUnwrap(try rich.nextMessage())
        XCTAssertFalse(tagged.contains("draft/react"), "the sender did not negotiate message-tags, so its tags are dropped")
    }

    func testHostileInputNeverBreaksTheServer() throws {
        let server = try TestServer()
        let hostile = try IRCTestClient(port: server.ircPort, nick: "hostile")
        try hostile.send("CAP END")
        try hostile.send("CAP REQ")
        try hostile.send("")
        try hostile.send("      ")
        try hostile.send("PRIVMSG #x :before registration")
        try hostile.expectNumeric("451")
        try hostile.send("NICK hostile")
        try hostile.send("USER h 0 * :H")
        // The CAP REQ above (even refused) suspended registration until CAP END, per the spec.
        try hostile.send("PING held")
        try hostile.expect("PONG parley.local held")
        XCTAssertFalse(hostile.received.contains { $0.contains(" 001 ") })
        try hostile.send("CAP END")
        try hostile.expectNumeric("001")
        try hostile.send("PRIVMSG " + Array(repeating: "p", count: 10_000).joined(separator: " "))
        try hostile.expectNumeric("417")
        try hostile.send("@" + String(repeating: "t=1;", count: 3000) + " PING x")
        try hostile.expectNumeric("417")
        try hostile.socket.send(bytes: Array("PRIVMSG #x :nul\u{0}byte\r\n".utf8))
        try hostile.expectNumeric("400")
        try hostile.socket.send(bytes: Array(repeating: UInt8(ascii: "A"), count: 20_000) + [0x0D, 0x0A])
        try hostile.expectNumeric("417")
        try hostile.send("CAP LS 302")
        try hostile.expect(" CAP hostile LS ")
        try hostile.send(":fake!source PING spoof")
        try hostile.expect("PONG parley.local spoof")
        try hostile.send("MODE")
        try hostile.expectNumeric("461")
        // As many parameters as fit in 510 bytes.
        try hostile.send("JOIN " + Array(repeating: "#p", count: 160).joined(separator: " "))
        try hostile.expect { $0.contains(" 366 ") && $0.contains("#p") }
        try hostile.send("PASS late")
        try hostile.expectNumeric("462")
        // Still connected and served, and so is everyone else.
        let other = try IRCTestClient.registered(server, "other")
        try other.join("#fine")
        try hostile.join("#fine")
        // A CR inside a line never reaches anyone: the line is refused whole.
        try hostile.socket.send(bytes: Array("PRIVMSG #fine :split\rNOTICE other :forged\r\n".utf8))
        let refused = try hostile.expectNumeric("400")
        XCTAssertTrue(refused.contains("carriage return"), refused)
        try hostile.send("PRIVMSG #fine :still here")
        XCTAssertEqual(try other.nextMessage(), ":hostile!~h@\(loopbackCloak) PRIVMSG #fine :still here")
    }

    func testARealIRCClientLibraryChatsWithAPlainUser() throws {
        try RequiredTool.pythonIRC.require()
        let script = PluginFolder.fixturesFolder + "/irc_client_session.py"
        let server = try TestServer(config: withPlugins)
        let plain = try server.register("plainuser")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(server.ircPort)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try plain.expect("-!- pyclient joined #lobby")
        try plain.send("hello irc\n")
        let answer = try XCTUnwrap(try plain.nextMessage())
        XCTAssertTrue(answer.hasSuffix("<pyclient> hello plain"), answer)
        try plain.expect("-!- pyclient is now known as pyclient2")
        try plain.expect("-!- pyclient2 quit (Quit: done)")
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, log)
        XCTAssertTrue(log.contains("WELCOME"), log)
        XCTAssertTrue(log.contains("PUBMSG plainuser!plain@\(loopbackCloak) #lobby hello irc"), log)
        XCTAssertTrue(log.contains("NICK pyclient!~pyclient@\(loopbackCloak) pyclient2"), log)
    }
}
