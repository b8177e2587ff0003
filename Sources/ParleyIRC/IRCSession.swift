import Logging
import ParleyBytes
import ParleyChat
import ParleyConfig
import ParleyFrontEnd
import ParleyLoop
import ParleyTransport

/// One IRC client: registration (PASS, NICK, USER, CAP in any order), then commands that
/// become core intents, and core events rendered as IRC lines.
final class IRCSession: LongReplySession, ChatClient {
    let connection: Connection
    unowned let frontEnd: IRCFrontEnd
    /// The front-end's, stored again: it is read for every line, and one unowned hop is cheaper
    /// than two.
    unowned let services: SessionServices
    private(set) var user: ChatUser?
    var pendingNick: String?
    var username: String?
    var realName = ""
    var passwordAccepted = false
    /// PASS and OPER: one check at a time, off the loop thread, a few failures at most.
    var passwordAttempts = PasswordAttempts()
    /// They decide how messages look to this client, so held-back ones are delivered first.
    var caps: Set<IRCCapability> = [] {
        willSet { services.chat.heldBack.deliver() }
        didSet { capsKey = 0x0200 | caps.reduce(0) { $0 | $1.renderBit } }
    }
    /// Clients with the same render-relevant caps share rendered bytes.
    private var capsKey = 0x0200
    var negotiatingCaps = false
    private var registrationTimer: TimerID?
    private var pingTimer: TimerID?
    var lastActivity = monotonicNanoseconds()
    var awaitingPong = false
    private var pingSentAt: UInt64 = 0

    init(connection: Connection, frontEnd: IRCFrontEnd) {
        self.connection = connection
        self.frontEnd = frontEnd
        self.services = frontEnd.services
        connection.delegate = self
        // IRC lines carry up to 8191 bytes of tags plus a 512-byte body.
        connection.maxLineBytes = IRCMessage.maxTagBytes + IRCMessage.maxBodyBytes + 2
        let timeout = UInt64(services.config.limits.registrationTimeoutSeconds) * 1000
        // unowned, not weak: a weak reference would give every session a side table and slow
        // down every retain on the fan-out path. The timer is cancelled before the session goes.
        registrationTimer = services.loop.timers.schedule(afterMilliseconds: timeout) { [unowned self] in
            registrationTimedOut()
        }
    }

    var chat: ChatServer { services.chat }
    var logger: Logger { services.logger }
    var serverName: String { frontEnd.serverName }
    var nick: String? { user?.nick }
    /// The nick numerics are addressed to: `*` before registration.
    var target: String { user?.nick ?? pendingNick ?? "*" }

    // MARK: Output

    /// While set, replies collect here and leave as one chunk (the welcome burst is ~20 lines).
    private var batch: [UInt8]?

    func send(_ message: IRCMessage) {
        if batch != nil {
            message.appendWireForm(to: &batch!)
        } else {
            var bytes: [UInt8] = []
            message.appendWireForm(to: &bytes)
            connection.send(OutBytes(bytes))
        }
    }

    /// Numerics from the config's templates, addressed to this client.
    func send(_ lines: [IRCReplyTemplates.Line]) {
        if batch != nil {
            IRCReplyTemplates.append(lines, nick: target, to: &batch!)
        } else {
            batched { send(lines) }
        }
    }

    /// Sends everything `body` replies as one shared chunk instead of a chunk per line.
    func batched(_ body: () -> Void) {
        batch = []
        batch!.reserveCapacity(2048)
        body()
        if let bytes = batch, !bytes.isEmpty { connection.send(OutBytes(bytes)) }
        batch = nil
    }

    /// A numeric reply from the server: `:server NNN target params...`.
    func numeric(_ code: String, _ params: String...) {
        numeric(code, params: params)
    }

    func numeric(_ code: String, params: [String]) {
        send(numericMessage(code, params))
    }

    /// A numeric appended to a long reply's chunk instead of sent.
    func appendNumeric(_ code: String, _ params: String..., to out: inout [UInt8]) {
        numericMessage(code, params).appendWireForm(to: &out)
    }

    private func numericMessage(_ code: String, _ params: [String]) -> IRCMessage {
        IRCMessage(source: serverName, command: code, params: [target] + params, forceTrailing: params.count > 0)
    }

