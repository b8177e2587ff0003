import Foundation
import XCTest

/// Room messages are written to members at the end of the loop turn, a turn's messages to a
/// room together. Several commands in one write land in one turn, so these tests send them that
/// way and check that every client still sees events in the order they happened.
final class EventOrderTests: XCTestCase {
    private func nextLines(_ client: IRCTestClient, _ count: Int) throws -> [String] {
        try (0..<count).map { _ in try XCTUnwrap(try client.socket.readLine(), "connection ended early") }
    }

    private func room(_ server: TestServer, _ nicks: [String], caps: [String] = []) throws -> [IRCTestClient] {
        let clients = try nicks.map { try IRCTestClient.registered(server, $0, caps: caps) }
        for (index, client) in clients.enumerated() {
            try client.join("#r")
            for earlier in clients[..<index] { try earlier.expect(" JOIN #r") }
        }
        return clients
    }

    func testMessagesNickChangesAndPartsKeepTheirOrder() throws {
        let server = try TestServer()
        let clients = try room(server, ["alice", "bob"])
        let (alice, bob) = (clients[0], clients[1])
        try bob.send("PRIVMSG #r :one\r\nNICK robert\r\nPRIVMSG #r :two\r\nPART #r :bye")
        XCTAssertEqual(try nextLines(alice, 4), [
            ":bob!~bob@\(loopbackCloak) PRIVMSG #r :one",
            ":bob!~bob@\(loopbackCloak) NICK robert",
            ":robert!~bob@\(loopbackCloak) PRIVMSG #r :two",
            ":robert!~bob@\(loopbackCloak) PART #r :bye",
        ])
    }

    func testAKickedMemberGetsWhatCameBeforeTheKickAndNothingAfter() throws {
        let server = try TestServer()
        let clients = try room(server, ["alice", "bob", "carol"])
        let (alice, bob, carol) = (clients[0], clients[1], clients[2])
        try alice.send("PRIVMSG #r :before\r\nKICK #r bob :out\r\nPRIVMSG #r :after\r\nPRIVMSG bob :private")
        XCTAssertEqual(try nextLines(bob, 3), [
            ":alice!~alice@\(loopbackCloak) PRIVMSG #r :before",
            ":alice!~alice@\(loopbackCloak) KICK #r bob :out",
            ":alice!~alice@\(loopbackCloak) PRIVMSG bob :private",
        ])
        XCTAssertEqual(try nextLines(carol, 3), [
            ":alice!~alice@\(loopbackCloak) PRIVMSG #r :before",
            ":alice!~alice@\(loopbackCloak) KICK #r bob :out",
            ":alice!~alice@\(loopbackCloak) PRIVMSG #r :after",
        ])
    }

    func testMessagesToSeveralRoomsArriveInTheOrderSent() throws {
        let server = try TestServer()
        let alice = try IRCTestClient.registered(server, "alice")
        let bob = try IRCTestClient.registered(server, "bob")
        for channel in ["#a", "#b"] {
            try alice.join(channel)
            try bob.join(channel)
            try alice.expect(" JOIN \(channel)")
        }
        try bob.send("PRIVMSG #a :1\r\nPRIVMSG #b :2\r\nPRIVMSG #a :3\r\nPRIVMSG #a :4\r\nPRIVMSG alice :5\r\nPRIVMSG #b :6")
        XCTAssertEqual(try nextLines(alice, 6).map { String($0.split(separator: " ", maxSplits: 2)[2]) }, [
            "#a :1", "#b :2", "#a :3", "#a :4", "alice :5", "#b :6",
        ])
    }

    func testLastWordsArriveBeforeTheQuit() throws {
        let server = try TestServer()
        let clients = try room(server, ["alice", "bob"])
        try clients[1].send("PRIVMSG #r :last words\r\nQUIT :bye")
        XCTAssertEqual(try nextLines(clients[0], 2), [
            ":bob!~bob@\(loopbackCloak) PRIVMSG #r :last words",
            ":bob!~bob@\(loopbackCloak) QUIT :Quit: bye",
        ])
    }

    func testTheSendersEchoAndRepliesKeepTheOrderOfItsCommands() throws {
        let server = try TestServer()
        let clients = try room(server, ["alice", "bob"], caps: ["echo-message"])
        let bob = clients[1]
        try bob.send("PRIVMSG #r :first\r\nTOPIC #r\r\nPRIVMSG #r :second\r\nPING :marker")
        let lines = try nextLines(bob, 4)
        XCTAssertEqual(lines[0], ":bob!~bob@\(loopbackCloak) PRIVMSG #r :first")
        XCTAssertTrue(lines[1].contains(" 331 bob #r "), lines[1])
        XCTAssertEqual(lines[2], ":bob!~bob@\(loopbackCloak) PRIVMSG #r :second")
        XCTAssertTrue(lines[3].contains(" PONG ") && lines[3].hasSuffix("marker"), lines[3])
        XCTAssertEqual(try nextLines(clients[0], 2), [
            ":bob!~bob@\(loopbackCloak) PRIVMSG #r :first",
            ":bob!~bob@\(loopbackCloak) PRIVMSG #r :second",
        ])
    }

    func testAPlainUsersMessagesFollowItsFocusInOrder() throws {
        let server = try TestServer()
        let irc = try IRCTestClient.registered(server, "ircw")
        try irc.join("#lobby")
        try irc.join("#other")
        let talker = try server.register("talker")
        try irc.expect(":talker!plain@\(loopbackCloak) JOIN #lobby")
        // One write: a line to the focus room, a /join that moves the focus, a line to the new room.
        try talker.send("hello lobby\n/join #other\nhello other\n")
        XCTAssertEqual(try nextLines(irc, 3), [
            ":talker!plain@\(loopbackCloak) PRIVMSG #lobby :hello lobby",
            ":talker!plain@\(loopbackCloak) JOIN #other",
            ":talker!plain@\(loopbackCloak) PRIVMSG #other :hello other",
        ])
    }
}
