import Glibc
import ParleyBytes

/// Formats a wall-clock time in UTC with strftime(3).
public func formatUTC(_ seconds: Double, _ format: String) -> String {
    var whole = time_t(seconds)
    var parts = tm()
    gmtime_r(&whole, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    strftime(&buffer, buffer.count, format, &parts)
    return String(cChars: buffer)
}

public func wallClockSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

public enum MessageKind: Sendable {
    case say
    case action
    case notice
}

public enum MessageTarget {
    case room(Room)
    case user(ChatUser)
}

/// A message on its way through the core: the text may be rewritten by the plugin chain,
/// `originalText` keeps what the sender typed.
public struct ChatMessage {
    public let sender: ChatUser
    public let target: MessageTarget
    public let kind: MessageKind
    public let originalText: String
    public var text: String
    /// Wall-clock receive time, seconds since the epoch.
    public let receivedAt: Double
    /// Metadata from ANNOTATE plugins, for front-ends: "time" (RFC 3339), "prefix" (plain text).
    public var annotations: [(key: String, value: String)] = []
    /// 0 for people; for a bot's message, one more than the message that triggered it.
    public var botDepth: UInt32 = 0
    /// IRCv3 client-only tags (`+name`) sent with the message, relayed to clients that
    /// negotiated message-tags.
    public var clientTags: [(key: String, value: String)] = []
    /// The sender gets its own room message back too, in line with everyone else's
    /// (IRCv3 echo-message).
    public var echoToSender = false

    public func annotation(_ key: String) -> String? {
        annotations.first { $0.key == key }?.value
    }

    public init(sender: ChatUser, target: MessageTarget, kind: MessageKind, text: String,
                receivedAt: Double = wallClockSeconds()) {
        self.sender = sender
        self.target = target
        self.kind = kind
        self.originalText = text
        self.text = text
        self.receivedAt = receivedAt
    }
}

/// What the core tells clients about. Front-ends render each into their own wire format.
public enum ChatEvent {
    case message(ChatMessage)
    case joined(ChatUser, Room)
    case parted(ChatUser, Room, reason: String?)
    case quit(ChatUser, reason: String)
    case nickChanged(ChatUser, oldNick: String)
    case topicChanged(Room, by: ChatUser)
    case kicked(Room, target: ChatUser, by: ChatUser, reason: String)
    /// Applied changes, as one MODE line: "+ov-b", ["alice", "bob", "*!*@bad"].
    /// `by` is nil when the server itself set the modes (a default-room operator from the config).
    case roomModeChanged(Room, by: ChatUser?, modes: String, params: [String])
    case awayChanged(ChatUser)
    case invited(Room, target: ChatUser, by: ChatUser)
    case wallops(from: ChatUser, String)
    case serverNotice(String)
}

/// The plugin chain as the core sees it: every message passes `filter` before delivery and
/// `observe` after. The core knows nothing else of plugins.
public protocol MessageChain: AnyObject {
    func filter(_ message: inout ChatMessage) -> ChainOutcome
    func observe(_ message: ChatMessage)
}

public enum ChainOutcome: Equatable {
    case deliver
    case drop
    case reject(String)
}

/// Told of membership changes after they are announced (plugins' event hooks).
public protocol ChatListener: AnyObject {
    func userJoined(_ user: ChatUser, _ room: Room)
    func userParted(_ user: ChatUser, _ room: Room, reason: String?)
    func userQuit(_ user: ChatUser, reason: String)
    func userChangedNick(_ user: ChatUser, oldNick: String)
}

/// A front-end's session, as the core sees it.
public protocol ChatClient: AnyObject {
    /// Clients that return the same key for an event get the very same bytes: the event is
    /// rendered once per distinct key, not once per recipient.
    func renderKey(for event: ChatEvent) -> Int
    /// The bytes for the event, or nil when this client shows nothing for it.
    func render(_ event: ChatEvent) -> OutBytes?
    /// Queues `range` of shared bytes (one rendering, shared by every recipient with the same key).
    func send(_ bytes: OutBytes, _ range: Range<Int>)
    /// Ends the client's connection (KILL), after telling it why.
    func disconnect(reason: String)
    /// The user is no longer in `room` (a part or a kick, wherever it came from), after
    /// everyone was told.
    func left(_ room: Room)
}

extension ChatClient {
    public func left(_ room: Room) {}
}

/// Commands that plugins add, as front-ends see them.
public protocol ChatCommands: AnyObject {
    /// Runs the command for `caller`; false when no plugin has it.
    func runCommand(_ name: String, arguments: String, caller: ChatUser, room: Room?) -> Bool
    var commandHelp: [CommandHelp] { get }
}

public struct CommandHelp: Sendable {
    public let usage: String
    public let help: String

    public init(usage: String, help: String) {
        self.usage = usage
        self.help = help
    }
}
