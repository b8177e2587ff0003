import Logging

/// What every protocol session shares: the loop, the chat core, the live config and the log.
public final class ServerContext {
    public let loop: EventLoop
    public let chat: ChatServer
    public internal(set) var config: Config {
        didSet { cachedIRCTemplates = nil }
    }
    public let logger: Logger
    /// Nil until plugins are loaded (and in tests that run without them).
    public internal(set) var plugins: PluginHost?
    weak var operations: ServerOperations?
    public let startedAt = wallClockSeconds()
    /// Connections open now, registered or not (LUSERS).
    var connectionCount = 0
    private var cachedIRCTemplates: IRCReplyTemplates?

    /// The IRC numerics that only change with the config, built on first use after each reload.
    var ircTemplates: IRCReplyTemplates {
        if let cachedIRCTemplates { return cachedIRCTemplates }
        let fresh = IRCReplyTemplates(config: config, startedAt: startedAt)
        cachedIRCTemplates = fresh
        return fresh
    }

    init(loop: EventLoop, chat: ChatServer, config: Config, logger: Logger) {
        self.loop = loop
        self.chat = chat
        self.config = config
        self.logger = logger
    }
}

/// What operators can ask of the running server.
protocol ServerOperations: AnyObject {
    /// Reloads config and plugins at the top of the next loop turn, then reports what happened.
    func scheduleReload(requestedBy: String, then report: @escaping ([String]) -> Void)
}

/// A protocol session bound to one connection, as the server manages it.
protocol ClientSession: ConnectionDelegate {
    var connection: Connection { get }
    /// The client's nickname once it has one (kept after it quits, for the log).
    var nick: String? { get }
    /// Sends a last notice (shutdown, for example) before the connection is closed.
    func sendServerNotice(_ text: String)
    func applyLimits(_ limits: Config.Limits)
}
