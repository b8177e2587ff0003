import Foundation
import XCTest

/// Failed password attempts are limited per IP address across connections and protocols: each
/// failure makes the next check from that address wait longer, and after
/// `password_limits.failures_per_ip` failures the address is refused at once, without a
/// password hash being run, until its cool-down ends.
final class PasswordCooldownTests: XCTestCase {
    private func config(failures: Int, delayMilliseconds: Int, cooldownSeconds: Int, extra: String = "") throws -> String {
        """
        [password_limits]
        failures_per_ip = \(failures)
        delay_milliseconds = \(delayMilliseconds)
        cooldown_seconds = \(cooldownSeconds)
        [log]
        level = "debug"
        \(extra)
        \(try operatorSection())
        """
    }

    /// The hashes the server ran: PasswordChecker logs each one at debug level.
    private func hashesRun(_ server: TestServer) -> Int {
        server.logLines.filter { $0.contains("password checked") }.count
    }

    private func delays(_ server: TestServer) -> [Int] {
        server.logLines.filter { $0.contains("password attempt delayed") }.compactMap { line in
            line.range(of: "milliseconds=").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        }
    }

    /// Polls (a cheap refused attempt each time) until `attempt` stops being refused.
    private func untilTheCooldownEnds(seconds: Double, _ attempt: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !attempt() {
            guard Date() < deadline else { throw TestFailure("the cool-down did not end within \(seconds) s") }
            usleep(100_000)
        }
    }

    func testFailuresAcrossConnectionsEndInACooldownThatRunsNoHash() throws {
        let server = try TestServer(config: try config(failures: 3, delayMilliseconds: 300, cooldownSeconds: 2))
        let bystander = try IRCTestClient.registered(server, "bystander")
        // Three connections, one wrong password each (IRC OPER, IRC OPER, plain /oper).
        for nick in ["guess1", "guess2"] {
            let guesser = try IRCTestClient.registered(server, nick)
            try guesser.send("OPER admin wrong")
            try guesser.expectNumeric("464")
        }
        let plain = try server.register("guess3")
        try plain.send("/oper admin wrong\n")
        try plain.expect("error: wrong operator name or password")
        try server.waitForLog("password cool-down started", "peer=127.0.0.1", "seconds=2")
        XCTAssertEqual(hashesRun(server), 3)
        // Each failure made the next check wait longer: about 300 ms, then about 600 ms.
        let waits = delays(server)
        XCTAssertEqual(waits.count, 2, "\(waits)")
        XCTAssertTrue(waits.count == 2 && (1...300).contains(waits[0]) && (301...600).contains(waits[1]), "\(waits)")

        // Now even the right password is refused at once, on either protocol, with the retry time.
        let late = try IRCTestClient.registered(server, "late")
        try late.send("OPER admin s3cret")
        let refusal = try late.expectNumeric("263")
        XCTAssertNotNil(refusal.range(of: #"263 late OPER :too many failed password attempts from your address; try again in [12] seconds?$"#,
                                      options: .regularExpression), refusal)
        try plain.send("/oper admin s3cret\n")
        try plain.expect { $0.hasPrefix("error: too many failed password attempts from your address; try again in ") }
        try server.waitForLog("password attempt refused", "no check was run", count: 2)
        XCTAssertEqual(hashesRun(server), 3, "no hash for refused attempts")
        // A refusal is no failure of the connection's own: late is still connected.
        try late.send("PING still-here")
        try late.expect("PONG parley.local still-here")
        try bystander.send("PING alive")
        try bystander.expect("PONG parley.local alive")

        // Once the cool-down is over, the right password works.
        try untilTheCooldownEnds(seconds: 10) {
            try late.send("OPER admin s3cret")
            let answer = try late.expect { $0.contains(" 263 late ") || $0.contains(" 381 late ") }
            return answer.contains(" 381 ")
        }
        try server.waitForLog("password checked", "matched=true")
        XCTAssertEqual(hashesRun(server), 4)
        try server.waitForLog("operator login", "nick=late", "operator=admin")
    }

    func testPassDuringACooldownClosesTheLinkWithTheRetryTime() throws {
        let hash = try parleyPasswordHash("letmein")
        let server = try TestServer(config: try config(failures: 2, delayMilliseconds: 1, cooldownSeconds: 1,
                                                       extra: "[server]\npassword_hash = \"\(hash)\""))
        for nick in ["bad1", "bad2"] {
            let bad = try IRCTestClient(port: server.ircPort, nick: nick)
            try bad.send("PASS wrong")
            try bad.send("NICK \(nick)")
            try bad.send("USER \(nick) 0 * :Bad")
            try bad.expectNumeric("464")
            XCTAssertEqual(try bad.readUntilClosed().last, "ERROR :Closing Link: 127.0.0.1 (Bad password)")
        }
        try server.waitForLog("password cool-down started", "peer=127.0.0.1", "seconds=1")
        let refused = try IRCTestClient(port: server.ircPort, nick: "good")
        try refused.send("PASS letmein")
        let last = try XCTUnwrap(try refused.readUntilClosed().last)
        XCTAssertNotNil(last.range(of: #"^ERROR :Closing Link: 127\.0\.0\.1 \(too many failed password attempts from your address; try again in 1 second\)$"#,
                                   options: .regularExpression), last)
        XCTAssertEqual(hashesRun(server), 2)

        try untilTheCooldownEnds(seconds: 10) {
            let client = try IRCTestClient(port: server.ircPort, nick: "good")
            // One write: a refused PASS closes the link before NICK could be sent on its own.
            try client.socket.send("PASS letmein\r\nNICK good\r\nUSER good 0 * :Good\r\n")
            let answer = try client.expect { $0.contains(" 001 ") || $0.hasPrefix("ERROR ") }
            return answer.contains(" 001 ")
        }
        try server.waitForLog("password checked", "matched=true")
        XCTAssertEqual(hashesRun(server), 3)
    }

    /// Three failures on one connection still end it, PASS included, before the address's limit.
    func testOneConnectionStillEndsAfterThreeFailures() throws {
        let hash = try parleyPasswordHash("letmein")
        let server = try TestServer(config: try config(failures: 10, delayMilliseconds: 1, cooldownSeconds: 60,
                                                       extra: "[server]\npassword_hash = \"\(hash)\""))
        let client = try IRCTestClient(port: server.ircPort, nick: "x")
        for guess in ["one", "two"] {
            try client.send("PASS \(guess)")
            try server.waitForLog("password checked", "matched=false", count: guess == "one" ? 1 : 2)
        }
        try client.send("PASS three")
        XCTAssertEqual(try client.readUntilClosed().last, "ERROR :Closing Link: 127.0.0.1 (Too many failed password attempts)")
    }
}
