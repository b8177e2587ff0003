import Foundation
import XCTest

/// Rooms, notices, nicknames and private messages, through real sockets.
final class ChatFlowTests: XCTestCase {
    let roomyConfig = """
    [limits]
    max_clients_per_ip = 500
    """

    func testBroadcastAmongFiftyClientsIsExactAndOrderedPerSender() throws {
        let server = try TestServer(config: roomyConfig)
        let clients = try (0..<50).map { try server.register("user\($0)") }
        let perSender = 5
        for round in 0..<perSender {
            for (index, client) in clients.enumerated() {
                try client.send("msg \(index) \(round)\n")
            }
        }
        for (index, client) in clients.enumerated() {
            var nextRound = [Int](repeating: 0, count: clients.count)
            for _ in 0..<(clients.count - 1) * perSender {
                guard let line = try client.nextMessage() else { return XCTFail("user\(index) was disconnected") }
                let parts = line.split(separator: " ")
                XCTAssertEqual(parts.count, 4, line)
                guard parts.count == 4, let sender = Int(parts[2]), let round = Int(parts[3]) else { continue }
                XCTAssertEqual(parts[0], "<user\(sender)>", line)
                XCTAssertNotEqual(sender, index, "user\(index) received its own message")
                XCTAssertEqual(round, nextRound[sender], "user\(index) got user\(sender)'s messages out of order")
                nextRound[sender] = round + 1
            }
            for sender in clients.indices where sender != index {
                XCTAssertEqual(nextRound[sender], perSender, "user\(index) missed messages from user\(sender)")
            }
        }
        // Everything sent has been read; a marker now must be the very next message,
        // which proves no duplicate was still on its way.
        try clients[0].send("marker\n")
        for client in clients.dropFirst() {
            XCTAssertEqual(try client.nextMessage(), "<user0> marker")
        }
    }

    func testJoinPartQuitAndAbruptCloseAreAnnounced() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.expect("-!- bob joined #lobby")

        try bob.send("/part #lobby see you\n")
        try alice.expect("-!- bob left #lobby (see you)")
        try bob.send("/join #lobby\n")
        try alice.expect("-!- bob joined #lobby")

        try bob.send("/quit off to lunch\n")
        XCTAssertTrue(try bob.readUntilClosed().contains("-!- Goodbye"))
        try alice.expect("-!- bob quit (Quit: off to lunch)")

        let carol = try server.register("carol")
        try alice.expect("-!- carol joined #lobby")
        carol.shutdownAndClose()
        try alice.expect("-!- carol quit (Connection closed)")

