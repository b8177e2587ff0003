import Foundation
import Glibc
import XCTest

/// Room messages are held back to the end of the loop turn and written per room in runs; every
/// state change, private message, direct reply, capability change and plain focus change must
/// first deliver what is held back, or clients would see events out of order, or see a message
/// rendered with state that did not exist yet when it was sent (a nick it did not have, a
/// capability not yet requested, a room not yet in focus).
///
/// Each test lets several senders, IRC and plain, write bursts of room messages interleaved with
/// state changes, each burst in one write, and makes the server handle all the bursts in ONE turn
/// of its loop (see `inOneTurn`). It then compares what every client received, line for line,
/// with what it would have received had every event been delivered at once.
///
/// Within a turn the loop serves ready sockets in the order they were registered, which is the
/// order the clients connected in; the tests connect the senders in the order their bursts are
/// meant to be handled, and the expected transcripts follow that order.
///
/// Order is kept by one barrier, `HeldBackRoomMessages.deliver()`, at nine choke points
/// (docs/ARCHITECTURE.md, "Output order"). Each test names the barriers it guards; removing
/// any one of the nine fails at least one test here.
final class CausalOrderTests: XCTestCase {
    /// NICK, TOPIC, MODE and AWAY from an IRC sender and a plain one, each between two of its
    /// room messages; the next message shows the new nick, and a member the new +m silences
    /// later in the same turn is refused.
    /// Guards the barrier on `ChatUser.nick`, `ChatServer.emit` and `beforeDirectOutput`.
    func testNickTopicModeAndAwayTakeEffectBetweenTheMessagesAroundThem() throws {
        let server = try TestServer()
        let ana = try Peer.irc(server, "ana", rooms: ["#r"])                    // #r's operator
        let ben = try Peer.plain(server, "ben", rooms: ["#r"])                  // focus #r
        let cy = try Peer.irc(server, "cy", rooms: ["#r"])
        let dee = try Peer.irc(server, "dee", caps: ["server-time", "away-notify"], rooms: ["#r"])
        let eve = try Peer.plain(server, "eve", rooms: ["#r"])                  // focus #r
        let fay = try Peer.plain(server, "fay", rooms: ["#r", "#lobby"])        // focus #lobby
        try drainAll([ana, ben, cy, dee, eve, fay])

        try inOneTurn(server, [
            (ana, ["PRIVMSG #r :a1", "NICK anna", "PRIVMSG #r :a2", "TOPIC #r :first topic", "PRIVMSG #r :a3",
                   "MODE #r -t+o ben", "PRIVMSG #r :a4", "AWAY :lunch", "PRIVMSG #r :a5"]),
            (ben, ["b1", "/nick benji", "b2", "/topic #r second topic", "b3", "/mode #r +m", "b4", "/away coffee", "b5"]),
            (cy, ["PRIVMSG #r :too late, the room is +m"]),
        ])

        let a = anaSource, an = ":anna!~ana@\(loopbackCloak)", b = benSource, bj = ":benji!plain@\(loopbackCloak)"
        let ircRoomView = [
            "\(a) PRIVMSG #r :a1", "\(a) NICK anna", "\(an) PRIVMSG #r :a2", "\(an) TOPIC #r :first topic",
            "\(an) PRIVMSG #r :a3", "\(an) MODE #r -t+o ben", "\(an) PRIVMSG #r :a4", "AWAY", "\(an) PRIVMSG #r :a5",
            "\(b) PRIVMSG #r :b1", "\(b) NICK benji", "\(bj) PRIVMSG #r :b2", "\(bj) TOPIC #r :second topic",
            "\(bj) PRIVMSG #r :b3", "\(bj) MODE #r +m", "\(bj) PRIVMSG #r :b4", "AWAY", "\(bj) PRIVMSG #r :b5",
        ]
        assertSees(cy, ircRoomView.filter { $0 != "AWAY" }
            + [":parley.local 404 cy #r :Cannot send to channel: the room is moderated (+m): only voiced members speak"])
        var awayLines = ["\(an) AWAY :lunch", "\(bj) AWAY :coffee"].makeIterator()
        assertSees(dee, ircRoomView.map { "@time=T " + ($0 == "AWAY" ? awayLines.next()! : $0) })
        assertSees(ana, [
            "\(a) NICK anna", "\(an) TOPIC #r :first topic", "\(an) MODE #r -t+o ben",
            ":parley.local 306 anna :You have been marked as being away",
        ] + ircRoomView.suffix(9).filter { $0 != "AWAY" })
        let plainRoomView = [
            "<ana> a1", "-!- ana is now known as anna", "<anna> a2", "-!- anna set the topic of #r to: first topic",
            "<anna> a3", "-!- anna set mode -t+o ben on #r", "<anna> a4", "<anna> a5",
            "<ben> b1", "-!- ben is now known as benji", "<benji> b2", "-!- benji set the topic of #r to: second topic",
            "<benji> b3", "-!- benji set mode +m on #r", "<benji> b4", "<benji> b5",
        ]
        assertSees(eve, plainRoomView)
        assertSees(fay, plainRoomView.map { $0.hasPrefix("<") ? "[#r] " + $0 : $0 })
        assertSees(ben, Array(plainRoomView.prefix(8)) + [
            "-!- ben is now known as benji", "-!- benji set the topic of #r to: second topic",
            "-!- benji set mode +m on #r", "-!- You are marked away: coffee",
        ])
    }

