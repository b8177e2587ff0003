import Logging
import ParleyChat
import ParleyConfig
import ParleyLoop
import ParleyTransport

/// The running server as a front-end's sessions see it: the loop, the chat core, the live
/// config, the log and the few server operations a session may ask for.
public protocol SessionServices: AnyObject {
    var loop: EventLoop { get }
    var chat: ChatServer { get }
    var config: Config { get }
    var logger: Logger { get }
    /// Wall-clock start time (INFO, 003).
    var startedAt: Double { get }
    /// Connections open now, registered or not (LUSERS).
    var connectionCount: Int { get }
    /// Where password checks run, off the loop thread.
    var passwords: PasswordChecker { get }
    /// Commands that plugins added; nil while no plugin host runs.
    var pluginCommands: ChatCommands? { get }
    /// The plugin chain with its timings, for operators.
    func describePlugins() -> [String]
    /// Reloads config and plugins outside every handler's stack, then reports what happened.
    func scheduleReload(requestedBy: String, then report: @escaping ([String]) -> Void)
    /// The connection's client has registered: it no longer counts as unregistered for its address.
    func clientRegistered(_ connection: Connection)
}

/// A protocol session bound to one connection, as the server manages it.
public protocol ClientSession: ConnectionDelegate {
    var connection: Connection { get }
    /// The client's nickname once it has one (kept after it quits, for the log).
    var nick: String? { get }
    /// Sends a last notice (shutdown, for example) before the connection is closed.
    func sendServerNotice(_ text: String)
    func applyLimits(_ limits: Config.Limits)
}

/// One wire protocol: it makes a session for each connection on its listeners.
public protocol FrontEnd: AnyObject {
    /// Commands the front-end handles itself: no plugin may register these names.
    var commandNames: [String] { get }
    func makeSession(for connection: Connection) -> ClientSession
    /// The one line a refused connection gets before it is closed (no session exists yet).
    func refusalLine(reason: String, peer: PeerAddress) -> String
    /// The config was reloaded: drop whatever was built from the old one.
    func configReloaded()
}

extension SessionServices {
    /// OPER for both front-ends: checks the name and password (and the client certificate,
    /// where the entry names one) against `[[operator]]` off the loop thread (an unknown name
    /// costs as much as a wrong password), paced per address by `PasswordChecker`, logs the
    /// attempt, and on success makes `user` a server operator, exempt from fakelag from then
    /// on. `done` runs on the loop thread.
    public func operatorLogin(_ user: ChatUser, name: String, password: String, connection: Connection,
                              then done: @escaping (PasswordVerdict) -> Void) {
        let entry = config.operators.first { $0.name == name }
        let client = connection.id
        let certificateMatches = entry?.certificateFingerprint.map { $0 == user.certificateFingerprint } ?? true
        // A certificate-only entry has no password to check: the certificate is the credential.
        if let entry, entry.passwordHash == nil, certificateMatches {
            return grantOperator(user, entry: entry, connection: connection, then: done)
        }
        // A certificate that does not match is checked against the decoy: it costs the same.
        passwords.check(password, against: certificateMatches ? entry?.passwordHash : nil, from: user.realHost) { [self] verdict in
            if case .coolingDown = verdict { return done(verdict) }
            guard verdict == .matched, let entry, chat.users[user.id] === user else {
                logger.warning("operator login failed", metadata: ["client": "\(client)", "nick": "\(user.nick)", "operator": "\(name)"])
                return done(.wrong)
            }
            grantOperator(user, entry: entry, connection: connection, then: done)
        }
    }

    private func grantOperator(_ user: ChatUser, entry: Config.Operator, connection: Connection, then done: (PasswordVerdict) -> Void) {
        chat.setServerOperator(user, true)
        connection.isFakelagExempt = true
        logger.notice("operator login", metadata: ["client": "\(connection.id)", "nick": "\(user.nick)", "operator": "\(entry.name)"])
        done(.matched)
    }
}

extension PasswordVerdict {
    /// What a refused attempt is told, the same on both protocols.
    public static func coolingDownText(_ seconds: Int) -> String {
        "too many failed password attempts from your address; try again in \(seconds) \(seconds == 1 ? "second" : "seconds")"
    }
}
