/// The core's view of a client (or, later, a plugin's bot): who it is and where it sits.
/// It knows nothing of sockets: output goes through its `client`.
public final class ChatUser {
    public let id: UInt64
    public internal(set) var nick: String
    public internal(set) var foldedNick: String
    public let username: String
    public let host: String
    public let realName: String
    public let connectedAt: Double
    public internal(set) var rooms: [Room] = []
    public weak var client: ChatClient?
    /// A plugin's bot: no connection, and other bots never answer it.
    public internal(set) var isBot = false

    init(id: UInt64, nick: String, username: String, host: String, realName: String, client: ChatClient) {
        self.id = id
        self.nick = nick
        self.foldedNick = Casemapping.fold(nick)
        self.username = username
        self.host = host
        self.realName = realName
        self.connectedAt = wallClockSeconds()
        self.client = client
    }

    public func isIn(_ room: Room) -> Bool {
        rooms.contains { $0 === room }
    }
}