    /// JOIN, INVITE, KICK, PART and QUIT between room messages; plain /join and /part move the
    /// sender's focus, so its next lines go to the new room. The invited member gets past +i
    /// later in the same turn; the kicked one gets nothing after the kick and is refused.
    /// Guards `ChatServer.emit`.
    func testJoinInviteKickPartAndQuitKeepTheirPlaceAmongRoomMessages() throws {
        let server = try TestServer()
        let ana = try Peer.irc(server, "ana", rooms: ["#r", "#inv"])            // operator of both
        let ben = try Peer.plain(server, "ben", rooms: ["#r"])
        let cy = try Peer.irc(server, "cy", rooms: ["#side", "#r"])             // operator of #side
        let dee = try Peer.irc(server, "dee", caps: ["server-time"], rooms: ["#r"])
        let eve = try Peer.plain(server, "eve", rooms: ["#r"])
        let ivy = try Peer.irc(server, "ivy", rooms: ["#r"])
        let kit = try Peer.irc(server, "kit", rooms: ["#r"])
        let quin = try Peer.irc(server, "quin", rooms: ["#r"])
        try ana.send("MODE #inv +i")
        try ana.socket.expect("MODE #inv +i")
        try drainAll([ana, ben, cy, dee, eve, ivy, kit, quin])

        try inOneTurn(server, [
            (ana, ["PRIVMSG #r :a1", "JOIN #side", "PRIVMSG #r :a2", "INVITE ivy #inv", "PRIVMSG #r :a3",
                   "KICK #r kit :out", "PRIVMSG #r :a4", "PART #side :done", "PRIVMSG #r :a5"]),
            (ben, ["b1", "/join #side", "b2", "/invite ivy", "b3", "/part #side", "b4"]),
            (ivy, ["JOIN #inv"]),
            (kit, ["PRIVMSG #r :k1"]),
            (quin, ["PRIVMSG #r :q1", "QUIT :bye"]),
        ])

        let a = anaSource, b = benSource, q = ":quin!~quin@\(loopbackCloak)"
        let before = ["\(a) PRIVMSG #r :a1", "\(a) PRIVMSG #r :a2", "\(a) PRIVMSG #r :a3", "\(a) KICK #r kit :out",
                      "\(a) PRIVMSG #r :a4", "\(a) PRIVMSG #r :a5", "\(b) PRIVMSG #r :b1"]
        let quit = ["\(q) PRIVMSG #r :q1", "\(q) QUIT :Quit: bye"]
        assertSees(cy, [
            "\(a) PRIVMSG #r :a1", "\(a) JOIN #side", "\(a) PRIVMSG #r :a2", "\(a) PRIVMSG #r :a3",
            "\(a) KICK #r kit :out", "\(a) PRIVMSG #r :a4", "\(a) PART #side :done", "\(a) PRIVMSG #r :a5",
            "\(b) PRIVMSG #r :b1", "\(b) JOIN #side", "\(b) PRIVMSG #side :b2", "\(b) PRIVMSG #side :b3",
            "\(b) PART #side", "\(b) PRIVMSG #r :b4",
        ] + quit)
        assertSees(dee, (before + ["\(b) PRIVMSG #r :b4"] + quit).map { "@time=T " + $0 })
        assertSees(ivy, [
            "\(a) PRIVMSG #r :a1", "\(a) PRIVMSG #r :a2", "\(a) INVITE ivy #inv", "\(a) PRIVMSG #r :a3",
            "\(a) KICK #r kit :out", "\(a) PRIVMSG #r :a4", "\(a) PRIVMSG #r :a5", "\(b) PRIVMSG #r :b1",
            "\(b) INVITE ivy #side", "\(b) PRIVMSG #r :b4",
            ":ivy!~ivy@\(loopbackCloak) JOIN #inv", ":parley.local 353 ivy = #inv :@ana ivy", ":parley.local 366 ivy #inv :End of /NAMES list.",
        ] + quit)
        assertSees(kit, Array(before.prefix(4)) + [
            ":parley.local 404 kit #r :Cannot send to channel: you are not in the room, and it takes no messages from outside (+n)",
        ])
        assertSeesThenClosed(quin, before + ["\(b) PRIVMSG #r :b4", "ERROR :Closing Link: 127.0.0.1 (Quit: bye)"])
        assertSees(ana, [
            "\(a) JOIN #side", ":parley.local 353 ana = #side :ana @cy", ":parley.local 366 ana #side :End of /NAMES list.",
            ":parley.local 341 ana ivy :#inv", "\(a) KICK #r kit :out", "\(a) PART #side :done",
            "\(b) PRIVMSG #r :b1", "\(b) PRIVMSG #r :b4", ":ivy!~ivy@\(loopbackCloak) JOIN #inv",
        ] + quit)
        let plainBefore = ["<ana> a1", "<ana> a2", "<ana> a3", "-!- kit was kicked from #r by ana (out)", "<ana> a4", "<ana> a5"]
        let plainQuit = ["<quin> q1", "-!- quin quit (Quit: bye)"]
        assertSees(eve, plainBefore + ["<ben> b1", "<ben> b4"] + plainQuit)
        assertSees(ben, plainBefore + [
            "-!- ben joined #side", "-!- #side has 2 members: ben @cy", "-!- Invited ivy to #side",
            "-!- ben left #side", "-!- Now talking in #r",
        ] + plainQuit)
    }

