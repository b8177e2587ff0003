import Foundation
import Glibc
import XCTest

/// Fakelag through real sockets: a flooder's lines reach the room at its configured pace, in
/// order, none lost; queries weigh more; Excess Flood; operators and exempt networks; reload.
/// Every test turns flood control on in its own `[flood]` table (TestServer leaves it off
/// otherwise). Paces are asserted from arrival times: by the time line k (from 0) arrives, the
/// server has processed k + 1 lines, at most `burst + rate * elapsed` of them, so it cannot
/// arrive before `(k + 1 - burst) / rate` seconds after the flood was sent.
final class FloodControlTests: XCTestCase {
    private func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Reads `count` messages, checks they are `expected(k)` in order, and returns when each
    /// arrived, in seconds after `start`.
    private func arrivals(_ client: TestClient, count: Int, since start: Double,
                          _ expected: (Int) -> String) throws -> [Double] {
        var times: [Double] = []
        for index in 0..<count {
            XCTAssertEqual(try client.nextMessage(), expected(index), "line \(index): lost or out of order")
            times.append(seconds() - start)
        }
        return times
    }

    private func assertPace(_ times: [Double], burst: Int, rate: Double, _ what: String) {
        for (index, time) in times.enumerated() {
            let earliest = Double(index + 1 - burst) / rate
            XCTAssertGreaterThanOrEqual(time, earliest - 0.001, "\(what): line \(index) arrived before the fakelag allows")
        }
        // Not slower than the pace either (generously: the machine is shared).
        let last = Double(times.count - burst) / rate
        XCTAssertLessThan(times.last ?? 0, last + 5, "\(what): the flood was processed far slower than its rate")
    }

    func testAFlooderGetsItsLinesInAtTheConfiguredRateInOrderAndNoneIsLost() throws {
        let server = try TestServer(config: "[flood]\nburst = 5\nlines_per_second = 40\n")
        let bob = try server.register("bob")
        let alice = try server.register("alice")
        let lines = 30
        var start = seconds()
        try alice.send((0..<lines).map { "flood \($0)\n" }.joined())
        let plain = try arrivals(bob, count: lines, since: start) { "<alice> flood \($0)" }
        assertPace(plain, burst: 5, rate: 40, "plain")

        let carol = try IRCTestClient.registered(server, "carol")
        try carol.join("#lobby")
        start = seconds()
        try carol.send((0..<lines).map { "PRIVMSG #lobby :flood \($0)" }.joined(separator: "\r\n"))
        let irc = try arrivals(bob, count: lines, since: start) { "<carol> flood \($0)" }
        assertPace(irc, burst: 5, rate: 40, "IRC")
    }

    func testQueriesCountForMoreThanMessages() throws {
        // Three queries of cost 4 take 12 of the tokens: the message after them waits for
        // (12 + 1 - 5) / 20 = 0.4 s of refill, where after three messages it would pass at once.
        let server = try TestServer(config: "[flood]\nburst = 5\nlines_per_second = 20\nquery_cost = 4\n")
        let bob = try server.register("bob")
        let alice = try server.register("alice")
        var start = seconds()
        try alice.send("/who\n/rooms\n/who\nafter the queries\n")
        var times = try arrivals(bob, count: 1, since: start) { _ in "<alice> after the queries" }
        XCTAssertGreaterThanOrEqual(times[0], 0.4 - 0.001, "plain /who and /rooms count as query_cost lines")

        let carol = try IRCTestClient.registered(server, "carol")
        try carol.join("#lobby")
        start = seconds()
        try carol.send("NAMES #lobby\r\nWHO #lobby\r\nLIST\r\nPRIVMSG #lobby :after the queries")
        times = try arrivals(bob, count: 1, since: start) { _ in "<carol> after the queries" }
        // JOIN took a token too: (12 + 1 + 1 - 5) / 20.
        XCTAssertGreaterThanOrEqual(times[0], 0.45 - 0.001, "IRC NAMES, WHO and LIST count as query_cost lines")
    }

