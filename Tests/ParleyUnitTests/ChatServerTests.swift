import XCTest
@testable import ParleyBytes
@testable import ParleyChat
@testable import ParleyPlain

/// A client that records what it is sent, to test routing without sockets.
final class RecordingClient: ChatClient {
    var lines: [String] = []
    var renderCalls = 0
    let key: Int

    init(key: Int = 1) { self.key = key }

    func renderKey(for event: ChatEvent) -> Int { key }

    func render(_ event: ChatEvent) -> OutBytes? {
        renderCalls += 1
        return PlainRenderer.render(event, inFocus: true).map { OutBytes(line: $0) }
    }

    func disconnect(reason: String) {}

    /// Calls to send: a run of held-back room messages arrives as one slice of many lines.
    var sendCalls = 0

    func send(_ bytes: OutBytes, _ range: Range<Int>) {
        sendCalls += 1
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes.storage[range]), as: UTF8.self)
        lines += text.components(separatedBy: "\r\n").dropLast()
    }
}

final class ChatServerTests: XCTestCase {
    let chat = ChatServer(rules: NameRules(), defaultRoomName: "#lobby")

    private func user(_ nick: String, _ client: RecordingClient) throws -> ChatUser {
        let user = try chat.register(nick: nick, username: "u", address: "h", realName: nick, client: client)
        try chat.join(user, roomNamed: "#lobby")
        return user
    }

    func testMessageIsRenderedOncePerKeyAndSharedByRecipients() throws {
        let sender = RecordingClient()
        let alike = (0..<10).map { _ in RecordingClient(key: 7) }
        let other = RecordingClient(key: 8)
        let alice = try user("alice", sender)
        for (index, client) in alike.enumerated() { _ = try user("u\(index)", client) }
        _ = try user("odd", other)
        for client in alike + [other] { client.renderCalls = 0; client.lines = [] }

        try chat.send(ChatMessage(sender: alice, target: .room(chat.room(named: "#lobby")!), kind: .say, text: "hi"))
        XCTAssertEqual(alike.map(\.renderCalls).reduce(0, +), 1, "ten recipients with one key: one render")
        XCTAssertEqual(other.renderCalls, 1)
        XCTAssertTrue((alike + [other]).allSatisfy { $0.lines == ["<alice> hi"] })
        XCTAssertFalse(sender.lines.contains("<alice> hi"), "the sender does not get its own message")
    }

    func testARefusedJoinLeavesNoRoomBehind() throws {
        let alice = try user("alice", RecordingClient())
        for index in 1..<ChatServer.maxRoomsPerUser { try chat.join(alice, roomNamed: "#r\(index)") }
        XCTAssertEqual(alice.rooms.count, ChatServer.maxRoomsPerUser)
        let rooms = chat.roomCount
        for index in 0..<1_000 {
            XCTAssertThrowsError(try chat.join(alice, roomNamed: "#new\(index)")) {
                XCTAssertEqual($0 as? ChatError, .tooManyRooms("#new\(index)", limit: ChatServer.maxRoomsPerUser))
            }
        }
        XCTAssertEqual(chat.roomCount, rooms, "a refused join must not create the room")
        XCTAssertNil(chat.room(named: "#new0"))
        // Joined and left again: the room goes with its last member.
        try chat.part(alice, roomNamed: "#r1", reason: nil)
        try chat.join(alice, roomNamed: "#brief")
        try chat.part(alice, roomNamed: "#brief", reason: nil)
        XCTAssertNil(chat.room(named: "#brief"))
        XCTAssertEqual(chat.roomCount, rooms - 1)
    }

    func testRoomIsolationAndQuitReachesEachSharerOnce() throws {
        let (a, b, c) = (RecordingClient(), RecordingClient(), RecordingClient())
        let alice = try user("alice", a)
        let bob = try user("bob", b)
        let carol = try chat.register(nick: "carol", username: "u", address: "h", realName: "c", client: c)
        try chat.join(alice, roomNamed: "#x")
        try chat.join(bob, roomNamed: "#x")
        try chat.join(carol, roomNamed: "#y")
        try chat.send(ChatMessage(sender: alice, target: .room(chat.room(named: "#x")!), kind: .say, text: "in x"))
        XCTAssertTrue(b.lines.contains("<alice> in x"))
        XCTAssertFalse(c.lines.contains("<alice> in x"))

        chat.quit(alice, reason: "bye")
        XCTAssertEqual(b.lines.filter { $0 == "-!- alice quit (bye)" }.count, 1, "bob shares two rooms but hears once")
        XCTAssertFalse(c.lines.contains("-!- alice quit (bye)"))
        XCTAssertNil(chat.user(nick: "ALICE"))
        XCTAssertNil(chat.room(named: "#x")?.members.first { $0 === alice })
    }

    func testEmptyRoomsVanishButTheDefaultRoomStays() throws {
        let alice = try user("alice", RecordingClient())
        try chat.join(alice, roomNamed: "#temp")
        try chat.part(alice, roomNamed: "#temp", reason: nil)
        XCTAssertNil(chat.room(named: "#temp"))
        try chat.part(alice, roomNamed: "#lobby", reason: nil)
        XCTAssertNotNil(chat.room(named: "#LOBBY"))
    }

