import CParleyPlugin

extension parley_str {
    /// Copies the borrowed bytes into a Swift string (invalid UTF-8 repaired).
    var string: String {
        guard let ptr, len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
    }
}

extension String {
    mutating func withParleyStr<T>(_ body: (parley_str) -> T) -> T {
        withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { body(parley_str(ptr: $0.baseAddress, len: $0.count)) }
        }
    }
}

/// A message as a hook sees it, borrowed from the server: readable during that hook only, on
/// the loop thread. Copy what you keep (`let text = try message.text`): a `Message` kept
/// for later throws `HostError.expired` on every use, and the log names the misuse.
public struct Message {
    let raw: UnsafePointer<parley_message>
    let host: Host
    let call: UInt64

    /// The server's message, once the hook that got this view is known to be running.
    private func fields(_ member: StaticString) throws(HostError) -> UnsafePointer<parley_message> {
        try host.checkLive(call, view: "Message", member: member, returned: "after its hook returned")
        return raw
    }

    public var senderID: UserID { get throws(HostError) { try fields("senderID").pointee.sender } }
    public var senderNick: String { get throws(HostError) { try fields("senderNick").pointee.sender_nick.string } }
    /// True when a plugin's bot sent it: answering bots is how echo storms start.
    public var isFromBot: Bool { get throws(HostError) { try fields("isFromBot").pointee.sender_flags & PARLEY_USER_BOT != 0 } }
    public var kind: MessageKind {
        get throws(HostError) {
            switch try fields("kind").pointee.kind {
            case PARLEY_MESSAGE_ACTION.rawValue: return .action
            case PARLEY_MESSAGE_NOTICE.rawValue: return .notice
            default: return .say
            }
        }
    }
    /// The room, or nil for a private message.
    public var room: String? {
        get throws(HostError) {
            let room = try fields("room").pointee.room
            return room.len == 0 ? nil : room.string
        }
    }
    /// For a private message: who it is for.
    public var recipientID: UserID? {
        get throws(HostError) {
            let recipient = try fields("recipientID").pointee.recipient
            return recipient == 0 ? nil : recipient
        }
    }
    public var recipientNick: String? {
        get throws(HostError) {
            let fields = try fields("recipientNick")
            return fields.pointee.recipient == 0 ? nil : fields.pointee.recipient_nick.string
        }
    }
    /// The text after earlier hooks.
    public var text: String { get throws(HostError) { try fields("text").pointee.text.string } }
    /// What the sender typed.
    public var originalText: String { get throws(HostError) { try fields("originalText").pointee.original_text.string } }
    /// Server receive time, nanoseconds since 1970-01-01 UTC.
    public var receivedAtNanoseconds: Int64 { get throws(HostError) { try fields("receivedAtNanoseconds").pointee.received_at_ns } }
    public var botDepth: UInt32 { get throws(HostError) { try fields("botDepth").pointee.bot_depth } }

    /// Rewrites the text (TRANSFORM only). Throws `HostError.refused` with the server's reason
    /// for invalid UTF-8, a line break or NUL, or text over its line limit.
    public func setText(_ text: String) throws(HostError) {
        let raw = try fields("setText")
        var text = text
        try host.check(text.withParleyStr { host.api.pointee.message_set_text(host.handle, raw, $0) }, "setText")
    }

    /// Attaches metadata for front-ends (ANNOTATE): "time" (RFC 3339), "prefix" (plain text).
    public func annotate(_ key: String, _ value: String) throws(HostError) {
        let raw = try fields("annotate")
        var key = key, value = value
        let status = key.withParleyStr { keyStr in
            value.withParleyStr { host.api.pointee.message_annotate(host.handle, raw, keyStr, $0) }
        }
        try host.check(status, "annotate \(key)")
    }
}

public struct Event {
    public enum Kind: Sendable {
        case connect, disconnect, join, part, nick

        var abi: parley_event_kind {
            switch self {
            case .connect: return PARLEY_EVENT_CONNECT
            case .disconnect: return PARLEY_EVENT_DISCONNECT
            case .join: return PARLEY_EVENT_JOIN
            case .part: return PARLEY_EVENT_PART
            case .nick: return PARLEY_EVENT_NICK
            }
        }
    }

    public let kind: Kind
    public let user: UserID
    public let nick: String
    public let oldNick: String
    public let room: String
    public let reason: String
    public let peerHost: String
    public let isBot: Bool

    init(raw: parley_event) {
        switch raw.kind {
        case PARLEY_EVENT_CONNECT.rawValue: kind = .connect
        case PARLEY_EVENT_DISCONNECT.rawValue: kind = .disconnect
        case PARLEY_EVENT_JOIN.rawValue: kind = .join
        case PARLEY_EVENT_PART.rawValue: kind = .part
        default: kind = .nick
        }
        user = raw.user
        nick = raw.nick.string
        oldNick = raw.old_nick.string
        room = raw.room.string
        reason = raw.reason.string
        peerHost = raw.peer_host.string
        isBot = raw.user_flags & PARLEY_USER_BOT != 0
    }
}

/// A call of one of the plugin's commands, borrowed from the server: usable during that
/// command only, on the loop thread. Kept for later, every use throws `HostError.expired`
/// (and the log names the misuse), so a late `reply` can never reach someone else.
public struct CommandCall {
    let raw: UnsafePointer<parley_command_call>
    let host: Host
    let call: UInt64

    private func fields(_ member: StaticString) throws(HostError) -> UnsafePointer<parley_command_call> {
        try host.checkLive(call, view: "CommandCall", member: member, returned: "after its command returned")
        return raw
    }

    public var callerID: UserID { get throws(HostError) { try fields("callerID").pointee.caller } }
    public var callerNick: String { get throws(HostError) { try fields("callerNick").pointee.caller_nick.string } }
    /// The caller's current room, if any.
    public var room: String? {
        get throws(HostError) {
            let room = try fields("room").pointee.room
            return room.len == 0 ? nil : room.string
        }
    }
    public var name: String { get throws(HostError) { try fields("name").pointee.name.string } }
    /// Everything after the command name.
    public var arguments: String { get throws(HostError) { try fields("arguments").pointee.args.string } }
    public var words: [String] {
        get throws(HostError) { try arguments.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
    }

    /// A line to the caller only. Throws `HostError.refused` when the server refuses the text
    /// (a line break or NUL, or over its line limit: nothing is sent, and its log says why,
    /// naming the plugin).
    public func reply(_ text: String) throws(HostError) {
        let raw = try fields("reply")
        var text = text
        try host.check(text.withParleyStr { host.api.pointee.reply(host.handle, raw, $0) }, "reply")
    }
}