    func testInputBeyondTheReceiveQueueIsAnExcessFlood() throws {
        let server = try TestServer(config: "[flood]\nburst = 1\nlines_per_second = 1\nrecvq_bytes = 16384\n")
        let bob = try server.register("bob")
        let alice = try server.register("alice")
        let flood = (0..<1000).map { "flood line \($0) " + String(repeating: "x", count: 40) + "\n" }.joined()
        try alice.send(flood)
        XCTAssertEqual(try alice.readUntilClosed().last, "-!- Excess Flood")
        XCTAssertEqual(try bob.nextMessage(), "<alice> flood line 0 " + String(repeating: "x", count: 40))
        try bob.expect("-!- alice quit (Excess Flood)")
        XCTAssertFalse(bob.received.contains { $0.hasPrefix("<alice> flood line 1 ") }, "only the burst got through")
        try server.waitForLog("excess flood", "nick=alice")

        let carol = try IRCTestClient.registered(server, "carol")
        try carol.join("#lobby")
        try carol.send((0..<1000).map { "PRIVMSG #lobby :flood line \($0)" }.joined(separator: "\r\n"))
        XCTAssertEqual(try carol.readUntilClosed().last, "ERROR :Closing Link: 127.0.0.1 (Excess Flood)")
        try bob.expect("-!- carol quit (Excess Flood)")
    }

    func testLinesBeforeRegisteringAreCappedNotFakelagged() throws {
        let server = try TestServer(config: "[flood]\nregistration_lines = 16\n")
        let bob = try server.register("bob")
        // Registration itself is never slowed: a CAP dance of a dozen lines goes straight through.
        let quick = try IRCTestClient(port: server.ircPort, nick: "quick")
        try quick.send((0..<10).map { "PING :before\($0)" }.joined(separator: "\r\n"))
        try quick.register()
        // An unregistered connection that keeps talking is an Excess Flood at the cap.
        let chatty = try IRCTestClient(port: server.ircPort, nick: "chatty")
        try chatty.send((0..<200).map { "PING :spam\($0)" }.joined(separator: "\r\n"))
        let lines = try chatty.readUntilClosed()
        XCTAssertEqual(lines.last, "ERROR :Closing Link: 127.0.0.1 (Excess Flood)")
        // The line that goes past the cap is the last one handled: only then is it known that it
        // did not register the connection.
        XCTAssertEqual(lines.filter { $0.contains("PONG") }.count, 17, "\(lines.suffix(3))")
        try server.waitForLog("excess flood", "more than flood.registration_lines (16)")
        // The plain protocol counts the same way: nickname attempts included.
        let plain = try server.connect()
        try plain.send((0..<40).map { "/nosuchcommand \($0)\n" }.joined())
        XCTAssertEqual(try plain.readUntilClosed().last, "-!- Excess Flood")
        try bob.send("/who\n")
        try bob.expect("-!- #lobby has 1 member: bob")
    }

    func testOperatorsAreExempt() throws {
        // At 0.1 lines per second a non-exempt client's third line waits 10 s.
        let server = try TestServer(config: "[flood]\nburst = 2\nlines_per_second = 0.1\n" + (try operatorSection()))
        let bob = try server.register("bob")
        let alice = try server.register("alice")
        try alice.send("/oper admin s3cret\n")
        try alice.expect("You are now a server operator")
        try alice.send((0..<30).map { "oper line \($0)\n" }.joined())
        _ = try arrivals(bob, count: 30, since: seconds()) { "<alice> oper line \($0)" }

        let carol = try server.register("carol")
        try carol.send("c0\nc1\nc2\n")
        XCTAssertEqual(try bob.nextMessage(), "<carol> c0")
        XCTAssertEqual(try bob.nextMessage(), "<carol> c1")
        try alice.send("past carol\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> past carol", "carol's third line waits; the operator's does not")
    }