    /// In #r: ana (IRC, echo-message), ben (plain), cy (IRC) and eve (plain), in that order.
    private func senderAndReceivers(_ server: TestServer) throws -> (Peer, Peer, Peer, Peer) {
        let ana = try Peer.irc(server, "ana", caps: ["echo-message"], rooms: ["#r"])
        let ben = try Peer.plain(server, "ben", rooms: ["#r"])
        let cy = try Peer.irc(server, "cy", rooms: ["#r"])
        let eve = try Peer.plain(server, "eve", rooms: ["#r"])
        try drainAll([ana, ben, cy, eve])
        return (ana, ben, cy, eve)
    }

    /// Private messages (IRC and plain, to IRC and plain users) between room messages, and
    /// direct replies (a numeric, a PONG, a plain reply) after them: the replies go out after
    /// the room messages that came first, the sender's echoes included.
    /// Guards `ChatServer.emit` and `beforeDirectOutput` (where the server installs it and
    /// where `Connection.send(_:)` calls it).
    func testPrivateMessagesAndRepliesKeepTheirPlaceAmongRoomMessages() throws {
        let server = try TestServer()
        let (ana, ben, cy, eve) = try senderAndReceivers(server)

        try inOneTurn(server, [
            (ana, ["PRIVMSG #r :a1", "PRIVMSG cy :to cy", "PRIVMSG #r :a2", "PRIVMSG eve :to eve",
                   "PRIVMSG #r :a3", "TOPIC #r", "PRIVMSG #r :a4", "PING :ana-done"]),
            (ben, ["b1", "/msg cy hi cy", "b2", "/msg eve hi eve", "b3", "/who #r", "b4"]),
            (eve, ["/topic #r"]),
        ])

        let a = anaSource, b = benSource
        let bens = ["\(b) PRIVMSG #r :b1", "\(b) PRIVMSG #r :b2", "\(b) PRIVMSG #r :b3", "\(b) PRIVMSG #r :b4"]
        assertSees(ana, [
            "\(a) PRIVMSG #r :a1", "\(a) PRIVMSG cy :to cy", "\(a) PRIVMSG #r :a2", "\(a) PRIVMSG eve :to eve",
            "\(a) PRIVMSG #r :a3", ":parley.local 331 ana #r :No topic is set", "\(a) PRIVMSG #r :a4",
            ":parley.local PONG parley.local ana-done",
        ] + bens)
        assertSees(cy, [
            "\(a) PRIVMSG #r :a1", "\(a) PRIVMSG cy :to cy", "\(a) PRIVMSG #r :a2", "\(a) PRIVMSG #r :a3", "\(a) PRIVMSG #r :a4",
            "\(b) PRIVMSG #r :b1", "\(b) PRIVMSG cy :hi cy", "\(b) PRIVMSG #r :b2", "\(b) PRIVMSG #r :b3", "\(b) PRIVMSG #r :b4",
        ])
        assertSees(eve, [
            "<ana> a1", "<ana> a2", "*ana* to eve", "<ana> a3", "<ana> a4",
            "<ben> b1", "<ben> b2", "*ben* hi eve", "<ben> b3", "<ben> b4", "-!- #r has no topic",
        ])
        assertSees(ben, [
            "<ana> a1", "<ana> a2", "<ana> a3", "<ana> a4",
            "-> *cy* hi cy", "-> *eve* hi eve", "-!- #r has 4 members: @ana ben cy eve",
        ])
    }

