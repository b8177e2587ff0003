import Foundation
import XCTest

/// Replies longer than the send queue (LIST of 10,000 rooms, WHO and NAMES of a room of 3,000)
/// reach a client that reads slowly, whole and in order, without dropping it, and what it asked
/// next comes after them. The send queue is 16 KiB, and the server's sockets get a small kernel
/// send buffer (a preloaded shim, as on a slow link: on loopback the kernel would otherwise
/// take megabytes), so each of these replies is many times what fits. The slow clients read
/// nothing until the server logs that it waits for them, then read as fast as the small receive
/// buffer lets them.
final class LongReplyTests: XCTestCase {
    static let sendq = 16384

    /// A server with `rooms` rooms (#room00001...) and a room #big of `members` bots.
    private func bigServer(rooms: Int = 0, members: Int = 0, memberPrefix: String = "m") throws -> TestServer {
        let folder = PluginFolder()
        try folder.compile("crowd.c", as: "Crowd")
        try folder.compile("small_send_buffer.c", as: "SmallSendBuffer")
        let server = try TestServer(config: """
            plugins = ["Crowd"]
            [log]
            level = "debug"
            [limits]
            sendq_bytes = \(Self.sendq)
            [plugin.Crowd]
            rooms = \(rooms)
            members = \(members)
            member_prefix = "\(memberPrefix)"
            """, arguments: folder.arguments,
            environment: ["LD_PRELOAD": "\(folder.path)/libSmallSendBuffer.so"])
        try server.waitForLog("crowd ready", seconds: 60)
        return server
    }

    private func slowIRC(_ server: TestServer, _ nick: String, caps: [String] = []) throws -> IRCTestClient {
        try IRCTestClient.registered(server, nick, caps: caps, receiveBufferBytes: 4096)
    }

    private func slowPlain(_ server: TestServer, _ nick: String) throws -> TestClient {
        let client = try TestClient(port: server.port, receiveBufferBytes: 4096)
        try client.send("\(nick)\n")
        try client.expect("You are now known as \(nick).")
        try client.expect("#lobby has")
        return client
    }

    /// The lines up to and including the one `isEnd` matches.
    private func readReply(_ client: TestClient, until isEnd: (String) -> Bool) throws -> [String] {
        var lines: [String] = []
        while let line = try client.readLine() {
            lines.append(line)
            if isEnd(line) { return lines }
        }
        throw TestFailure("closed before the end of the reply; last lines: \(lines.suffix(3))")
    }

    private func fields(_ line: String) -> [String] {
        line.split(separator: " ").map(String.init)
    }

    /// The byte count a "long reply done" log line reports.
    private func replyBytes(_ logLine: String) -> Int {
        logLine.split(separator: " ").first { $0.hasPrefix("bytes=") }.flatMap { Int($0.dropFirst(6)) } ?? 0
    }

    private static let roomNames = (1...10_000).map { String(format: "#room%05d", $0) }
    private static let memberNicks = (1...3000).map { String(format: "m%05d", $0) }

    func testListOfTenThousandRoomsReachesASlowReaderWholeAndInOrder() throws {
        let server = try bigServer(rooms: 10_000)
        let slow = try slowIRC(server, "slow")
        let before = try server.residentKiB()
        try slow.send("LIST")
        try slow.send("PING :after-list")
        try server.waitForLog("long reply waits for the client to read", "command=LIST")
        let waiting = try server.residentKiB()
        let reply = try readReply(slow.socket) { $0.contains(" 323 ") }
        XCTAssertTrue(reply[0].hasSuffix(" 321 slow Channel :Users  Name"), reply[0])
        let listed = reply.dropFirst().dropLast().map { fields($0) }
        XCTAssertEqual(listed.map { $0[1] }, Array(repeating: "322", count: listed.count))
        XCTAssertEqual(listed.map { $0[3] }, ["#lobby"] + Self.roomNames)
        XCTAssertEqual(reply.last, ":parley.local 323 slow :End of /LIST")
        // What the client sent after LIST is answered after it.
        XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local after-list")
        let done = try server.waitForLog("long reply done", "command=LIST", "client=")
        let bytes = replyBytes(done)
        XCTAssertGreaterThan(bytes, 20 * Self.sendq, done)
        XCTAssertFalse(server.logLines.contains { $0.contains("SendQ exceeded") })
        let after = try server.residentKiB()
        print("LIST of 10,000 rooms (\(bytes) bytes, send queue \(Self.sendq)) to a slow reader: server RSS \(before) KiB before, \(waiting) KiB while it waits, \(after) KiB after")
    }