    func testExemptNetworksAreNotFakelaggedAndReloadReachesWaitingInput() throws {
        let server = try TestServer(config: "[flood]\nburst = 1\nlines_per_second = 0.1\nexempt = [\"127.0.0.2/32\"]\n")
        let bob = try server.register("bob")
        let exempt = try TestClient(port: server.port, sourceAddress: "127.0.0.2")
        try exempt.send("dave\n")
        try exempt.expect("You are now known as dave")
        try exempt.send((0..<30).map { "exempt line \($0)\n" }.joined())
        _ = try arrivals(bob, count: 30, since: seconds()) { "<dave> exempt line \($0)" }

        let alice = try server.register("alice")
        try alice.send("a0\na1\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> a0")
        try exempt.send("overtakes a1\n")
        XCTAssertEqual(try bob.nextMessage(), "<dave> overtakes a1", "alice (127.0.0.1) is not exempt: a1 waits 10 s")
        // The whole of loopback becomes exempt, and a1 comes out at once.
        let path = try XCTUnwrap(server.configPath)
        try "plugins = []\n[flood]\nburst = 1\nlines_per_second = 0.1\nexempt = [\"127.0.0.0/8\"]\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let start = seconds()
        server.signal(SIGHUP)
        try server.waitForLog("config reloaded", "flood.exempt")
        let times = try arrivals(bob, count: 1, since: start) { _ in "<alice> a1" }
        XCTAssertLessThan(times[0], 5, "the reload released the waiting line")
        try alice.send((0..<30).map { "now exempt \($0)\n" }.joined())
        _ = try arrivals(bob, count: 30, since: seconds()) { "<alice> now exempt \($0)" }
    }

    func testReloadChangesTheRateForClientsAlreadyConnected() throws {
        let server = try TestServer(config: "[flood]\nburst = 1\nlines_per_second = 0.1\n")
        let bob = try server.register("bob")
        let alice = try server.register("alice")
        try alice.send("r0\nr1\nr2\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> r0")
        // At 0.1 per second r2 would come 20 s after r0; at 50 per second it comes at once.
        let path = try XCTUnwrap(server.configPath)
        try "plugins = []\n[flood]\nburst = 1\nlines_per_second = 50\n".write(toFile: path, atomically: true, encoding: .utf8)
        var start = seconds()
        server.signal(SIGHUP)
        try server.waitForLog("config reloaded", "flood.lines_per_second")
        var times = try arrivals(bob, count: 2, since: start) { "<alice> r\($0 + 1)" }
        XCTAssertLessThan(times[1], 5, "waiting lines follow the new rate")

        // And slower again: the new pace holds for the next flood.
        try "plugins = []\n[flood]\nburst = 2\nlines_per_second = 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.waitForLog("config reloaded", "flood.burst", "flood.lines_per_second")
        start = seconds()
        try alice.send((0..<8).map { "slow \($0)\n" }.joined())
        times = try arrivals(bob, count: 8, since: start) { "<alice> slow \($0)" }
        assertPace(times, burst: 2, rate: 10, "after the second reload")
    }

    func testAHangUpWithWaitingInputStillDeliversItAndItsQuit() throws {
        let server = try TestServer(config: "[flood]\nburst = 2\nlines_per_second = 20\n")
        let bob = try server.register("bob")
        let alice = try server.register("alice")
        let start = seconds()
        try alice.send((0..<6).map { "last words \($0)\n" }.joined() + "/quit see you\n")
        alice.shutdownAndClose()
        var times: [Double] = []
        for index in 0..<6 {
            XCTAssertEqual(try bob.nextMessage(), "<alice> last words \(index)")
            times.append(seconds() - start)
            // Talk to the room meanwhile: writing to alice's closed socket must not cost her lines.
            try bob.send("bob answers \(index)\n")
        }
        assertPace(times, burst: 2, rate: 20, "after the hang-up")
        try bob.expect("-!- alice quit (Quit: see you)")

        let carol = try IRCTestClient.registered(server, "carol")
        try carol.join("#lobby")
        try carol.send((0..<6).map { "PRIVMSG #lobby :irc words \($0)" }.joined(separator: "\r\n") + "\r\nQUIT :bye now")
        carol.socket.shutdownAndClose()
        _ = try arrivals(bob, count: 6, since: seconds()) { "<carol> irc words \($0)" }
        try bob.expect("-!- carol quit (Quit: bye now)")
    }
}
