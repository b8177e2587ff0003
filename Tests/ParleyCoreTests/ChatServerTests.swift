import XCTest
@testable import ParleyCore

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

    func send(_ bytes: OutBytes, _ range: Range<Int>) {
        let line = UnsafeRawBufferPointer(rebasing: bytes.storage[range.lowerBound..<(range.upperBound - 2)])
        lines.append(String(decoding: line, as: UTF8.self))
    }
}

final class ChatServerTests: XCTestCase {
    let chat = ChatServer(rules: NameRules(), defaultRoomName: "#lobby")

    private func user(_ nick: String, _ client: RecordingClient) throws -> ChatUser {
        let user = try chat.register(nick: nick, username: "u", host: "h", realName: nick, client: client)
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

    func testRoomIsolationAndQuitReachesEachSharerOnce() throws {
        let (a, b, c) = (RecordingClient(), RecordingClient(), RecordingClient())
        let alice = try user("alice", a)
        let bob = try user("bob", b)
        let carol = try chat.register(nick: "carol", username: "u", host: "h", realName: "c", client: c)
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
}