    // MARK: Long replies

    /// LIST, WHO, NAMES and the like, written as the client reads (see `LongReplySession`).
    var longReplies: LongReplies?

    /// After starting a reply, a command with more targets hands its rest back when this is
    /// true, so that what it does next comes after the reply.
    func deferRestIfReplying(_ rest: @autoclosure () -> String) -> Bool {
        guard let longReplies, longReplies.isRunning else { return false }
        longReplies.deferRest(rest())
        return true
    }

    func serverNotice(_ text: String) {
        send(IRCMessage(source: serverName, command: "NOTICE", params: [target, text], forceTrailing: true))
    }

    func sendServerNotice(_ text: String) {
        send(IRCMessage(command: "ERROR", params: ["Closing Link: \(connection.peer.host) (\(text))"], forceTrailing: true))
    }

    func applyLimits(_ limits: Config.Limits) {
        connection.sendqLimit = limits.sendqBytes
    }

    /// A second PASS or OPER while one is being checked costs nothing and gets nothing.
    func refuseWhilePasswordCheckRuns(_ command: String) {
        numeric("400", command, "A password check is already running; wait for its answer")
    }

    /// ERROR, then close after flushing, as servers end a link.
    func closeLink(_ reason: String) {
        send(IRCMessage(command: "ERROR", params: ["Closing Link: \(connection.peer.host) (\(reason))"], forceTrailing: true))
        connection.closeAfterFlush(reason: reason)
    }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) -> LineWeight {
        lastActivity = monotonicNanoseconds()
        awaitingPong = false
        // Lines before registration are bounded by its timeout and the connection limits instead.
        let weight: LineWeight = user == nil ? .free : .normal
        if bytes.contains(0) {
            numeric("400", "*", "Line refused: it contains a NUL byte")
            return weight
        }
        // The framer took the line's own CR; one inside it would reach other clients as a break.
        if bytes.contains(0x0D) {
            numeric("400", "*", "Line refused: it contains a carriage return (CR) inside it")
            return weight
        }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.utf8.allSatisfy({ $0 == 0x20 }) { return weight }
        let message: IRCMessage
        do {
            message = try IRCMessage.parse(Substring(line))
        } catch {
            switch error {
            case .bodyTooLong, .tagsTooLong: numeric("417", "Input line was too long")
            case .noCommand: numeric("421", "*", "No command given")
            case .empty: break
            }
            logger.debug("refused input", metadata: ["client": "\(connection.id)", "reason": "\(error)"])
            return weight
        }
        if let user { user.lastActive = wallClockSeconds() }
        let cost = dispatch(message)
        return weight == .free ? .free : cost
    }

    func connectionLineTooLong(_ connection: Connection) {
        logger.info("refused input", metadata: ["client": "\(connection.id)", "reason": "IRC line over \(connection.maxLineBytes) bytes"])
        numeric("417", "Input line was too long")
    }

    func connectionFlooded(_ connection: Connection, reason: String) {
        logger.notice("excess flood", metadata: ["client": "\(connection.id)", "nick": "\(target)",
                                                 "reason": "\(reason)"])
        closeLink("Excess Flood")
    }

    func connectionClosed(_ connection: Connection, reason: String) {
        for timer in [registrationTimer, pingTimer].compactMap({ $0 }) { services.loop.timers.cancel(timer) }
        longReplies?.cancel(reason: reason)
        if let user { chat.quit(user, reason: reason) }
    }

    // MARK: Registration

    /// Registers once NICK and USER are in, CAP negotiation is over and PASS (if any) is right.
    func tryCompleteRegistration() {
        guard user == nil, let nick = pendingNick, let username, !negotiatingCaps, !passwordAttempts.inFlight else { return }
        if services.config.server.passwordHash != nil && !passwordAccepted {
            numeric("464", "Password incorrect")
            closeLink("Bad password")
            return
        }
        let registered: ChatUser
        do {
            registered = try chat.register(nick: nick, username: username, address: connection.peer.host,
                                           realName: realName, client: self)
        } catch {
            // Someone took the nick between NICK and USER.
            reportNickError(error, nick: nick)
            pendingNick = nil
            return
        }
        registered.adoptTransportSecurity(of: connection)
        user = registered
        services.clientRegistered(connection)
        if let registrationTimer { services.loop.timers.cancel(registrationTimer) }
        registrationTimer = nil
        logger.info("registered", metadata: ["client": "\(connection.id)", "nick": "\(nick)", "protocol": "irc"])
        batched { sendWelcome() }
        startPinging()
    }

    private func sendWelcome() {
        let config = services.config
        guard let user else { return }
        numeric("001", "Welcome to the \(config.server.network) Network, \(user.hostmask)")
        send(frontEnd.templates.hostInfo)
        sendISupport()
        sendLusers()
        sendMotd()
    }

    func sendISupport() {
        send(frontEnd.templates.isupport)
    }

    func sendLusers() {
        let users = chat.userCount
        let invisible = chat.invisibleCount
        numeric("251", "There are \(users - invisible) users and \(invisible) invisible on 1 servers")
        numeric("252", String(chat.serverOperatorCount), "operator(s) online")
        let unknown = services.connectionCount - (users - chat.botCount)
        numeric("253", String(max(0, unknown)), "unknown connection(s)")
        numeric("254", String(chat.roomCount), "channels formed")
        numeric("255", "I have \(users) clients and 0 servers")
        numeric("265", String(users), String(chat.peakUserCount), "Current local users \(users), max \(chat.peakUserCount)")
        numeric("266", String(users), String(chat.peakUserCount), "Current global users \(users), max \(chat.peakUserCount)")
    }

    func sendMotd() {
        send(frontEnd.templates.motd)
    }

    private func registrationTimedOut() {
        registrationTimer = nil
        guard user == nil, connection.state == .open else { return }
        closeLink("Registration timed out")
    }

    // MARK: Liveness

    /// Pings a client that has been quiet for ping_interval_seconds, and drops it when no
    /// answer comes within ping_timeout_seconds.
    private func startPinging() {
        let interval = UInt64(services.config.limits.pingIntervalSeconds) * 1000
        pingTimer = services.loop.timers.schedule(afterMilliseconds: max(interval / 4, 250), repeating: true) { [unowned self] in
            checkLiveness()
        }
    }

    private func checkLiveness() {
        let limits = services.config.limits
        let now = monotonicNanoseconds()
        // Input waiting behind the fakelag proves the client is there: it is never pinged out.
        if connection.heldInputBytes > 0 {
            lastActivity = now
            awaitingPong = false
        }
        // A client reading a long reply is alive, though its PONG waits behind the reply.
        let lastHeard = max(lastActivity, longReplies?.lastProgress ?? 0)
        if awaitingPong && lastHeard > pingSentAt { awaitingPong = false }
        if awaitingPong {
            let waited = (now - pingSentAt) / 1_000_000_000
            if waited >= UInt64(limits.pingTimeoutSeconds) {
                let idle = (now - lastHeard) / 1_000_000_000
                closeLink("Ping timeout: \(idle) seconds")
            }
        } else if (now - lastHeard) / 1_000_000_000 >= UInt64(limits.pingIntervalSeconds) {
            awaitingPong = true
            pingSentAt = now
            send(IRCMessage(command: "PING", params: [serverName]))
        }
    }

    func reportNickError(_ error: ChatError, nick: String) {
        switch error {
        case .nickInUse: numeric("433", nick, "Nickname is already in use")
        case .invalidNick(_, let reason): numeric("432", nick, "Erroneous nickname: \(reason)")
        default: numeric("432", nick, "Erroneous nickname")
        }
    }

    // MARK: ChatClient

    func renderKey(for event: ChatEvent) -> Int {
        if case .serverNotice = event { return 0x1_0000_0000 + Int(truncatingIfNeeded: connection.id) }
        return capsKey
    }

    func render(_ event: ChatEvent) -> OutBytes? {
        let renderer = IRCRenderer(caps: caps, serverName: serverName, recipientNick: target)
        guard let lines = renderer.render(event) else { return nil }
        return OutBytes((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    func send(_ bytes: OutBytes, _ range: Range<Int>) {
        connection.send(bytes, range)
    }

    func disconnect(reason: String) {
        closeLink(reason)
    }
}
