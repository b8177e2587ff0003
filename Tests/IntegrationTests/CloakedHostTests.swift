import Foundation
import XCTest

/// Host cloaking through real sockets: others see the cloak everywhere a host is shown, on both
/// protocols; the user themself and server operators see the real address; bans match either.
final class CloakedHostTests: XCTestCase {
    /// Every line `client` got in answer to `command`, up to the numeric that ends it.
    private func replies(to command: String, by client: IRCTestClient, endingWith code: String) throws -> [String] {
        let start = client.received.count
        try client.send(command)
        try client.expectNumeric(code)
        return Array(client.received[start...])
    }

    private func whois(_ nick: String, by client: IRCTestClient) throws -> [String] {
        try replies(to: "WHOIS \(nick)", by: client, endingWith: "318")
    }

    func testOthersSeeTheCloakAndOnlyTheUserAndOperatorsTheAddress() throws {
        let server = try TestServer(config: try operatorSection())
        let alice = try IRCTestClient.registered(server, "alice")
        let bob = try IRCTestClient.registered(server, "bob", caps: ["userhost-in-names"])
        let admin = try IRCTestClient.registered(server, "admin")
        XCTAssertTrue(alice.received.contains { $0.contains(" 001 alice :Welcome to the Parley Network, alice!~alice@\(loopbackCloak)") },
                      "the user's own mask is the one everyone sees")
        try admin.send("OPER admin s3cret")
        try admin.expectNumeric("381")

        try bob.join("#room")
        try alice.join("#room")
        try bob.expect(":alice!~alice@\(loopbackCloak) JOIN #room")
        try alice.send("PRIVMSG #room :hello")
        XCTAssertEqual(try bob.nextMessage(), ":alice!~alice@\(loopbackCloak) PRIVMSG #room :hello")
        try bob.send("NAMES #room")
        XCTAssertTrue(try bob.expectNumeric("353").hasSuffix(":alice!~alice@\(loopbackCloak) @bob!~bob@\(loopbackCloak)"))
        try bob.send("WHO #room")
        XCTAssertTrue(try bob.expectNumeric("352").contains("#room ~alice \(loopbackCloak) parley.local alice H"))

        // WHOIS: the cloak in 311 for everyone; 338 with the address only to alice and operators.
        let seenByBob = try whois("alice", by: bob)
        XCTAssertTrue(seenByBob.contains { $0.contains(" 311 bob alice ~alice \(loopbackCloak) * :alice Tester") }, "\(seenByBob)")
        XCTAssertFalse(seenByBob.contains { $0.contains(" 338 ") || $0.contains("127.0.0.1") }, "\(seenByBob)")
        for (viewer, name) in [(alice, "alice"), (admin, "admin")] {
            let lines = try whois("alice", by: viewer)
            XCTAssertTrue(lines.contains(":parley.local 338 \(name) alice ~alice@127.0.0.1 127.0.0.1 :Actual user@host, Actual IP"), "\(lines)")
        }

        // WHO cannot be used to find who is behind a cloak, except by operators.
        for mask in ["127.0.0.1", "*@127.0.0.1", "alice!*@127.*"] {
            let lines = try replies(to: "WHO \(mask)", by: bob, endingWith: "315")
            // Only bob himself: one may search by one's own address.
            XCTAssertEqual(lines.filter { $0.contains(" 352 ") && !$0.contains(" bob H") }, [], "WHO \(mask)")
        }
        let byAdmin = try replies(to: "WHO *@127.0.0.1", by: admin, endingWith: "315").filter { $0.contains(" 352 ") }
        XCTAssertEqual(byAdmin.count, 3, "every user's real address matched: \(byAdmin)")
        XCTAssertTrue(byAdmin.allSatisfy { $0.contains(" \(loopbackCloak) parley.local ") }, "the host shown stays the cloak")
        let byCloak = try replies(to: "WHO *.jxkson6k.4f4vzxqf.ip", by: bob, endingWith: "315").filter { $0.contains(" 352 ") }
        XCTAssertEqual(byCloak.count, 3, "the cloak itself is searchable by anyone: \(byCloak)")

        // USERHOST: the real address to oneself and to operators.
        try bob.send("USERHOST alice bob")
        XCTAssertTrue(try bob.expectNumeric("302").hasSuffix(":alice=+~alice@\(loopbackCloak) bob=+~bob@127.0.0.1"))
        try admin.send("USERHOST alice")
        XCTAssertTrue(try admin.expectNumeric("302").hasSuffix(":alice=+~alice@127.0.0.1"))

        // WHOWAS: the cloak for everyone, 338 for operators.
        try alice.send("QUIT :bye")
        _ = try alice.readUntilClosed()
        try bob.expect(":alice!~alice@\(loopbackCloak) QUIT :Quit: bye")
        try bob.send("WHOWAS alice")
        XCTAssertTrue(try bob.expectNumeric("314").contains("alice ~alice \(loopbackCloak) * :alice Tester"))
        try bob.expectNumeric("369")
        XCTAssertFalse(bob.received.contains { $0.contains(" 338 ") })
        try admin.send("WHOWAS alice")
        try admin.expectNumeric("314")
        XCTAssertTrue(try admin.expectNumeric("338").hasSuffix("alice ~alice@127.0.0.1 127.0.0.1 :Actual user@host, Actual IP"))
    }