    func testNickChangeRules() throws {
        let alice = try user("alice", RecordingClient())
        _ = try user("bob", RecordingClient())
        XCTAssertThrowsError(try chat.changeNick(alice, to: "BOB")) { XCTAssertEqual($0 as? ChatError, .nickInUse("BOB")) }
        try chat.changeNick(alice, to: "ALICE")
        XCTAssertEqual(chat.user(nick: "alice")?.nick, "ALICE")
    }

    // MARK: Room messages held back until the end of the loop turn

    /// Holds room messages back as the server does; the count is 1 while some are pending.
    private func holdingBack() -> () -> Int {
        chat.heldBack.isEnabled = true
        return { [chat] in !chat.heldBack.isEmpty ? 1 : 0 }
    }

    private func say(_ user: ChatUser, _ text: String, echo: Bool = false) throws {
        var message = ChatMessage(sender: user, target: .room(chat.room(named: "#lobby")!), kind: .say, text: text)
        message.echoToSender = echo
        try chat.send(message)
    }

    func testHeldBackMessagesReachEachMemberInOrderAsOneSlice() throws {
        let scheduled = holdingBack()
        let (a, b, c) = (RecordingClient(key: 7), RecordingClient(key: 7), RecordingClient(key: 7))
        let alice = try user("alice", a)
        let bob = try user("bob", b)
        _ = try user("carol", c)
        for client in [a, b, c] { client.lines = []; client.sendCalls = 0; client.renderCalls = 0 }

        try say(alice, "one")
        try say(bob, "two")
        try say(alice, "three")
        XCTAssertEqual(scheduled(), 1, "the messages wait for the before-sleep step")
        XCTAssertTrue(c.lines.isEmpty, "nothing is written before the end of the turn")

        chat.heldBack.deliver()
        XCTAssertEqual(c.lines, ["<alice> one", "<bob> two", "<alice> three"])
        XCTAssertEqual(c.sendCalls, 1, "a member who sent none of the run gets one slice")
        XCTAssertEqual(b.lines, ["<alice> one", "<alice> three"], "a sender skips its own message")
        XCTAssertEqual(a.lines, ["<bob> two"])
        XCTAssertEqual([a, b, c].map(\.renderCalls).reduce(0, +), 3, "each message rendered once for the shared key")
        chat.heldBack.deliver()
        XCTAssertEqual(c.lines.count, 3, "delivered once")
    }

    func testANickChangeFirstDeliversWhatWasSaidUnderTheOldNick() throws {
        _ = holdingBack()
        let (a, b) = (RecordingClient(), RecordingClient())
        let alice = try user("alice", a)
        _ = try user("bob", b)
        b.lines = []
        try say(alice, "before")
        try chat.changeNick(alice, to: "alicia")
        try say(alice, "after")
        chat.heldBack.deliver()
        XCTAssertEqual(b.lines.first, "<alice> before")
        XCTAssertEqual(b.lines.last, "<alicia> after")
        XCTAssertEqual(b.lines.count, 3, "\(b.lines)")
    }

    func testAPartFirstDeliversWhatThePartingMemberWasOwed() throws {
        _ = holdingBack()
        let (a, b) = (RecordingClient(), RecordingClient())
        let alice = try user("alice", a)
        let bob = try user("bob", b)
        b.lines = []
        try say(alice, "still here?")
        try chat.part(bob, roomNamed: "#lobby", reason: nil)
        try say(alice, "gone")
        chat.heldBack.deliver()
        XCTAssertEqual(b.lines.first, "<alice> still here?")
        XCTAssertFalse(b.lines.contains("<alice> gone"))
    }

    func testAnEchoingSenderGetsItsMessageInLine() throws {
        _ = holdingBack()
        let (a, b) = (RecordingClient(), RecordingClient())
        let alice = try user("alice", a)
        let bob = try user("bob", b)
        a.lines = []
        a.sendCalls = 0
        try say(bob, "first")
        try say(alice, "mine", echo: true)
        try say(bob, "third")
        chat.heldBack.deliver()
        XCTAssertEqual(a.lines, ["<bob> first", "<alice> mine", "<bob> third"])
        XCTAssertEqual(a.sendCalls, 1)
    }

    func testARunLongerThanAnArenaArrivesWholeAndInOrder() throws {
        _ = holdingBack()
        let (a, b) = (RecordingClient(), RecordingClient())
        let alice = try user("alice", a)
        _ = try user("bob", b)
        b.lines = []
        b.sendCalls = 0
        let texts = (0..<3000).map { "message number \($0) with some padding to fill the arena" }
        for text in texts { try say(alice, text) }
        chat.heldBack.deliver()
        XCTAssertEqual(b.lines, texts.map { "<alice> \($0)" })
        XCTAssertGreaterThan(b.sendCalls, 1, "3,000 lines of ~60 bytes span more than one 64 KiB arena")
        XCTAssertLessThan(b.sendCalls, 10)
    }
}