    /// A capability changes how a client sees messages from its CAP REQ on: what others sent
    /// before it in the turn still comes without the cap, what they send after with it, and
    /// the requester's own echoes likewise.
    /// Guards the `willSet` on `IRCSession.caps` (without it the ACK's direct-output barrier
    /// renders the held-back messages with the new caps) and the before-sleep delivery.
    func testACapabilityChangeAppliesFromItsPlaceInTheTurn() throws {
        let server = try TestServer()
        let ana = try Peer.irc(server, "ana", caps: ["echo-message"], rooms: ["#r"])
        let ben = try Peer.plain(server, "ben", rooms: ["#r"])
        let cy = try Peer.irc(server, "cy", rooms: ["#r"])
        let gus = try Peer.irc(server, "gus", rooms: ["#r"])
        let dee = try Peer.irc(server, "dee", caps: ["server-time"], rooms: ["#r"])
        let hal = try Peer.irc(server, "hal", rooms: ["#r"])
        try drainAll([ana, ben, cy, gus, dee, hal])

        try inOneTurn(server, [
            (ana, ["PRIVMSG #r :a1", "CAP REQ :server-time", "PRIVMSG #r :a2", "CAP REQ :-server-time", "PRIVMSG #r :a3"]),
            (ben, ["b1"]),
            (cy, ["CAP REQ :server-time"]),
            (gus, ["PRIVMSG #r :g1"]),
            (dee, ["CAP REQ :-server-time"]),
            (hal, ["PRIVMSG #r :h1"]),
        ])

        let a = anaSource, b = benSource, g = ":gus!~gus@\(loopbackCloak)", h = ":hal!~hal@\(loopbackCloak)"
        assertSees(ana, [
            "\(a) PRIVMSG #r :a1", ":parley.local CAP ana ACK :server-time",
            "@time=T \(a) PRIVMSG #r :a2", ":parley.local CAP ana ACK :-server-time",
            "\(a) PRIVMSG #r :a3", "\(b) PRIVMSG #r :b1", "\(g) PRIVMSG #r :g1", "\(h) PRIVMSG #r :h1",
        ])
        assertSees(cy, [
            "\(a) PRIVMSG #r :a1", "\(a) PRIVMSG #r :a2", "\(a) PRIVMSG #r :a3", "\(b) PRIVMSG #r :b1",
            ":parley.local CAP cy ACK :server-time", "@time=T \(g) PRIVMSG #r :g1", "@time=T \(h) PRIVMSG #r :h1",
        ])
        assertSees(dee, [
            "@time=T \(a) PRIVMSG #r :a1", "@time=T \(a) PRIVMSG #r :a2", "@time=T \(a) PRIVMSG #r :a3",
            "@time=T \(b) PRIVMSG #r :b1", "@time=T \(g) PRIVMSG #r :g1", ":parley.local CAP dee ACK :-server-time",
            "\(h) PRIVMSG #r :h1",
        ])
        assertSees(ben, ["<ana> a1", "<ana> a2", "<ana> a3", "<gus> g1", "<hal> h1"])
    }

