import Foundation
import XCTest

/// The default room, where every plain user is put, has no first-come operator: its operators
/// come from `server.default_room_operators` or from server operators. Other rooms keep IRC's
/// rule that whoever makes a room runs it.
final class DefaultRoomOperatorTests: XCTestCase {
    func testComingFirstToTheDefaultRoomMakesNobodyItsOperator() throws {
        let server = try TestServer()
        let first = try server.register("first")
        XCTAssertTrue(first.received.contains("-!- #lobby has 1 member: first"), "\(first.received)")
        let second = try server.register("second")
        try first.send("/kick second\n")
        try first.expect("error: you are not an operator of #lobby")
        try first.send("/mode +m\n")
        try first.expect("error: you are not an operator of #lobby")
        let irc = try IRCTestClient.registered(server, "ircfirst")
        try irc.join("#lobby")
        XCTAssertTrue(irc.received.contains { $0.hasSuffix(" 353 ircfirst = #lobby :first ircfirst second") }, "\(irc.received.suffix(3))")
        try irc.send("MODE #lobby +o ircfirst")
        try irc.expectNumeric("482")
        try irc.send("KICK #lobby second")
        try irc.expectNumeric("482")
        try second.send("/who\n")
        try second.expect("-!- #lobby has 3 members: first ircfirst second")

        // Any other room: its maker is its operator, as IRC has it.
        try first.send("/join #mine\n")
        try first.expect("-!- #mine has 1 member: @first")
        try irc.join("#theirs")
        XCTAssertTrue(irc.received.contains { $0.hasSuffix(" 353 ircfirst = #theirs :@ircfirst") })
    }

    func testConfiguredMasksAreMadeOperatorsWhenTheyJoin() throws {
        let server = try TestServer(config: """
            [server]
            default_room_operators = ["boss", "*!~keeper@127.0.0.1", "*!*@nowhere.example"]
            """)
        let guest = try server.register("guest")
        let boss = try server.register("boss")
        XCTAssertTrue(boss.received.contains("-!- #lobby has 2 members: @boss guest"), "\(boss.received)")
        try guest.expect("-!- boss joined #lobby")
        // Those already there are told, so their lists show the @.
        try guest.expect("-!- the server set mode +o boss on #lobby")
        let watcher = try IRCTestClient.registered(server, "watcher")
        try watcher.join("#lobby")
        // A mask with the real address (matched like bans: the cloak or the address).
        let keeper = try IRCTestClient.registered(server, "keeper")
        try keeper.join("#lobby")
        XCTAssertTrue(keeper.received.contains { $0.hasSuffix(" 353 keeper = #lobby :@boss guest @keeper watcher") }, "\(keeper.received.suffix(3))")
        try watcher.expect(":keeper!~keeper@\(loopbackCloak) JOIN #lobby")
        try watcher.expect(":parley.local MODE #lobby +o keeper")
        try boss.send("/kick guest cleaning up\n")
        try keeper.expect(":boss!plain@\(loopbackCloak) KICK #lobby guest :cleaning up")
        try guest.expect("-!- guest was kicked from #lobby by boss (cleaning up)")

        // Joining anew counts: a configured mask is an operator each time it joins.
        try keeper.send("PART #lobby")
        try keeper.expect(" PART #lobby")
        try keeper.join("#lobby")
        XCTAssertTrue(keeper.received.last { $0.contains(" 353 ") }?.hasSuffix(":@boss @keeper watcher") == true, "\(keeper.received.suffix(3))")
    }

    /// Server operators may op themselves and others there with MODE (IRC) or /mode (plain),
    /// as InspIRCd and Ergo let opers override channel modes.
    func testServerOperatorsMayOpThemselvesAndOthersInTheDefaultRoom() throws {
        let server = try TestServer(config: try operatorSection())
        let plainOper = try server.register("plainop")
        let member = try server.register("member")
        let ircOper = try IRCTestClient.registered(server, "ircop")
        try ircOper.join("#lobby")
        try ircOper.send("MODE #lobby +o ircop")
        try ircOper.expectNumeric("482")
        try ircOper.send("OPER admin s3cret")
        try ircOper.expectNumeric("381")
        try ircOper.send("MODE #lobby +o ircop")
        try ircOper.expect(":ircop!~ircop@\(loopbackCloak) MODE #lobby +o ircop")
        try ircOper.send("MODE #lobby +v member")
        try member.expect("-!- ircop set mode +v member on #lobby")

        try plainOper.send("/mode +o plainop\n")
        try plainOper.expect("error: you are not an operator of #lobby")
        try plainOper.send("/oper admin s3cret\n")
        try plainOper.expect("-!- You are now a server operator (admin)")
        try plainOper.send("/mode +o plainop\n")
        try ircOper.expect(":plainop!plain@\(loopbackCloak) MODE #lobby +o plainop")
        try member.send("/who\n")
        try member.expect("-!- #lobby has 3 members: @ircop +member @plainop")
    }

    func testAReloadChangesWhoIsMadeOperatorFromThenOn() throws {
        let server = try TestServer()
        let before = try server.register("chief")
        XCTAssertTrue(before.received.contains("-!- #lobby has 1 member: chief"))
        let path = try XCTUnwrap(server.configPath)
        try "plugins = []\n[server]\ndefault_room_operators = [\"chief\", \"deputy\"]\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.waitForLog("config reloaded", "server.default_room_operators")
        let deputy = try server.register("deputy")
        XCTAssertTrue(deputy.received.contains("-!- #lobby has 2 members: chief @deputy"), "\(deputy.received)")
        // chief is listed now, but was not when it joined: its status does not change under it.
        try before.send("/part\n")
        try before.expect("-!- You are in no room now")
        try before.send("/join #lobby\n")
        try before.expect("-!- #lobby has 2 members: @chief @deputy")
    }
}
