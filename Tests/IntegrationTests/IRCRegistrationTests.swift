import Foundation
import XCTest

/// IRC registration in every order, CAP negotiation, PASS, timeouts and PING.
final class IRCRegistrationTests: XCTestCase {
    func testNickThenUserAndUserThenNick() throws {
        let server = try TestServer()
        for (index, order) in [["NICK one", "USER one 0 * :One"], ["USER two 0 * :Two", "NICK two"]].enumerated() {
            let client = try IRCTestClient(port: server.ircPort, nick: index == 0 ? "one" : "two")
            for line in order { try client.send(line) }
            let welcome = try client.expectNumeric("001")
            XCTAssertTrue(welcome.contains("Welcome to the Parley Network, \(client.nick)!~\(client.nick)@\(loopbackCloak)"), welcome)
            try client.expectNumeric("002")
            try client.expectNumeric("003")
            let myinfo = try client.expectNumeric("004")
            XCTAssertTrue(myinfo.contains("parley.local parley-"), myinfo)
            let isupport = try client.expectNumeric("005") + (try client.expectNumeric("005"))
            for token in ["CASEMAPPING=ascii", "CHANTYPES=#", "CHANMODES=b,k,l,imnst", "PREFIX=(ov)@+", "NICKLEN=30",
                          "CHANNELLEN=50", "TOPICLEN=390", "NETWORK=Parley", "MODES=20"] {
                XCTAssertTrue(isupport.contains(token), "\(token) missing from \(isupport)")
            }
            XCTAssertTrue(isupport.contains("TARGMAX="))
            for code in ["251", "252", "253", "254", "255", "265", "266", "375", "372", "376"] { try client.expectNumeric(code) }
        }
    }

    func testCapNegotiationHoldsRegistrationUntilEnd() throws {
        let server = try TestServer()
        let client = try IRCTestClient(port: server.ircPort, nick: "capper")
        try client.send("CAP LS 302")
        let ls = try client.expect(" CAP * LS ")
        for cap in ["message-tags", "server-time", "echo-message", "multi-prefix", "away-notify", "userhost-in-names"] {
            XCTAssertTrue(ls.contains(cap), "\(cap) not offered: \(ls)")
        }
        try client.send("NICK capper")
        try client.send("USER capper 0 * :Capper")
        try client.send("CAP REQ :server-time bogus-cap")
        try client.expect(" CAP * NAK :server-time bogus-cap")
        try client.send("CAP REQ :server-time echo-message")
        try client.expect(" CAP * ACK :server-time echo-message")
        try client.send("PING sync")
        try client.expect("PONG parley.local sync")
        XCTAssertFalse(client.received.contains { $0.contains(" 001 ") }, "registered before CAP END")
        try client.send("CAP LIST")
        // cap-notify comes with CAP LS 302, as the spec says.
        try client.expect(" CAP * LIST :cap-notify echo-message server-time")
        try client.send("CAP END")
        try client.expectNumeric("001")
        try client.send("CAP FROB")
        try client.expectNumeric("410")
    }

    func testPasswordIsCheckedWhenConfigured() throws {
        let hash = try parleyPasswordHash("letmein")
        let server = try TestServer(config: "[server]\npassword_hash = \"\(hash)\"\n")
        let good = try IRCTestClient(port: server.ircPort, nick: "good")
        try good.send("PASS letmein")
        try good.send("NICK good")
        try good.send("USER good 0 * :Good")
        try good.expectNumeric("001")
        try good.send("PASS again")
        try good.expectNumeric("462")

        let bad = try IRCTestClient(port: server.ircPort, nick: "bad")
        try bad.send("PASS wrong")
        try bad.send("NICK bad")
        try bad.send("USER bad 0 * :Bad")
        try bad.expectNumeric("464")
        XCTAssertEqual(try bad.readUntilClosed().last, "ERROR :Closing Link: 127.0.0.1 (Bad password)")
    }

    func testRegistrationErrors() throws {
        let server = try TestServer()
        let taken = try IRCTestClient.registered(server, "Taken")
        let client = try IRCTestClient(port: server.ircPort, nick: "x")
        try client.send("JOIN #early")
        XCTAssertTrue(try client.expectNumeric("451").contains("You have not registered"))
        try client.send("NICK")
        try client.expectNumeric("431")
        try client.send("NICK 9bad")
        try client.expectNumeric("432")
        try client.send("NICK tAKEN")
        try client.expectNumeric("433")
        try client.send("USER onlyone")
        try client.expectNumeric("461")
        try client.send("NICK fine")
        try client.send("USER fine 0 * :Fine")
        try client.expectNumeric("001")
        try client.send("USER again 0 * :Again")
        try client.expectNumeric("462")
        // Once registered, PASS and USER are refused as re-registration whatever their parameters.
        try client.send("USER short")
        try client.expectNumeric("462")
        try client.send("PASS")
        try client.expectNumeric("462")
        try client.send("NICK Taken")
        try client.expectNumeric("433")
        withExtendedLifetime(taken) {}
    }

    func testRegistrationTimeoutDropsClientsThatNeverFinish() throws {
        let server = try TestServer(config: "[limits]\nregistration_timeout_seconds = 1\n")
        let client = try IRCTestClient(port: server.ircPort, nick: "slowpoke")
        try client.send("NICK slowpoke")
        XCTAssertEqual(try client.readUntilClosed().last, "ERROR :Closing Link: 127.0.0.1 (Registration timed out)")
    }

    func testIdleClientsArePingedAndDroppedWithoutAnAnswer() throws {
        let server = try TestServer(config: "[limits]\nping_interval_seconds = 1\nping_timeout_seconds = 3\n")
        let watcher = try IRCTestClient.registered(server, "watcher")
        try watcher.join("#room")
        let silent = try IRCTestClient.registered(server, "silent")
        try silent.join("#room")
        // The watcher answers every PING; the silent one never does.
        try silent.expect("PING parley.local")
        while true {
            let line = try XCTUnwrap(try watcher.socket.readLine())
            if line.hasPrefix("PING ") { try watcher.send("PONG " + line.dropFirst(5)) }
            if line.contains("silent!") && line.contains(" QUIT :Ping timeout: ") { break }
        }
        XCTAssertTrue(try silent.readUntilClosed().last?.contains("(Ping timeout: ") == true)
        // The one that answered is still served.
        try watcher.send("PING still")
        try watcher.expect("PONG parley.local still")
    }

    func testServerPingIsAnsweredAndMotdAndLusersOnRequest() throws {
        let server = try TestServer(config: "[server]\nmotd = \"\"\n")
        let client = try IRCTestClient(port: server.ircPort, nick: "asker")
        try client.send("NICK asker")
        try client.send("USER asker 0 * :Asker")
        try client.expectNumeric("422")
        try client.send("PING :token with spaces")
        try client.expect("PONG parley.local :token with spaces")
        try client.send("PING")
        try client.expectNumeric("409")
        try client.send("LUSERS")
        XCTAssertTrue(try client.expectNumeric("251").contains("There are 1 users"))
    }
}
