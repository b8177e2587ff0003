import Logging
import ParleyBytes
import ParleyChat
import ParleyConfig
import ParleyFrontEnd
import ParleyLoop
import ParleyTransport

/// One plain-text client: asks for a nickname, then turns lines into chat intents.
final class PlainSession: LongReplySession, ChatClient {
    let connection: Connection
    unowned let services: SessionServices
    private(set) var user: ChatUser?
    /// The room plain text goes to: the one joined last, unless parted. It decides how room
    /// messages look to this client, so held-back ones are delivered before it changes.
    var focus: Room? {
        willSet { services.chat.heldBack.deliver() }
    }
    private var registrationTimer: TimerID?
    /// /oper: one check at a time, off the loop thread, a few failures at most.
    var passwordAttempts = PasswordAttempts()

    init(connection: Connection, services: SessionServices) {
        self.connection = connection
        self.services = services
        connection.delegate = self
        greet()
        let timeout = UInt64(services.config.limits.registrationTimeoutSeconds) * 1000
        // unowned, not weak: a weak reference would give every session a side table and slow
        // down every retain on the fan-out path. The timer is cancelled before the session goes.
        registrationTimer = services.loop.timers.schedule(afterMilliseconds: timeout) { [unowned self] in
            registrationTimedOut()
        }
    }

    var chat: ChatServer { services.chat }
    var nick: String? { user?.nick }
    var logger: Logger { services.logger }

    private func greet() {
        let server = services.config.server
        say("-!- Welcome to \(server.name): \(server.description)")
        for line in server.motd { say("-!- \(line)") }
        say("-!- Choose a nickname:")
    }

    func say(_ line: String) { connection.send(line: line) }

    // MARK: Long replies

    /// /rooms, /who, /help and the like, written as the client reads (see `LongReplySession`).
    var longReplies: LongReplies?

    /// A long reply of lines made up front (/help).
    func startReply(_ command: String, lines: [String]) {
        startReply(command, LongReplies.each(lines, { line, out in PlainText.appendLine(line, to: &out) }, end: { _ in }))
    }

    func error(_ text: String) { say("error: \(text)") }

    func sendServerNotice(_ text: String) { say("-!- \(text)") }