        let dave = try server.register("dave")
        try alice.expect("-!- dave joined #lobby")
        dave.reset()
        try alice.expect("-!- dave quit (Connection reset by peer)")
        try server.waitForLog("client disconnected", "nick=dave", "reset by peer")
    }

    func testNicknamesAreUniqueIgnoringCaseAndValidated() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let other = try server.connect()
        try other.send("ALICE\n")
        try other.expect("error: the nickname ALICE is taken; choose another nickname:")
        try other.send("9lives\n")
        try other.expect("error: '9lives' is not a valid nickname: a nickname must start with a letter")
        try other.send("two words\n")
        try other.expect("error: 'two words' is not a valid nickname")
        try other.send(String(repeating: "n", count: 31) + "\n")
        try other.expect("a nickname is at most 30 characters")
        try other.send("bob\n")
        try other.expect("You are now known as bob.")

        try other.send("/nick Alice\n")
        try other.expect("error: the nickname Alice is taken")
        try alice.send("/nick Alice\n")
        try other.expect("-!- alice is now known as Alice")
        try other.send("/nick b@d\n")
        try other.expect("error: 'b@d' is not a valid nickname")
        try alice.send("still here\n")
        try other.expect("<Alice> still here")
    }

    func testPrivateMessagesAndRoomIsolation() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        let carol = try server.register("carol")
        try alice.send("/join #a\n")
        try alice.expect("#a has 1 member")
        try carol.send("/join #a\n")
        try alice.expect("-!- carol joined #a")
        try bob.send("/join #b\n")
        try bob.expect("#b has 1 member")

        try alice.send("only for room a\n")
        XCTAssertEqual(try carol.nextMessage(), "<alice> only for room a")
        try alice.send("/msg bob psst\n")
        try alice.expect("-> *bob* psst")
        // bob's next message is the private one: the #a line never reached him.
        XCTAssertEqual(try bob.nextMessage(), "*alice* psst")
        XCTAssertFalse(bob.received.contains { $0.contains("only for room a") })

        try carol.send("/msg nobody hi\n")
        try carol.expect("error: no user is called nobody")
        try carol.send("/msg bob\n")
        try carol.expect("error: usage: /msg nick text")
        // carol never saw the private message either.
        try bob.send("/msg carol marker\n")
        XCTAssertEqual(try carol.nextMessage(), "*bob* marker")
        XCTAssertFalse(carol.received.contains { $0.contains("psst") })

        // A message to a room you are in but not focused on is labelled with the room.
        try carol.send("/join #lobby\n")
        try carol.expect("#lobby has")
        try alice.send("/me waves\n")
        XCTAssertEqual(try carol.nextMessage(), "[#a] * alice waves")
    }

    func testRoomCommands() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("/join #dev\n")
        try alice.expect("#dev has 1 member: @alice")
        try alice.send("/topic shipping on friday\n")
        try alice.expect("-!- alice set the topic of #dev to: shipping on friday")
        try bob.send("/rooms\n")
        try bob.expect("-!- #dev (1 member): shipping on friday")
        try bob.expect("-!- #lobby (2 members)")
        try bob.expect("-!- 2 rooms")
        try bob.send("/who #dev\n")
        try bob.expect("-!- #dev has 1 member: @alice")
        try bob.send("/topic #dev\n")
        try bob.expect("-!- Topic for #dev: shipping on friday (set by alice,")
        try bob.send("/topic #dev hijack\n")
        try bob.expect("error: you are not in #dev")
        try bob.send("/join dev\n")
        try bob.expect("error: 'dev' is not a valid room name: a room name starts with #")
        try bob.send("/join\n")
        try bob.expect("error: usage: /join #room")
        try bob.send("/who #nowhere\n")
        try bob.expect("error: there is no room #nowhere")
        try bob.send("/part #dev\n")
        try bob.expect("error: you are not in #dev")
        try bob.send("/frobnicate\n")
        try bob.expect("error: unknown command /frobnicate; type /help for the list")
        try bob.send("/help\n")
        for command in ["/join", "/part", "/rooms", "/who", "/topic", "/msg", "/me", "/nick", "/quit", "/help"] {
            try bob.expect("-!-   \(command)")
        }
        try bob.send("//slash is literal\n")
        XCTAssertEqual(try alice.nextMessage(), "[#lobby] <bob> /slash is literal")
    }
}

/// Room operators on the plain protocol, and what IRC-side actions do to plain users.
final class PlainOperatorTests: XCTestCase {
    func testPlainRoomOperatorsKickModeInviteAndAway() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("/join #ops\n")
        try alice.expect("#ops has 1 member: @alice")
        try bob.send("/join #ops\n")
        try alice.expect("-!- bob joined #ops")
        try bob.send("/mode +i\n")
        try bob.expect("error: you are not an operator of #ops")
        try alice.send("/mode +o-t bob\n")
        try bob.expect("-!- alice set mode +o-t bob on #ops")
        try alice.send("/mode\n")
        try alice.expect("-!- Modes of #ops: +n")
        try alice.send("/mode +q\n")
        try alice.expect("error: unknown mode q")
        try bob.send("/kick alice enough\n")
        try alice.expect("-!- alice was kicked from #ops by bob (enough)")
        // The kicked user's current room is gone: the focus moves at once and says where to.
        try alice.expect("-!- Now talking in #lobby")
        try alice.send("anyone?\n")
        try bob.expect("[#lobby] <alice> anyone?")
        try bob.send("/mode +ib alice\n")
        try bob.expect("-!- bob set mode +ib alice!*@* on #ops")
        try alice.send("/join #ops\n")
        try alice.expect("error: you are banned from #ops")
        try bob.send("/mode -b alice!*@*\n")
        try bob.expect("set mode -b alice!*@*")
        try alice.send("/join #ops\n")
        try alice.expect("error: #ops is invite only")
        try bob.send("/invite alice\n")
        try bob.expect("-!- Invited alice to #ops")
        try alice.expect("-!- bob invites you to #ops (/join #ops)")
        try alice.send("/join #ops\n")
        try bob.expect("-!- alice joined #ops")
        try bob.send("/mode +s\n")
        try bob.expect("set mode +s on #ops")
        let carol = try server.register("carol")
        try carol.send("/rooms\n")
        try carol.expect("-!- 1 room")
        XCTAssertFalse(carol.received.contains { $0.contains("#ops") }, "secret rooms are listed to members only")
        try alice.send("/away lunch\n")
        try alice.expect("-!- You are marked away: lunch")
        try alice.send("/away\n")
        try alice.expect("-!- You are back")
    }
}
