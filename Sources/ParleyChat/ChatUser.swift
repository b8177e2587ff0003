/// The core's view of a client or a plugin's bot: who it is and where it sits.
/// It knows nothing of sockets: output goes through its `client`.
public final class ChatUser {
    public let id: UInt64
    /// Held-back messages show their sender's nick when written: a change passes the barrier.
    public internal(set) var nick: String {
        willSet { heldBack.deliver() }
    }
    private unowned let heldBack: HeldBackRoomMessages
    public internal(set) var foldedNick: String
    public let username: String
    /// The host everyone sees: the cloak of the address when cloaking is on (see `HostCloak`).
    public let host: String
    /// The address the client connected from, for the user themself and server operators.
    public let realHost: String
    public let realName: String
    public let connectedAt: Double
    public internal(set) var rooms: [Room] = []
    /// Strong for speed on the fan-out path; `ChatServer.quit` clears it, which breaks the
    /// session -> user -> session cycle when the connection goes.
    public internal(set) var client: ChatClient?
    /// A plugin's bot: no connection, and other bots never answer it.
    public internal(set) var isBot = false
    /// The away message, or nil when present.
    public internal(set) var away: String?
    /// User mode +i: hidden from WHO and NAMES of rooms one does not share.
    public internal(set) var isInvisible = false
    /// A server operator (user mode +o), after OPER or /oper.
    public internal(set) var isServerOperator = false
    /// Connected through a TLS listener.
    public var isSecure = false
    /// The SHA-256 of the TLS client certificate (64 lowercase hex digits): WHOIS shows it to
    /// the user and to operators, and `[[operator]] certfp` and SASL EXTERNAL match it.
    public var certificateFingerprint: String?
    /// The last time the user sent something, for WHOIS idle.
    public var lastActive: Double

    public var hostmask: String { "\(nick)!\(username)@\(host)" }
    public var realHostmask: String { "\(nick)!\(username)@\(realHost)" }

    /// Whether `viewer` may learn what identifies this user behind their nick and cloak (the
    /// real address, the TLS client certificate's fingerprint): themself and server operators.
    public func revealsIdentity(to viewer: ChatUser) -> Bool {
        viewer === self || viewer.isServerOperator
    }

    /// Whether one of `masks` (bans, configured operators) matches the host others see or the
    /// real one.
    public func matchesAny<Masks: Sequence<String>>(_ masks: Masks) -> Bool {
        let shown = hostmask
        let real = realHost == host ? nil : realHostmask
        return masks.contains { mask in
            Mask.matches(mask, shown) || (real.map { Mask.matches(mask, $0) } ?? false)
        }
    }

    init(id: UInt64, nick: String, username: String, host: String, realHost: String, realName: String,
         client: ChatClient, heldBack: HeldBackRoomMessages) {
        self.heldBack = heldBack
        self.id = id
        self.nick = nick
        self.foldedNick = Casemapping.fold(nick)
        self.username = username
        self.host = host
        self.realHost = realHost
        self.realName = realName
        self.connectedAt = wallClockSeconds()
        self.lastActive = connectedAt
        self.client = client
    }

    public func isIn(_ room: Room) -> Bool {
        rooms.contains { $0 === room }
    }
}

/// Someone who left, for WHOWAS.
public struct WhowasEntry: Sendable {
    public let nick: String
    public let username: String
    /// The host everyone sees: the cloak of the address when cloaking is on (see `HostCloak`).
    public let host: String
    /// The address the client connected from, for the user themself and server operators.
    public let realHost: String
    public let realName: String
    public let leftAt: Double
}
