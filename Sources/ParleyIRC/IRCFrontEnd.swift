import ParleyFrontEnd
import ParleyTransport

/// IRC (RFC 1459/2812 and IRCv3) for irssi, WeeChat, HexChat and web clients.
public final class IRCFrontEnd: FrontEnd {
    unowned let services: SessionServices
    private var cachedTemplates: IRCReplyTemplates?

    public init(services: SessionServices) {
        self.services = services
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
    }
}

let parleyVersion = "parley-0.3"
