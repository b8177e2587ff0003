import CParleySys
import Glibc
import Logging

/// The running server: listeners, connections, limits, signals, reload and shutdown,
/// all on one poll() loop.
public final class ParleyServer: ServerOperations {
    public let loop = EventLoop()
    public let context: ServerContext
    private let configPath: String?
    private let pluginDirectory: String
    private let listenerOverrides: [(ListenerProtocol, ListenAddress)]
    private var listeners: [ListenerHandler] = []
    private var sessions: [UInt64: ClientSession] = [:]
    private var connectionsPerHost: [String: Int] = [:]
    private var nextConnectionID: UInt64 = 1
    private let buffers = LoopBuffers()
    private var signalPipe: SignalPipe?
    private let sharedLevel: SharedLogLevel
    private var shuttingDown = false
    private var logger: Logger { context.logger }

    /// - Parameters:
    ///   - configPath: the file SIGHUP re-reads; nil when running on embedded defaults.
    ///   - listenerOverrides: `--plain`/`--irc`, re-applied on every reload.
    public init(config: Config, configPath: String?, pluginDirectory: String,
                listenerOverrides: [(ListenerProtocol, ListenAddress)], logger: Logger, logLevel: SharedLogLevel) {
        var config = config
        for (proto, address) in listenerOverrides { config.overrideListeners(proto, with: address) }
        let chat = ChatServer(rules: config.nameRules, defaultRoomName: config.server.defaultRoom)
        self.context = ServerContext(loop: loop, chat: chat, config: config, logger: logger)
        self.configPath = configPath
        self.pluginDirectory = pluginDirectory
        self.listenerOverrides = listenerOverrides
        self.sharedLevel = logLevel
        logLevel.value = config.logLevel
        context.operations = self
        loop.writeCoalescingNanoseconds = UInt64(config.limits.writeCoalesceMicroseconds) * 1000
        chat.onRoomMessagesPending = { [unowned loop, unowned chat] in
            loop.atEndOfTurn { chat.deliverPendingRoomMessages() }
        }
        loop.beforeDirectOutput = { [unowned chat] in chat.deliverPendingRoomMessages() }
    }

    public var connectionCount: Int { sessions.count }

    /// Loads plugins, opens every listener and installs signal handling. Throws when a
    /// required plugin fails or a listener cannot bind.
    public func start() throws {
        parley_ignore_sigpipe()
        let plugins = try PluginHost(context: context, directory: pluginDirectory)
        context.plugins = plugins
        context.chat.chain = plugins
        context.chat.listener = plugins
        logger.info("plugin folder", metadata: ["path": "\(pluginDirectory)"])
        do {
            try plugins.loadConfigured()
        } catch {
            plugins.removeCopyFolder()
            throw error
        }
        for listener in context.config.listeners {
            let socket = try ListeningSocket.open(listener.address)
            listeners.append(ListenerHandler(socket: socket, proto: listener.proto, server: self))
            logger.notice("listening", metadata: ["protocol": "\(listener.proto.rawValue)",
                                                  "address": "\(socket.boundAddress)"])
        }
        guard !listeners.isEmpty else { throw StartupError.noListeners }
        signalPipe = try SignalPipe(loop: loop, signals: [SIGINT, SIGTERM, SIGHUP]) { [unowned self] signal in
            handleSignal(signal)
        }
    }

