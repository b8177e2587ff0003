import ParleyFrontEnd
import ParleyTransport

/// The plain-text protocol: one line in, one line out, for nc and telnet.
public final class PlainFrontEnd: FrontEnd {
    unowned let services: SessionServices

    public init(services: SessionServices) {
        self.services = services
    }

    public var commandNames: [String] { PlainSession.commands.map(\.name) }

    public func makeSession(for connection: Connection) -> ClientSession {
        PlainSession(connection: connection, services: services)
    }

    public func refusalLine(reason: String, peer: PeerAddress) -> String {
        "error: \(reason)"
    }

    public func configReloaded() {}
}