    /// A plain client shows messages from its focus room bare and others with a [#room] prefix.
    /// Kicked from its focus room, its focus moves at once (and it is told). A /join moves the
    /// focus from its place in the turn too, and so does a /join of a room one is already in,
    /// which changes nothing in the core: that path is what the `willSet` on
    /// `PlainSession.focus` guards (rex). a0, held back across fay's /join, guards `Room.add`.
    func testAPlainClientsRoomPrefixesFollowItsFocusWithinOneTurn() throws {
        let server = try TestServer()
        let ana = try Peer.irc(server, "ana", rooms: ["#r", "#lobby"])          // #r's operator
        let ben = try Peer.plain(server, "ben", rooms: [])                      // focus #lobby
        let pat = try Peer.plain(server, "pat", rooms: ["#r"])                  // focus #r
        let fay = try Peer.plain(server, "fay", rooms: [])                      // focus #lobby
        let gus = try Peer.irc(server, "gus", rooms: ["#lobby"])
        let rex = try Peer.plain(server, "rex", rooms: ["#r"])                  // focus #r, in #lobby too
        let cy = try Peer.irc(server, "cy", rooms: ["#lobby", "#r"])
        try drainAll([ana, ben, pat, fay, gus, rex, cy])

        try inOneTurn(server, [
            // a0 is held back when fay joins #r: it must reach #r's members of that moment only.
            (ana, ["KICK #r pat :out", "PRIVMSG #r :a0", "PRIVMSG #lobby :a1"]),
            (ben, ["b1"]),
            // The kick moved pat's focus to #lobby at once, so both lines go there.
            (pat, ["typed before the kick arrived", "again"]),
            (fay, ["/join #r"]),
            (gus, ["PRIVMSG #lobby :g1"]),
            // Already in #lobby: only the focus moves, after g1 and before c1 and c2.
            (rex, ["/join #lobby"]),
            (cy, ["PRIVMSG #r :c1", "PRIVMSG #lobby :c2"]),
        ])

        assertSees(rex, [
            "-!- pat was kicked from #r by ana (out)", "<ana> a0", "[#lobby] <ana> a1", "[#lobby] <ben> b1",
            "[#lobby] <pat> typed before the kick arrived", "[#lobby] <pat> again", "-!- fay joined #r",
            "[#lobby] <gus> g1", "-!- #lobby has 7 members: ana ben cy fay gus pat rex", "[#r] <cy> c1", "<cy> c2",
        ])
        assertSees(pat, [
            "-!- pat was kicked from #r by ana (out)", "-!- Now talking in #lobby", "<ana> a1", "<ben> b1",
            "<gus> g1", "<cy> c2",
        ])
        assertSees(fay, [
            "<ana> a1", "<ben> b1", "<pat> typed before the kick arrived", "<pat> again", "-!- fay joined #r",
            "-!- #r has 4 members: @ana cy fay rex", "[#lobby] <gus> g1", "<cy> c1", "[#lobby] <cy> c2",
        ])
        assertSees(ben, ["<ana> a1", "<pat> typed before the kick arrived", "<pat> again", "<gus> g1", "<cy> c2"])
        let a = anaSource
        assertSees(cy, [
            "\(a) KICK #r pat :out", "\(a) PRIVMSG #r :a0", "\(a) PRIVMSG #lobby :a1", "\(benSource) PRIVMSG #lobby :b1",
            ":pat!plain@\(loopbackCloak) PRIVMSG #lobby :typed before the kick arrived",
            ":pat!plain@\(loopbackCloak) PRIVMSG #lobby :again", ":fay!plain@\(loopbackCloak) JOIN #r", ":gus!~gus@\(loopbackCloak) PRIVMSG #lobby :g1",
        ])
    }