    /// Lines sent behind a LIST, in the same write, are answered after it, in order; a held
    /// command that starts another long reply holds the rest again.
    func testCommandsSentBehindALongReplyAreAnsweredAfterItInOrder() throws {
        let server = try bigServer(rooms: 10_000)
        let slow = try slowIRC(server, "slow")
        var batch = "LIST\r\n"
        for n in 1...20 { batch += "PING :first-\(n)\r\n" }
        batch += "LIST #room00002,#room00001\r\nPING :between\r\nWHO #room00003\r\nLIST\r\n"
        for n in 1...20 { batch += "PING :second-\(n)\r\n" }
        try slow.socket.send(batch)
        try server.waitForLog("long reply waits for the client to read", "command=LIST")
        XCTAssertEqual(try readReply(slow.socket) { $0.contains(" 323 ") }.count, 10_003)
        for n in 1...20 { XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local first-\(n)") }
        XCTAssertEqual(try readReply(slow.socket) { $0.contains(" 323 ") }.map { fields($0)[1] == "322" ? fields($0)[3] : fields($0)[1] },
                       ["321", "#room00001", "#room00002", "323"])
        XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local between")
        let who = try readReply(slow.socket) { $0.contains(" 315 ") }
        XCTAssertEqual(who.map { fields($0)[1] }, ["352", "315"])
        XCTAssertEqual(fields(who[0])[7], "Crowd")
        XCTAssertEqual(try readReply(slow.socket) { $0.contains(" 323 ") }.count, 10_003)
        for n in 1...20 { XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local second-\(n)") }
    }

    /// Ten slow readers of the same 450 KB LIST at once: the server holds a chunk and a list of
    /// rooms for each, not their replies.
    func testSlowListReadersCostAChunkEachNotTheirReply() throws {
        let server = try bigServer(rooms: 10_000)
        let readers = try (0..<10).map { try slowIRC(server, "reader\($0)") }
        let before = try server.residentKiB()
        for reader in readers { try reader.send("LIST") }
        try server.waitForLog("long reply waits for the client to read", "command=LIST", count: readers.count)
        let waiting = try server.residentKiB()
        for reader in readers {
            let reply = try readReply(reader.socket) { $0.contains(" 323 ") }
            XCTAssertEqual(reply.count, 10_003)
        }
        try server.waitForLog("long reply done", "command=LIST", count: readers.count)
        let total = server.logLines.filter { $0.contains("long reply done") }.map(replyBytes).reduce(0, +)
        let growth = (waiting - before) * 1024
        print("10 slow LIST readers of 10,000 rooms: \(total) bytes of replies; server RSS \(before) KiB before, \(waiting) KiB while all wait (+\(growth / 1024) KiB)")
        XCTAssertLessThan(growth, total / 2, "memory grew with the replies' size")
    }

    func testWhoOfARoomOfThreeThousandReachesASlowReader() throws {
        let server = try bigServer(members: 3000)
        let slow = try slowIRC(server, "slow")
        try slow.send("WHO #big")
        try slow.send("PING :after-who")
        try server.waitForLog("long reply waits for the client to read", "command=WHO")
        let reply = try readReply(slow.socket) { $0.contains(" 315 ") }
        XCTAssertEqual(reply.dropLast().map { fields($0)[1] }, Array(repeating: "352", count: reply.count - 1))
        XCTAssertEqual(reply.dropLast().map { fields($0)[7] }, Self.memberNicks)
        XCTAssertEqual(reply.last, ":parley.local 315 slow #big :End of /WHO list.")
        XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local after-who")
        let done = try server.waitForLog("long reply done", "command=WHO")
        XCTAssertGreaterThan(replyBytes(done), 10 * Self.sendq, done)
    }

    func testNamesOfARoomOfThreeThousandReachesASlowReader() throws {
        let server = try bigServer(members: 3000)
        let slow = try slowIRC(server, "slow", caps: ["userhost-in-names"])
        try slow.send("NAMES #big")
        try slow.send("PING :after-names")
        try server.waitForLog("long reply waits for the client to read", "command=NAMES")
        let reply = try readReply(slow.socket) { $0.contains(" 366 ") }
        var names: [String] = []
        for line in reply.dropLast() {
            XCTAssertTrue(line.hasPrefix(":parley.local 353 slow = #big :"), line)
            XCTAssertLessThanOrEqual(line.utf8.count, 512)
            names += line.split(separator: ":", maxSplits: 2)[1].split(separator: " ").map(String.init)
        }
        XCTAssertEqual(names, Self.memberNicks.map { "\($0)!bot@bots.parley" })
        XCTAssertEqual(reply.last, ":parley.local 366 slow #big :End of /NAMES list.")
        XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local after-names")
        let done = try server.waitForLog("long reply done", "command=NAMES")
        XCTAssertGreaterThan(replyBytes(done), 4 * Self.sendq, done)
    }

    /// JOIN #big,#room00002: the second channel is joined once the first one's NAMES is out,
    /// so every line of each channel comes together.
    func testJoinOfSeveralChannelsFinishesEachBeforeTheNext() throws {
        let server = try bigServer(rooms: 2, members: 3000)
        let slow = try slowIRC(server, "slow", caps: ["userhost-in-names"])
        try slow.send("JOIN #big,#room00002")
        try slow.send("PING :after-join")
        try server.waitForLog("long reply waits for the client to read", "command=NAMES")
        let reply = try readReply(slow.socket) { $0.contains(" 366 slow #room00002 ") }
        XCTAssertTrue(reply[0].hasPrefix(":slow!") && reply[0].hasSuffix(" JOIN #big"), reply[0])
        let big = reply.dropFirst().prefix { $0.hasPrefix(":parley.local 353 slow = #big :") }
        let names = big.flatMap { $0.split(separator: ":", maxSplits: 2)[1].split(separator: " ") }
        XCTAssertEqual(names.count, 3001)
        XCTAssertEqual(names.last?.hasPrefix("@slow!"), true, "\(names.suffix(2))")
        let rest = Array(reply.dropFirst(1 + big.count))
        XCTAssertEqual(rest.count, 4, "\(rest)")
        XCTAssertEqual(rest.first, ":parley.local 366 slow #big :End of /NAMES list.")
        XCTAssertTrue(rest[1].hasPrefix(":slow!") && rest[1].hasSuffix(" JOIN #room00002"), rest[1])
        XCTAssertTrue(rest[2].hasPrefix(":parley.local 353 slow = #room00002 :"), rest[2])
        XCTAssertEqual(try slow.socket.readLine(), ":parley.local PONG parley.local after-join")
    }

    /// Rooms made and emptied while a LIST waits for its reader: it lists the rooms there were
    /// when it was asked, as they are when their turn comes, and never one that is gone.
    func testListStaysRightWhileRoomsComeAndGo() throws {
        let server = try bigServer(rooms: 10_000)
        let mover = try IRCTestClient.registered(server, "mover")
        try mover.join("#x-gone")
        let slow = try slowIRC(server, "slow")
        try slow.send("LIST")
        try server.waitForLog("long reply waits for the client to read", "command=LIST")
        try mover.send("PART #x-gone")
        try mover.expect(" PART #x-gone")
        try mover.join("#room05000")
        try mover.join("#y-new")
        let reply = try readReply(slow.socket) { $0.contains(" 323 ") }
        let listed = reply.dropFirst().dropLast().map { fields($0) }
        XCTAssertEqual(listed.map { $0[3] }, ["#lobby"] + Self.roomNames)
        XCTAssertEqual(listed.first { $0[3] == "#room05000" }?[4], "2")
        XCTAssertEqual(listed.first { $0[3] == "#room04999" }?[4], "1")
        // A LIST asked now sees the rooms as they are.
        try mover.send("LIST #x-gone,#y-new,#room05000")
        try mover.expect(" 321 ")
        XCTAssertEqual(try mover.socket.readLine(), ":parley.local 322 mover #room05000 2 :[+nt] ")
        XCTAssertEqual(try mover.socket.readLine(), ":parley.local 322 mover #y-new 1 :[+nt] ")
        XCTAssertEqual(try mover.socket.readLine(), ":parley.local 323 mover :End of /LIST")
    }

    /// QUIT sent while LIST is being written waits behind it, like any other command.
    func testQuitDuringListIsHandledAfterTheList() throws {
        let server = try bigServer(rooms: 10_000)
        let slow = try slowIRC(server, "slow")
        try slow.send("LIST")
        try slow.send("QUIT :bye")
        try server.waitForLog("long reply waits for the client to read", "command=LIST")
        let rest = try slow.readUntilClosed().drop { !$0.contains(" 323 ") }
        XCTAssertEqual(Array(rest), [":parley.local 323 slow :End of /LIST", "ERROR :Closing Link: 127.0.0.1 (Quit: bye)"])
        XCTAssertEqual(slow.received.filter { $0.contains(" 322 ") }.count, 10_001)
        try server.waitForLog("client disconnected", "nick=slow", "Quit: bye")
    }

    /// A reader that goes away mid-LIST takes its reply with it; everyone else goes on.
    func testClientThatDisconnectsMidListFreesItsReply() throws {
        let server = try bigServer(rooms: 10_000)
        let watcher = try IRCTestClient.registered(server, "watcher")
        let baseline = try server.openFileDescriptorCount()
        let slow = try slowIRC(server, "slow")
        try slow.send("LIST")
        try server.waitForLog("long reply waits for the client to read", "command=LIST")
        slow.socket.reset()
        try server.waitForLog("long reply abandoned", "command=LIST", "reason=")
        try server.waitForLog("client disconnected", "nick=slow")
        XCTAssertEqual(try server.openFileDescriptorCount(), baseline)
        XCTAssertFalse(server.logLines.contains { $0.contains("long reply done") })
        try watcher.send("LIST")
        let reply = try readReply(watcher.socket) { $0.contains(" 323 ") }
        XCTAssertEqual(reply.count, 10_003)
    }

    func testPlainRoomsOfTenThousandReachesASlowReader() throws {
        let server = try bigServer(rooms: 10_000)
        let slow = try slowPlain(server, "slow")
        try slow.send("/rooms\n")
        try slow.send("/help away\n")
        try server.waitForLog("long reply waits for the client to read", "command=/rooms")
        let reply = try readReply(slow) { $0.hasSuffix(" rooms") }
        XCTAssertEqual(reply, ["-!- #lobby (1 member)"] + Self.roomNames.map { "-!- \($0) (1 member)" } + ["-!- 10001 rooms"])
        XCTAssertEqual(try slow.readLine(), "-!- /away [message]: mark yourself away (no message: back)")
        let done = try server.waitForLog("long reply done", "command=/rooms")
        XCTAssertGreaterThan(replyBytes(done), 10 * Self.sendq, done)
    }

    /// Plain /who lists nicks alone: long ones (28 characters) make the list 87 KB.
    func testPlainWhoOfARoomOfThreeThousandReachesASlowReader() throws {
        let prefix = "plain-reader-long-nick-"
        let server = try bigServer(members: 3000, memberPrefix: prefix)
        let slow = try slowPlain(server, "slow")
        try slow.send("/who #big\n")
        try slow.send("/help away\n")
        try server.waitForLog("long reply waits for the client to read", "command=/who")
        let reply = try readReply(slow) { !$0.hasPrefix("-!- #big ") }
        XCTAssertTrue(reply[0].hasPrefix("-!- #big has 3000 members: \(prefix)00001 \(prefix)00002 "), reply[0])
        var names = reply[0].dropFirst("-!- #big has 3000 members: ".count).split(separator: " ").map(String.init)
        for line in reply.dropFirst().dropLast() {
            XCTAssertTrue(line.hasPrefix("-!- #big members: "), line)
            XCTAssertLessThanOrEqual(line.utf8.count, 450)
            names += line.dropFirst("-!- #big members: ".count).split(separator: " ").map(String.init)
        }
        XCTAssertEqual(names, (1...3000).map { String(format: "\(prefix)%05d", $0) })
        XCTAssertEqual(reply.last, "-!- /away [message]: mark yourself away (no message: back)")
        let done = try server.waitForLog("long reply done", "command=/who")
        XCTAssertGreaterThan(replyBytes(done), 4 * Self.sendq, done)
    }
}
