import CParleySys
import Glibc
import Logging
import ParleyChat
import ParleyConfig
import ParleyFrontEnd
import ParleyIRC
import ParleyLoop
import ParleyPlain
import ParleyPluginHost
import ParleyTransport

/// The running server: listeners, connections, limits, signals, reload and shutdown, on one
/// event loop. It wires the layers together; the per-turn work is written out in `beforeSleep`.
public final class ParleyServer: SessionServices {
    public let loop: EventLoop
    public let chat: ChatServer
    public private(set) var config: Config
    public let logger: Logger
    public let startedAt = wallClockSeconds()
    public let passwords: PasswordChecker
    private let connections: Connections
    private var plugins: PluginHost?
    private var frontEnds: [ListenerProtocol: FrontEnd] = [:]
    private let configPath: String?
    private let pluginDirectory: String
    private let listenerOverrides: [(ListenerProtocol, ListenAddress)]
    private let eventBackendOverride: EventBackend?
    private var listeners: [ListenerHandler] = []
    private var sessions: [UInt64: ClientSession] = [:]
    private var connectionsPerHost: [String: Int] = [:]
    private let throttle: ConnectionThrottle
    private var nextConnectionID: UInt64 = 1
    private let sharedLevel: SharedLogLevel
    private var shuttingDown = false
    private var acceptPaused = false
    private var acceptRetry: TimerID?

    /// - Parameters:
    ///   - configPath: the file SIGHUP re-reads; nil when running on embedded defaults.
    ///   - listenerOverrides: `--plain`/`--irc`, re-applied on every reload.
    ///   - eventBackendOverride: `--event-backend`, likewise.
    public init(config: Config, configPath: String?, pluginDirectory: String,
                listenerOverrides: [(ListenerProtocol, ListenAddress)], eventBackendOverride: EventBackend? = nil,
                logger: Logger, logLevel: SharedLogLevel) throws {
        var config = config
        for (proto, address) in listenerOverrides { config.overrideListeners(proto, with: address) }
        if let eventBackendOverride { config.server.eventBackend = eventBackendOverride }
        self.eventBackendOverride = eventBackendOverride
        self.config = config
        self.logger = logger
        self.loop = try EventLoop(backend: config.server.eventBackend)
        self.chat = ChatServer(rules: config.nameRules, defaultRoomName: config.server.defaultRoom)
        self.connections = Connections(loop: loop)
        self.passwords = PasswordChecker(loop: loop, limits: config.passwordLimits, logger: logger)
        self.throttle = ConnectionThrottle(settings: config.throttle, logger: logger)
        self.configPath = configPath
        self.pluginDirectory = pluginDirectory
        self.listenerOverrides = listenerOverrides
        self.sharedLevel = logLevel
        logLevel.value = config.logLevel
        connections.writeCoalescingNanoseconds = UInt64(config.limits.writeCoalesceMicroseconds) * 1000
        frontEnds = [.plain: PlainFrontEnd(services: self), .irc: IRCFrontEnd(services: self)]
        applyRoomsAndCloaking(config)
        chat.heldBack.isEnabled = true
        connections.beforeDirectOutput = { [unowned chat] in chat.heldBack.deliver() }
        loop.beforeSleep = { [unowned self] in beforeSleep() }
    }

    /// Everything the server does once per loop turn, in order, before the loop waits again.
    /// Returns true when work is left that must not wait for the next event.
    private func beforeSleep() -> Bool {
        // 1. Bots answer what this turn's messages triggered (from outside every hook).
        plugins?.deliverBotMessages()
        // 2. Room messages accepted this turn reach every member's queue, in runs per room.
        chat.heldBack.deliver()
        // 3. Failed connections close (their quits reach others), then queued output is written.
        connections.flush()
        return plugins?.hasPendingBotMessages == true || !chat.heldBack.isEmpty || connections.hasWork
    }

    public var connectionCount: Int { sessions.count }