    func applyLimits(_ limits: Config.Limits) {
        connection.maxLineBytes = limits.maxLineBytes
        connection.sendqLimit = limits.sendqBytes
    }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) -> LineWeight {
        let (text, repaired) = PlainText.decode(bytes)
        if repaired {
            logger.debug("repaired input", metadata: ["client": "\(connection.id)",
                                                      "reason": "invalid UTF-8 or control characters"])
        }
        // Lines before registration are bounded by its timeout and the connection limits instead.
        guard let user else {
            if text.hasPrefix("/quit") {
                quit(reason: "Quit")
            } else if text.hasPrefix("/") {
                error("choose a nickname first (or /quit)")
            } else {
                chooseNick(text.trimmingCharacters(in: " \t"))
            }
            return .free
        }
        user.lastActive = wallClockSeconds()
        return handleLine(text, from: user)
    }

    func connectionLineTooLong(_ connection: Connection) {
        logger.info("refused input", metadata: ["client": "\(connection.id)", "nick": "\(user?.nick ?? "-")",
                                               "reason": "line longer than \(connection.maxLineBytes) bytes"])
        error("line too long (the limit is \(connection.maxLineBytes) bytes); it was discarded")
    }

    func connectionFlooded(_ connection: Connection, reason: String) {
        logger.notice("excess flood", metadata: ["client": "\(connection.id)", "nick": "\(user?.nick ?? "-")",
                                                 "reason": "\(reason)"])
        disconnect(reason: "Excess Flood")
    }

    func connectionClosed(_ connection: Connection, reason: String) {
        if let registrationTimer { services.loop.timers.cancel(registrationTimer) }
        longReplies?.cancel(reason: reason)
        if let user { chat.quit(user, reason: reason) }
    }

    // MARK: Registration

    private func chooseNick(_ nick: String) {
        if nick.isEmpty {
            say("-!- Choose a nickname:")
            return
        }
        do {
            let user = try chat.register(nick: nick, username: "plain", address: connection.peer.host,
                                         realName: nick, client: self)
            user.adoptTransportSecurity(of: connection)
            self.user = user
            services.clientRegistered(connection)
            if let registrationTimer { services.loop.timers.cancel(registrationTimer) }
            registrationTimer = nil
            logger.info("registered", metadata: ["client": "\(connection.id)", "nick": "\(nick)", "protocol": "plain"])
            say("-!- You are now known as \(user.nick). Type /help for commands.")
            join(services.config.server.defaultRoom, as: user)
        } catch {
            logger.info("refused nickname", metadata: ["client": "\(connection.id)", "nick": "\(nick)",
                                                      "reason": "\(describe(error))"])
            self.error("\(describe(error)); choose another nickname:")
        }
    }

    /// A clean /quit: the others are told now, the goodbye is flushed, then the socket closes.
    func quit(reason: String) {
        if let user { chat.quit(user, reason: reason) }
        say("-!- Goodbye")
        connection.closeAfterFlush(reason: reason)
    }

    private func registrationTimedOut() {
        registrationTimer = nil
        guard user == nil, connection.state == .open else { return }
        say("-!- Timed out waiting for a nickname")
        connection.closeAfterFlush(reason: "Registration timed out")
    }

    // MARK: Lines

    /// Runs a command or says the text; returns what it weighs against the fakelag.
    private func handleLine(_ text: String, from user: ChatUser) -> LineWeight {
        if text.hasPrefix("/") && !text.hasPrefix("//") {
            return runCommand(text, as: user)
        }
        if !text.allSatisfy({ $0 == " " || $0 == "\t" }) {
            sayInFocus(text.hasPrefix("//") ? String(text.dropFirst()) : text, kind: .say, as: user)
        }
        return .normal
    }

    func sayInFocus(_ text: String, kind: MessageKind, as user: ChatUser) {
        guard let room = focus else {
            error("you are not in a room; /join #room first")
            return
        }
        send(ChatMessage(sender: user, target: .room(room), kind: kind, text: text))
    }

    /// Sends through the chain; returns what was delivered (nil when refused or dropped).
    @discardableResult
    func send(_ message: ChatMessage) -> ChatMessage? {
        do {
            return try chat.send(message)
        } catch {
            self.error(describe(error))
            return nil
        }
    }

    func join(_ name: String, key: String? = nil, as user: ChatUser) {
        do {
            let room = try chat.join(user, roomNamed: name, key: key)
            focus = room
            describeRoom(room)
        } catch {
            self.error(describe(error))
        }
    }

    func canSee(_ room: Room) -> Bool {
        user.map(room.isVisible) ?? false
    }

    /// The topic, then `#room has N members: ...` with about 400 bytes of names a line (more as
    /// `#room members: ...` lines), written as the client reads. Those who leave before their
    /// turn are left out; those who join are told by their join line.
    func describeRoom(_ room: Room) {
        if let topic = room.topic {
            say("-!- Topic for \(room.name): \(PlainText.sanitize(topic.text)) (set by \(topic.setBy), \(PlainText.formatTime(topic.setAt)))")
        }
        let shown = user.map(room.members(visibleTo:)) ?? []
        let header = "-!- \(room.name) has \(room.memberCount) \(room.memberCount == 1 ? "member" : "members"): "
        let runs = LongReplies.nameRuns(shown, in: room) { room.status(of: $0).prefix(all: false) + $0.nick }
        var first = true
        startReply("/who") { out in
            let names = runs()
            if first || names != nil {
                PlainText.appendLine((first ? header : "-!- \(room.name) members: ") + (names ?? ""), to: &out)
            }
            first = false
            return names != nil
        }
    }

    /// /whois: others see the host everyone sees; the real address only to the user themself
    /// and to server operators, as on IRC.
    func describeUser(_ other: ChatUser) {
        guard let viewer = user else { return }
        say("-!- \(other.nick) is \(other.hostmask) (\(PlainText.sanitize(other.realName)))")
        if other.revealsIdentity(to: viewer) { say("-!- \(other.nick) is connecting from \(other.realHost)") }
        let rooms = other.rooms.filter { $0.isVisible(to: viewer) }.map { $0.status(of: other).prefix(all: false) + $0.name }
        if !rooms.isEmpty { say("-!- \(other.nick) is in \(rooms.joined(separator: " "))") }
        if let away = other.away { say("-!- \(other.nick) is away: \(PlainText.sanitize(away))") }
        if other.isServerOperator { say("-!- \(other.nick) is a server operator") }
        if other.isBot { say("-!- \(other.nick) is a bot (a plugin's)") }
        if other.isSecure { say("-!- \(other.nick) is using a secure connection (TLS)") }
        if let fingerprint = other.certificateFingerprint, other.revealsIdentity(to: viewer) {
            say("-!- \(other.nick) has client certificate fingerprint \(fingerprint)")
        }
        let idle = Int(wallClockSeconds() - other.lastActive)
        say("-!- \(other.nick) has been idle \(idle) \(idle == 1 ? "second" : "seconds"), connected since \(PlainText.formatTime(other.connectedAt))")
    }

    func describe(_ error: ChatError) -> String {
        switch error {
        case .invalidNick(let nick, let reason): return "'\(nick)' is not a valid nickname: \(reason)"
        case .nickInUse(let nick): return "the nickname \(nick) is taken"
        case .noSuchNick(let nick): return "no user is called \(nick)"
        case .invalidRoom(let name, let reason): return "'\(name)' is not a valid room name: \(reason)"
        case .noSuchRoom(let name): return "there is no room \(name)"
        case .notInRoom(let name): return "you are not in \(name)"
        case .topicTooLong(let limit): return "a topic is at most \(limit) bytes"
        case .emptyMessage: return "nothing to send"
        case .rejected(let reason): return "message not sent: \(reason)"
        case .bannedFromRoom(let room): return "you are banned from \(room)"
        case .inviteOnlyRoom(let room): return "\(room) is invite only"
        case .badRoomKey(let room): return "\(room) needs the right key: /join \(room) key"
        case .roomFull(let room): return "\(room) is full"
        case .cannotSendToRoom(let room, let reason): return "cannot send to \(room): \(reason)"
        case .notRoomOperator(let room): return "you are not an operator of \(room)"
        case .userNotInRoom(let nick, let room): return "\(nick) is not in \(room)"
        case .alreadyInRoom(let nick, let room): return "\(nick) is already in \(room)"
        case .notServerOperator: return "only server operators may do that"
        case .tooManyRooms(_, let limit): return "you are in \(limit) rooms already, the most allowed"
        case .banListFull(let room, let limit): return "the ban list of \(room) is full (\(limit))"
        }
    }

    func describe(_ error: any Error) -> String {
        (error as? ChatError).map(describe) ?? "\(error)"
    }

    // MARK: ChatClient

    private static let keyInFocus = 0x0100
    private static let keyElsewhere = 0x0101

    func renderKey(for event: ChatEvent) -> Int {
        if case .message(let message) = event, case .room(let room) = message.target, room !== focus {
            return Self.keyElsewhere
        }
        return Self.keyInFocus
    }

    func render(_ event: ChatEvent) -> OutBytes? {
        PlainRenderer.render(event, inFocus: renderKey(for: event) == Self.keyInFocus).map { OutBytes(line: $0) }
    }

    /// A part or a kick, from here or elsewhere (IRC KICK, JOIN 0): the focus moves at once,
    /// so commands that default to it and plain text never aim at a room one has left.
    func left(_ room: Room) {
        guard room === focus, let user else { return }
        focus = user.rooms.last
        say(focus.map { "-!- Now talking in \($0.name)" } ?? "-!- You are in no room now; /join #room to talk")
    }

    func disconnect(reason: String) {
        say("-!- \(reason)")
        connection.closeAfterFlush(reason: reason)
    }

    func send(_ bytes: OutBytes, _ range: Range<Int>) {
        connection.send(bytes, range)
    }
}
