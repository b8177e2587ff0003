import ParleyFrontEnd
import ParleyTransport

/// IRC (RFC 1459/2812 and IRCv3) for irssi, WeeChat, HexChat and web clients.
public final class IRCFrontEnd: FrontEnd {
    unowned let services: SessionServices
    private var cachedTemplates: IRCReplyTemplates?
    /// Every rendering and numeric names the server: read from here, not through
    /// `services.config`, which copies the whole config on each access.
    private(set) var serverName: String

    public init(services: SessionServices) {
        self.services = services
        serverName = services.config.server.name
    }

    /// The numerics that only change with the config, built on first use after each reload.
    var templates: IRCReplyTemplates {
        if let cachedTemplates { return cachedTemplates }
        let fresh = IRCReplyTemplates(config: services.config, startedAt: services.startedAt)
        cachedTemplates = fresh
        return fresh
    }

    public var commandNames: [String] { IRCCommandTable.names }

    public func makeSession(for connection: Connection) -> ClientSession {
        IRCSession(connection: connection, frontEnd: self)
    }

    public func refusalLine(reason: String, peer: PeerAddress) -> String {
        "ERROR :Closing Link: \(peer.host) (\(reason))"
    }

    public func configReloaded() {
        cachedTemplates = nil
        serverName = services.config.server.name
    }
}

let parleyVersion = "parley-0.3"