    public func run() throws {
        logger.notice("server started", metadata: ["name": "\(context.config.server.name)"])
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
                logger.error("accept failed", metadata: ["reason": "\(error)"])
                return
            }
            guard let (fd, peer) = accepted else { return }
            if let refusal = refusalReason(for: peer) ?? context.plugins?.admitConnection(from: peer.host) {
                logger.notice("connection refused", metadata: ["peer": "\(peer)", "reason": "\(refusal)"])
                refuse(fd: fd, line: listener.proto == .irc ? "ERROR :Closing Link: \(peer.host) (\(refusal))" : "error: \(refusal)")
                continue
            }
            open(fd: fd, peer: peer, proto: listener.proto)
        }
    }

    private func refusalReason(for peer: PeerAddress) -> String? {
        let limits = context.config.limits
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
    private func refuse(fd: Int32, line: String) {
        var text = line
        text.append("\r\n")
        _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        Glibc.close(fd)
    }

    private func open(fd: Int32, peer: PeerAddress, proto: ListenerProtocol) {
        let limits = context.config.limits
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = Connection(
            fd: fd, peer: peer, id: id, loop: loop, buffers: buffers,
            maxLineBytes: limits.maxLineBytes, sendqLimit: limits.sendqBytes
        ) { [unowned self] connection in
            connectionFinished(connection)
        }
        connectionsPerHost[peer.host, default: 0] += 1
        logger.info("client connected", metadata: ["client": "\(id)", "peer": "\(peer)", "protocol": "\(proto.rawValue)"])
        switch proto {
        case .plain: sessions[id] = PlainSession(connection: connection, context: context)
        case .irc: sessions[id] = IRCSession(connection: connection, context: context)
        }
        context.connectionCount = sessions.count
    }

    private func connectionFinished(_ connection: Connection) {
        let nick = sessions[connection.id]?.nick
        sessions[connection.id] = nil
        context.connectionCount = sessions.count
        let host = connection.peer.host
        let remaining = connectionsPerHost[host, default: 1] - 1
        connectionsPerHost[host] = remaining > 0 ? remaining : nil
        var metadata: Logger.Metadata = ["client": "\(connection.id)", "peer": "\(connection.peer)"]
        if let nick { metadata["nick"] = "\(nick)" }
        metadata["reason"] = "\(connection.closeReason ?? "closed")"
        logger.info("client disconnected", metadata: metadata)
        if shuttingDown && sessions.isEmpty { loop.stop() }
    }

    // MARK: Reload and shutdown

    /// Deferred to the top of the loop, so a reload never runs inside a plugin's own hook.
    func scheduleReload(requestedBy: String, then report: @escaping ([String]) -> Void) {
        loop.deferToNextTurn { [self] in
            logger.notice("reload started", metadata: ["by": "\(requestedBy)"])
            var lines = reloadConfig()
            lines += context.plugins?.reload() ?? []
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
        let old = context.config
        if fresh.listeners != old.listeners {
            logger.warning("listener changes need a restart", metadata: ["reason": "sockets stay as they are"])
            fresh.listeners = old.listeners
        }
        let changes = ConfigDiff.changes(from: old, to: fresh)
        context.config = fresh
        context.chat.rules = fresh.nameRules
        context.chat.setDefaultRoom(fresh.server.defaultRoom)
        sharedLevel.value = fresh.logLevel
        loop.writeCoalescingNanoseconds = UInt64(fresh.limits.writeCoalesceMicroseconds) * 1000
        for session in sessions.values { session.applyLimits(fresh.limits) }
        let changed = changes.isEmpty ? "nothing" : changes.joined(separator: ",")
        logger.notice("config reloaded", metadata: ["changed": "\(changed)"])
        return ["config reloaded; changed: \(changed)"]
    }

    /// Tells every client, flushes, closes, and stops the loop (or gives up after a few seconds).
    public func shutdown(reason: String) {
        guard !shuttingDown else { return }
        shuttingDown = true
        for listener in listeners { listener.close() }
        listeners = []
        if sessions.isEmpty {
            context.plugins?.shutdownAll()
            loop.stop()
            return
        }
        for session in sessions.values {
            session.sendServerNotice(reason)
            session.connection.closeAfterFlush(reason: reason, timeoutMilliseconds: 3000)
        }
        context.plugins?.shutdownAll()
    }
}

enum StartupError: Error, CustomStringConvertible {
    case noListeners
    var description: String { "no listener is open: configure a [[listen]] or pass --plain/--irc HOST:PORT" }
}

/// Accepts on one listening socket for one protocol.
final class ListenerHandler: IOHandler {
    let socket: ListeningSocket
    let proto: ListenerProtocol
    private unowned let server: ParleyServer

    init(socket: ListeningSocket, proto: ListenerProtocol, server: ParleyServer) {
        self.socket = socket
        self.proto = proto
        self.server = server
        server.loop.register(fd: socket.fd, events: Int16(POLLIN), handler: self)
    }

    func handleIO(revents: Int16) {
        server.accept(from: self)
    }

    func close() {
        server.loop.unregister(fd: socket.fd)
        socket.close()
    }
}