    /// Loads plugins, opens every listener and installs signal handling. Throws when a
    /// required plugin fails or a listener cannot bind.
    /// Binds every listener, then loads plugins and installs signal handling. Binding comes
    /// first, so a port in use stops startup before any plugin runs; a failure after plugins
    /// started shuts them down. Throws when a listener cannot bind or a required plugin fails.
    public func start() throws {
        parley_ignore_sigpipe()
        raiseOpenFileLimit()
        // Certificates first: a bad one stops startup before any socket is bound.
        let contexts = try config.listeners.map { listener in try listener.tls.map(loadCertificate) }
        do {
            for (listener, context) in zip(config.listeners, contexts) {
                let socket = try ListeningSocket.open(listener.address)
                listeners.append(try ListenerHandler(socket: socket, proto: listener.proto, tls: context, server: self))
                var metadata: Logger.Metadata = ["protocol": "\(listener.proto.rawValue)", "address": "\(socket.boundAddress)"]
                if let context { metadata["tls"] = "\(context.subject), expires \(context.notAfter)" }
                logger.notice("listening", metadata: metadata)
            }
            guard !listeners.isEmpty else { throw StartupError.noListeners }
            resolveSTSPort()
        } catch {
            closeListeners()
            throw error
        }
        let plugins: PluginHost
        do {
            plugins = try PluginHost(loop: loop, chat: chat, config: config, logger: logger, directory: pluginDirectory)
        } catch {
            closeListeners()
            throw error
        }
        plugins.reservedCommandNames = Set(frontEnds.values.flatMap(\.commandNames))
        self.plugins = plugins
        chat.chain = plugins
        chat.listener = plugins
        logger.info("plugin folder", metadata: ["path": "\(pluginDirectory)"])
        do {
            try plugins.loadConfigured()
            try loop.handleSignals([SIGINT, SIGTERM, SIGHUP]) { [unowned self] signal in
                handleSignal(signal)
            }
        } catch {
            plugins.shutdownAll()
            closeListeners()
            throw error
        }
        logger.info("event loop", metadata: ["backend": "\(loop.backend.rawValue)"])
    }

    /// An sts policy taken from a TLS listener on port 0 (tests, mostly) names the port the
    /// kernel chose, or clients would be sent nowhere.
    private func resolveSTSPort() {
        guard var sts = config.sts, sts.port == 0 else { return }
        let bound = zip(listeners, config.listeners).first { _, listener in
            listener.proto == .irc && listener.tls != nil && listener.address.port == 0
        }
        guard let (handler, _) = bound else { return }
        sts.port = handler.socket.boundAddress.port
        config.sts = sts
    }

    private func loadCertificate(_ files: Config.TLSFiles) throws(TLSError) -> TLSContext {
        try TLSContext(certificate: files.certificate, key: files.key)
    }

    /// SIGHUP's part for TLS: every TLS listener re-reads its files. New connections get the
    /// new certificate; open ones keep the session they have. A file that fails keeps the old.
    private func reloadCertificates() -> [String] {
        var lines: [String] = []
        for (handler, listener) in zip(listeners, config.listeners) {
            guard let files = listener.tls else { continue }
            do {
                let context = try loadCertificate(files)
                handler.tls = context
                logger.notice("tls certificate reloaded", metadata: ["address": "\(handler.socket.boundAddress)",
                    "certificate": "\(files.certificate)", "subject": "\(context.subject)", "expires": "\(context.notAfter)"])
                lines.append("tls \(handler.socket.boundAddress): certificate reloaded (\(context.subject), expires \(context.notAfter))")
            } catch {
                logger.error("tls certificate reload refused", metadata: ["address": "\(handler.socket.boundAddress)",
                    "reason": "\(error); the previous certificate stays"])
                lines.append("tls \(handler.socket.boundAddress): refused, the previous certificate stays: \(error)")
            }
        }
        return lines
    }

    private func closeListeners() {
        for listener in listeners { listener.close() }
        listeners = []
    }

    public func run() throws {
        logger.notice("server started", metadata: ["name": "\(config.server.name)"])
        try loop.run()
        logger.notice("server stopped")
    }

    private func handleSignal(_ signal: Int32) {
        switch signal {
        case SIGHUP:
            logger.notice("SIGHUP received: reloading config and plugins")
            scheduleReload(requestedBy: "SIGHUP") { _ in }
        default:
            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            logger.notice("\(name) received: shutting down")
            shutdown(reason: "Server shutting down")
        }
    }