    /// WALLOPS and KILL from an operator between room messages, and a plain operator's /quit:
    /// the victim gets what was said before the kill and is gone before it can say more.
    /// Guards `Room.remove`, `ChatServer.emit` and `beforeDirectOutput`: the victim's ERROR
    /// goes through `Connection.send(_:)`, so what was said before the KILL reaches it first;
    /// without that, it would lose a2, its connection already closing.
    func testKillWallopsAndQuitKeepTheirPlaceAmongRoomMessages() throws {
        let server = try TestServer(config: try operatorSection())
        let ana = try Peer.irc(server, "ana", rooms: ["#r"])
        let ben = try Peer.plain(server, "ben", rooms: ["#r"])
        let cy = try Peer.irc(server, "cy", rooms: ["#r"])
        let vic = try Peer.irc(server, "vic", rooms: ["#r"])
        let eve = try Peer.plain(server, "eve", rooms: ["#r"])
        for irc in [ana, cy] {
            try irc.send("OPER admin s3cret")
            try irc.socket.expect(" 381 ")
        }
        try ben.send("/oper admin s3cret")
        try ben.socket.expect("-!- You are now a server operator")
        try drainAll([ana, ben, cy, vic, eve])

        try inOneTurn(server, [
            (ana, ["PRIVMSG #r :a1", "WALLOPS :all opers", "PRIVMSG #r :a2", "KILL vic :spam", "PRIVMSG #r :a3"]),
            (ben, ["b1", "/quit gone"]),
            (vic, ["PRIVMSG #r :never handled"]),
        ])

        let a = anaSource, b = benSource, v = ":vic!~vic@\(loopbackCloak)"
        assertSees(cy, [
            "\(a) PRIVMSG #r :a1", "\(a) WALLOPS :all opers", "\(a) PRIVMSG #r :a2", "\(v) QUIT :Killed (ana (spam))",
            "\(a) PRIVMSG #r :a3", "\(b) PRIVMSG #r :b1", "\(b) QUIT :Quit: gone",
        ])
        assertSees(ana, ["\(a) WALLOPS :all opers", "\(v) QUIT :Killed (ana (spam))", "\(b) PRIVMSG #r :b1", "\(b) QUIT :Quit: gone"])
        assertSees(eve, ["<ana> a1", "<ana> a2", "-!- vic quit (Killed (ana (spam)))", "<ana> a3", "<ben> b1", "-!- ben quit (Quit: gone)"])
        assertSeesThenClosed(vic, ["\(a) PRIVMSG #r :a1", "\(a) PRIVMSG #r :a2", "ERROR :Closing Link: 127.0.0.1 (Killed (ana (spam)))"])
        assertSeesThenClosed(ben, [
            "<ana> a1", "-!- WALLOPS from ana: all opers", "<ana> a2", "-!- vic quit (Killed (ana (spam)))", "<ana> a3", "-!- Goodbye",
        ])
    }