    func testPlainUsersAreCloakedAndTheirWhoisFollowsTheSameRule() throws {
        let server = try TestServer(config: try operatorSection())
        let irc = try IRCTestClient.registered(server, "ircer")
        try irc.join("#lobby")
        let plain = try server.register("plainer")
        try irc.expect(":plainer!plain@\(loopbackCloak) JOIN #lobby")
        try plain.send("hi from plain\n")
        XCTAssertEqual(try irc.nextMessage(), ":plainer!plain@\(loopbackCloak) PRIVMSG #lobby :hi from plain")

        try plain.send("/whois ircer\n")
        try plain.expect("-!- ircer is ircer!~ircer@\(loopbackCloak) (ircer Tester)")
        try plain.expect("-!- ircer is in #lobby")
        let idle = try plain.expect("-!- ircer has been idle")
        XCTAssertFalse(plain.received.contains { $0.contains("127.0.0.1") }, "\(plain.received.suffix(4)) ... \(idle)")

        try plain.send("/whois plainer\n")
        try plain.expect("-!- plainer is plainer!plain@\(loopbackCloak) (plainer)")
        try plain.expect("-!- plainer is connecting from 127.0.0.1")

        let oper = try server.register("watcher")
        try oper.send("/oper admin s3cret\n")
        try oper.expect("-!- You are now a server operator (admin)")
        try oper.send("/whois ircer\n")
        try oper.expect("-!- ircer is connecting from 127.0.0.1")
        try oper.send("/whois nobody\n")
        try oper.expect("error: no user is called nobody")
    }

    func testBansMatchTheCloakItsNetworkOrTheRealAddress() throws {
        let server = try TestServer()
        let op = try IRCTestClient.registered(server, "op")
        try op.join("#club")
        let guest = try IRCTestClient.registered(server, "guest")
        let plain = try server.register("wanderer")
        // /24 and /16 parts of the cloak: a network ban, as InspIRCd's partial cloaks allow.
        for mask in ["*!*@127.0.0.1", "*!*@\(loopbackCloak)", "*!*@*.jxkson6k.4f4vzxqf.ip", "*!*@*.4f4vzxqf.ip", "*!*@127.0.0.*"] {
            try op.send("MODE #club +b \(mask)")
            try op.expect(" MODE #club +b \(mask)")
            try guest.send("JOIN #club")
            XCTAssertTrue(try guest.expectNumeric("474").contains("#club :Cannot join channel (+b)"), mask)
            try plain.send("/join #club\n")
            try plain.expect("error: you are banned from #club")
            try op.send("MODE #club -b \(mask)")
            try op.expect(" MODE #club -b \(mask)")
        }
        try op.send("MODE #club +b *!*@*.otherpart.ip")
        try op.expect(" MODE #club +b *!*@*.otherpart.ip")
        try guest.join("#club")
        try op.expect(":guest!~guest@\(loopbackCloak) JOIN #club")
        // The ban list shows who set each ban by the mask everyone sees.
        try op.send("MODE #club +b")
        XCTAssertTrue(try op.expectNumeric("367").contains("#club *!*@*.otherpart.ip op!~op@\(loopbackCloak)"))
    }

    func testCloakingCanBeTurnedOffOrGivenItsOwnSecretAndSuffix() throws {
        let off = try TestServer(config: "[cloaking]\nenabled = false\n")
        let a = try IRCTestClient.registered(off, "a")
        let b = try IRCTestClient.registered(off, "b")
        try a.join("#x")
        try b.join("#x")
        try a.expect(":b!~b@127.0.0.1 JOIN #x")

        // Pinned by HostCloakTests.testCloaksArePinnedToTheirDefinition.
        let own = try TestServer(config: """
            [cloaking]
            secret = "another secret of enough length"
            suffix = "users.example"
            """)
        let c = try IRCTestClient.registered(own, "c")
        XCTAssertTrue(c.received.contains { $0.hasSuffix("c!~c@l3u3moos.3qb22g6b.xib2jn7z.users.example") }, "\(c.received.prefix(1))")
    }

    func testWithoutASecretOneIsMadeAtStartupWithAWarning() throws {
        let server = try TestServer(config: "[cloaking]\nsuffix = \"ip\"\n")
        try server.waitForLog("cloaking.secret is not set", "change when the server restarts")
        let c = try IRCTestClient.registered(server, "c")
        let welcome = try XCTUnwrap(c.received.first { $0.contains(" 001 ") })
        XCTAssertNotNil(welcome.range(of: #"c!~c@[a-z2-7]{8}\.[a-z2-7]{8}\.[a-z2-7]{8}\.ip$"#, options: .regularExpression), welcome)
        XCTAssertFalse(welcome.contains(loopbackCloak), "a secret of its own, not the tests' one")
        XCTAssertFalse(welcome.contains("127.0.0.1"))
    }

    /// A reload changes the cloak of those who register afterwards; nobody's host changes under
    /// them (their bans and the others' view of them stay as they were).
    func testAReloadCloaksNewUsersWithTheNewSecret() throws {
        let server = try TestServer()
        let early = try IRCTestClient.registered(server, "early")
        try early.join("#x")
        let path = try XCTUnwrap(server.configPath)
        try "plugins = []\n[cloaking]\nsecret = \"another secret of enough length\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.waitForLog("config reloaded", "cloaking")
        let late = try IRCTestClient.registered(server, "late")
        try late.join("#x")
        try early.expect(":late!~late@l3u3moos.3qb22g6b.xib2jn7z.ip JOIN #x")
        try late.send("WHO #x")
        try late.expect { $0.contains(" 352 late #x ~early \(loopbackCloak) ") }
    }
}