    // MARK: Accepting

    fileprivate func accept(from listener: ListenerHandler) {
        // Bounded, so a connection flood cannot starve clients already connected.
        for _ in 0..<256 {
            let accepted: (fd: Int32, peer: PeerAddress)?
            do {
                accepted = try listener.socket.acceptOne()
            } catch {
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errno) { return pauseAccepting(error) }
                logger.error("accept failed", metadata: ["reason": "\(error)"])
                return
            }
            guard let (fd, peer) = accepted else {
                // The episode ends once the queue that waited is empty, not at each freed slot.
                if acceptPaused {
                    acceptPaused = false
                    logger.notice("accept resumed", metadata: ["reason": "the listen queue is empty again"])
                }
                return
            }
            if let refusal = refusalReason(for: peer) ?? throttle.refusal(forHost: peer.host, now: monotonicNanoseconds())
                ?? plugins?.admitConnection(from: peer.host) {
                logger.notice("connection refused", metadata: ["peer": "\(peer)", "reason": "\(refusal)"])
                // A TLS client would read a plaintext line as a broken handshake, and a handshake
                // for every refused connection is what a connection flood wants: it is just closed.
                refuse(fd: fd, line: listener.tls == nil ? frontEnds[listener.proto]!.refusalLine(reason: refusal, peer: peer) : nil)
                continue
            }
            open(fd: fd, peer: peer, proto: listener.proto, tls: listener.tls)
        }
    }

    /// Out of descriptors (or kernel memory), the listener stays readable: without a pause the
    /// loop would spin on it and log every attempt. New connections wait in the listen queue
    /// until a client leaves, or 100 ms pass; the episode is logged once.
    private func pauseAccepting(_ error: SystemError) {
        if !acceptPaused {
            acceptPaused = true
            logger.error("accept paused", metadata: ["reason": "\(error); new connections wait in the listen queue until clients leave"])
        }
        for listener in listeners { loop.setFileEvents(fd: listener.socket.fd, events: []) }
        retryAccepting(afterMilliseconds: 100)
    }

    /// A timer, so the retry runs outside whatever handler freed a descriptor. It accepts at
    /// once rather than waiting for readiness: an emptied queue is never readable, and Linux
    /// fails accept with EMFILE before it looks at the queue, so only an attempt can tell that
    /// the episode is over (EAGAIN) or goes on (EMFILE, which pauses again).
    private func retryAccepting(afterMilliseconds delay: UInt64) {
        if let acceptRetry { loop.timers.cancel(acceptRetry) }
        acceptRetry = loop.timers.schedule(afterMilliseconds: delay) { [unowned self] in
            acceptRetry = nil
            for listener in listeners {
                loop.setFileEvents(fd: listener.socket.fd, events: .readable)
                accept(from: listener)
            }
        }
    }

    /// max_clients connections need as many descriptors, plus about 32 for the rest (listeners,
    /// the loop, log pipes, plugins):
    /// the soft limit is raised that far (never past the hard limit), and a shortfall is said.
    private func raiseOpenFileLimit() {
        let needed = UInt64(config.limits.maxClients) + 32
        var soft: UInt64 = 0, hard: UInt64 = 0
        guard parley_raise_open_files(needed, &soft, &hard) == 0 else { return }
        let metadata: Logger.Metadata = ["soft": "\(soft)", "hard": "\(hard)", "needed": "\(needed)"]
        if soft < needed {
            logger.warning("open file limit below max_clients", metadata: metadata.merging(["reason":
                "about \(soft > 32 ? soft - 32 : 0) clients fit; raise the hard limit (ulimit -Hn, LimitNOFILE=) or lower limits.max_clients"]) { $1 })
        } else {
            logger.info("open file limit", metadata: metadata)
        }
    }

    private func refusalReason(for peer: PeerAddress) -> String? {
        let limits = config.limits
        if shuttingDown { return "the server is shutting down" }
        if sessions.count >= limits.maxClients {
            return "the server is full (max_clients = \(limits.maxClients)); try again later"
        }
        if connectionsPerHost[peer.host, default: 0] >= limits.maxClientsPerIP {
            return "too many connections from \(peer.host) (max_clients_per_ip = \(limits.maxClientsPerIP))"
        }
        return nil
    }

    /// Best effort: one line into the fresh socket's empty send buffer, then close.
    private func refuse(fd: Int32, line: String?) {
        if var text = line {
            text.append("\r\n")
            _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        Glibc.close(fd)
    }

    private func open(fd: Int32, peer: PeerAddress, proto: ListenerProtocol, tls: TLSContext?) {
        let limits = config.limits
        let id = nextConnectionID
        nextConnectionID += 1
        let connection: Connection
        do {
            connection = try Connection(fd: fd, peer: peer, id: id, connections: connections,
                                        maxLineBytes: limits.maxLineBytes, sendqLimit: limits.sendqBytes,
                                        floodPolicy: config.flood.policy(forHost: peer.host), tls: tls,
                                        handshakeTimeoutMilliseconds: UInt64(limits.tlsHandshakeTimeoutSeconds) * 1000) { [unowned self] connection in
                connectionFinished(connection)
            }
        } catch {
            logger.error("connection dropped", metadata: ["peer": "\(peer)", "reason": "cannot watch the socket: \(error)"])
            Glibc.close(fd)
            return
        }
        connectionsPerHost[peer.host, default: 0] += 1
        throttle.opened(id, host: peer.host)
        logger.info("client connected", metadata: ["client": "\(id)", "peer": "\(peer)", "protocol": "\(proto.rawValue)",
                                                   "tls": "\(tls != nil)"])
        sessions[id] = frontEnds[proto]!.makeSession(for: connection)
    }

    private func connectionFinished(_ connection: Connection) {
        let nick = sessions[connection.id]?.nick
        sessions[connection.id] = nil
        let host = connection.peer.host
        let remaining = connectionsPerHost[host, default: 1] - 1
        connectionsPerHost[host] = remaining > 0 ? remaining : nil
        throttle.closed(connection.id)
        if acceptPaused { retryAccepting(afterMilliseconds: 0) }
        var metadata: Logger.Metadata = ["client": "\(connection.id)", "peer": "\(connection.peer)"]
        if let nick { metadata["nick"] = "\(nick)" }
        metadata["reason"] = "\(connection.closeReason ?? "closed")"
        logger.info("client disconnected", metadata: metadata)
        if shuttingDown && sessions.isEmpty { loop.stop() }
    }

    // MARK: Reload and shutdown

    public var pluginCommands: ChatCommands? { plugins }

    public func clientRegistered(_ connection: Connection) {
        throttle.registered(connection.id)
    }

    public func describePlugins() -> [String] {
        plugins?.describe() ?? ["Plugins are not loaded"]
    }

    /// A time event due at once: it runs after this turn's file events, outside every handler's
    /// stack, so a reload never runs inside a plugin's own hook.
    public func scheduleReload(requestedBy: String, then report: @escaping ([String]) -> Void) {
        loop.timers.schedule(afterMilliseconds: 0) { [unowned self] in
            logger.notice("reload started", metadata: ["by": "\(requestedBy)"])
            var lines = reloadConfig()
            plugins?.config = config
            lines += plugins?.reload() ?? []
            report(lines)
        }
    }

    /// Re-reads the config file: MOTD, limits, log level and plugin settings apply at once;
    /// listener changes need a restart. A bad file changes nothing. Returns what happened.
    @discardableResult
    func reloadConfig() -> [String] {
        guard let configPath else {
            logger.notice("config reload skipped", metadata: ["reason": "running on embedded defaults (no --config)"])
            return ["config: running on embedded defaults (no --config); plugins reloaded from their files"]
        }
        var fresh: Config
        do {
            fresh = try ConfigLoader.load(path: configPath)
        } catch {
            for problem in error.problems {
                logger.error("config reload refused", metadata: ["reason": "\(problem)"])
            }
            return ["config refused, the running config stays: "] + error.problems.map { "  \($0)" }
        }
        for (proto, address) in listenerOverrides { fresh.overrideListeners(proto, with: address) }
        if let eventBackendOverride { fresh.server.eventBackend = eventBackendOverride }
        let old = config
        if !fresh.listeners.map(\.socketIdentity).elementsEqual(old.listeners.map(\.socketIdentity), by: ==) {
            logger.warning("listener changes need a restart", metadata: ["reason": "sockets stay as they are; certificate files are re-read"])
            let freshListeners = fresh.listeners
            fresh.listeners = old.listeners.map { listener in
                var kept = listener
                if listener.tls != nil, let same = freshListeners.first(where: { $0.address == listener.address && $0.tls != nil }) {
                    kept.tls = same.tls
                }
                return kept
            }
        }
        let changes = ConfigDiff.changes(from: old, to: fresh)
        if fresh.server.eventBackend != old.server.eventBackend {
            logger.warning("event backend changes need a restart", metadata: ["reason": "the loop keeps \(old.server.eventBackend.rawValue)"])
            fresh.server.eventBackend = old.server.eventBackend
        }
        config = fresh
        resolveSTSPort()
        chat.rules = fresh.nameRules
        chat.setDefaultRoom(fresh.server.defaultRoom)
        applyRoomsAndCloaking(fresh)
        passwords.limits = fresh.passwordLimits
        for frontEnd in frontEnds.values { frontEnd.configReloaded() }
        sharedLevel.value = fresh.logLevel
        connections.writeCoalescingNanoseconds = UInt64(fresh.limits.writeCoalesceMicroseconds) * 1000
        for session in sessions.values { session.applyLimits(fresh.limits) }
        throttle.settings = fresh.throttle
        if fresh.flood != old.flood {
            for session in sessions.values {
                session.connection.floodPolicy = fresh.flood.policy(forHost: session.connection.peer.host)
            }
        }
        let changed = changes.isEmpty ? "nothing" : changes.joined(separator: ",")
        logger.notice("config reloaded", metadata: ["changed": "\(changed)"])
        return ["config reloaded; changed: \(changed)"] + reloadCertificates()
    }

    /// The default room's operators and the cloak apply to those who join or register from
    /// now on; nobody's status or host changes under them.
    private func applyRoomsAndCloaking(_ config: Config) {
        chat.defaultRoomOperators = config.server.defaultRoomOperators
        let cloaking = config.cloaking
        guard cloaking.enabled else {
            chat.cloak = nil
            return
        }
        if cloaking.secret == nil {
            logger.warning("cloaking.secret is not set", metadata: ["reason":
                "a random secret was made at startup, so cloaked hosts (and bans on them) change when the server restarts; set cloaking.secret to keep them"])
        }
        chat.cloak = HostCloak(secret: cloaking.secret ?? generatedCloakSecret, suffix: cloaking.suffix)
    }

    /// Made once per process, so a reload without a secret keeps everyone's cloak as it was.
    private lazy var generatedCloakSecret: String = {
        var random = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &random), radix: 16) }.joined()
    }()

    /// Tells every client, flushes, closes, and stops the loop (or gives up after a few seconds).
    public func shutdown(reason: String) {
        guard !shuttingDown else { return }
        shuttingDown = true
        closeListeners()
        if sessions.isEmpty {
            plugins?.shutdownAll()
            loop.stop()
            return
        }
        for session in sessions.values {
            session.sendServerNotice(reason)
            session.connection.closeAfterFlush(reason: reason, timeoutMilliseconds: 3000)
        }
        plugins?.shutdownAll()
    }
}

enum StartupError: Error, CustomStringConvertible {
    case noListeners
    var description: String { "no listener is open: configure a [[listen]] or pass --plain/--irc HOST:PORT" }
}

/// Accepts on one listening socket for one protocol.
final class ListenerHandler: FileEventHandler {
    let socket: ListeningSocket
    let proto: ListenerProtocol
    /// Replaced on reload; connections already open keep the one they started with.
    var tls: TLSContext?
    private unowned let server: ParleyServer

    init(socket: ListeningSocket, proto: ListenerProtocol, tls: TLSContext?, server: ParleyServer) throws {
        self.socket = socket
        self.proto = proto
        self.tls = tls
        self.server = server
        try server.loop.addFileEvent(fd: socket.fd, events: .readable, handler: self)
    }

    func handleFileEvents(_ ready: FileEvents) {
        server.accept(from: self)
    }

    func close() {
        server.loop.removeFileEvent(fd: socket.fd)
        socket.close()
    }
}