    /// A plugin command's result is a server notice: to the room when typed there (plain), to
    /// the caller otherwise (IRC). It comes after the room messages sent before the command.
    /// Guards `ChatServer.emit` (server notices) and the before-sleep delivery.
    func testPluginCommandNoticesKeepTheirPlaceAmongRoomMessages() throws {
        let server = try TestServer(config: #"plugins = ["Dice"]"# + "\n")
        try server.waitForLog("plugin loaded", "plugin=Dice")
        let (ana, ben, cy, eve) = try senderAndReceivers(server)

        try inOneTurn(server, [
            (ana, ["PRIVMSG #r :a1", "ROLL 1 2", "PRIVMSG #r :a2"]),
            (ben, ["b1", "/roll 1 2", "b2"]),
        ])

        // The dice decide the total; the order is what is checked.
        let total = { (line: String) in line.replacingOccurrences(of: #"= [12]$"#, with: "= N", options: .regularExpression) }
        let a = anaSource, b = benSource
        assertSees(ana, [
            "\(a) PRIVMSG #r :a1", ":parley.local NOTICE ana :ana: /roll 1 2 = N", "\(a) PRIVMSG #r :a2",
            "\(b) PRIVMSG #r :b1", ":parley.local NOTICE ana :ben: /roll 1 2 = N", "\(b) PRIVMSG #r :b2",
        ], normalizing: total)
        assertSees(cy, [
            "\(a) PRIVMSG #r :a1", "\(a) PRIVMSG #r :a2", "\(b) PRIVMSG #r :b1",
            ":parley.local NOTICE cy :ben: /roll 1 2 = N", "\(b) PRIVMSG #r :b2",
        ], normalizing: total)
        assertSees(eve, ["<ana> a1", "<ana> a2", "<ben> b1", "-!- ben: /roll 1 2 = N", "<ben> b2"], normalizing: total)
        assertSees(ben, ["<ana> a1", "<ana> a2", "-!- ben: /roll 1 2 = N"], normalizing: total)
    }

    // MARK: Helpers

    private func drainAll(_ peers: [Peer]) throws {
        for peer in peers { try peer.drain() }
    }

    /// Lets the server handle every burst in one turn of its loop: it is stopped (SIGSTOP),
    /// each burst goes out in one write, and once the server's kernel has acknowledged every
    /// byte, so that its next poll() reports all these sockets at once, it continues.
    private func inOneTurn(_ server: TestServer, _ bursts: [(Peer, [String])]) throws {
        server.signal(SIGSTOP)
        defer { server.signal(SIGCONT) }
        try waitUntil("the server stopped") { processState(server.pid) == "T" }
        for (peer, lines) in bursts { try peer.socket.send(peer.burst(lines)) }
        for (peer, _) in bursts {
            try waitUntil("the server's kernel took \(peer.nick)'s burst") { unacknowledgedBytes(peer.socket.fd) == 0 }
        }
    }

    private func assertSees(_ peer: Peer, _ expected: [String], normalizing: (String) -> String = { $0 },
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(peer.transcript(expected.count).map(normalizing), expected, "what \(peer.nick) saw", file: file, line: line)
    }

    private func assertSeesThenClosed(_ peer: Peer, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(peer.transcriptUntilClosed(), expected, "what \(peer.nick) saw before the server closed", file: file, line: line)
    }
}

/// The IRC sources of the two senders every test has.
private let anaSource = ":ana!~ana@\(loopbackCloak)"
private let benSource = ":ben!plain@\(loopbackCloak)"

/// A registered client of either protocol.
private final class Peer {
    let nick: String
    let isIRC: Bool
    let socket: TestClient
    private var markers = 0

    private init(nick: String, isIRC: Bool, socket: TestClient) {
        self.nick = nick
        self.isIRC = isIRC
        self.socket = socket
    }

    /// Registers, then joins `rooms` one by one (the first to join a room is its operator).
    static func irc(_ server: TestServer, _ nick: String, caps: [String] = [], rooms: [String]) throws -> Peer {
        let client = try IRCTestClient.registered(server, nick, caps: caps)
        for room in rooms { try client.join(room) }
        return Peer(nick: nick, isIRC: true, socket: client.socket)
    }

    /// Registers (which joins #lobby), then joins `rooms` one by one: the last one is the focus.
    static func plain(_ server: TestServer, _ nick: String, rooms: [String]) throws -> Peer {
        let peer = Peer(nick: nick, isIRC: false, socket: try server.register(nick))
        for room in rooms {
            try peer.send("/join \(room)")
            try peer.socket.expect("-!- \(room) has ")
        }
        return peer
    }

    func send(_ line: String) throws { try socket.send(burst([line])) }

    /// The lines as one chunk of bytes, each with this protocol's line ending.
    func burst(_ lines: [String]) -> String { lines.map { $0 + (isIRC ? "\r\n" : "\n") }.joined() }

    /// Asks for a reply that changes nothing (PING, or /who of a room that does not exist) and
    /// returns what arrived before it.
    @discardableResult
    func drain() throws -> [String] {
        markers += 1
        let token = "marker\(markers)"
        try send(isIRC ? "PING :\(token)" : "/who #\(token)")
        var lines: [String] = []
        while let line = try socket.readLine() {
            if isIRC ? line.hasSuffix(" PONG parley.local \(token)") : line == "error: there is no room #\(token)" { return lines }
            lines.append(line)
        }
        throw TestFailure("\(nick): the connection closed before the marker; received \(lines)")
    }

    /// The next `count` lines, then whatever else arrives before the reply to a marker (nothing,
    /// when all is well), with server-time tags as `@time=T`. A read that times out or hits the
    /// end of the connection ends the transcript with a note, for the assertion to show.
    func transcript(_ count: Int) -> [String] {
        var lines: [String] = []
        do {
            while lines.count < count {
                guard let line = try socket.readLine() else { return lines + ["<connection closed>"] }
                lines.append(line)
            }
            lines += try drain()
        } catch {
            lines.append("<\(error)>")
        }
        return lines.map(Self.withoutTimes)
    }

    func transcriptUntilClosed() -> [String] {
        var lines: [String] = []
        do {
            while let line = try socket.readLine() { lines.append(line) }
        } catch {
            lines.append("<\(error)>")
        }
        return lines.map(Self.withoutTimes)
    }

    static func withoutTimes(_ line: String) -> String {
        line.replacingOccurrences(of: #"^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "#, with: "@time=T ", options: .regularExpression)
    }
}

/// The state letter of a process, from /proc (T: stopped).
private func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    return stat[close...].dropFirst().first { $0 != " " }
}

/// Bytes written to the socket that its peer's kernel has not acknowledged yet (SIOCOUTQ).
private func unacknowledgedBytes(_ fd: Int32) -> Int32 {
    var queued: Int32 = 0
    guard ioctl(fd, UInt(TIOCOUTQ), &queued) == 0 else { return -1 }
    return queued
}

/// Waits for a condition the tests cannot be told about (a process state, a socket queue),
/// checking every millisecond for up to 10 s.
private func waitUntil(_ what: String, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(10)
    while !condition() {
        if Date() > deadline { throw TestFailure("timed out waiting until \(what)") }
        usleep(1000)
    }
}
