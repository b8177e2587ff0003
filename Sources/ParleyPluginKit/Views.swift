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

/// A message as a hook sees it. Valid only during the hook: do not keep it.
public struct Message {
    let raw: UnsafePointer<parley_message>
    let host: Host

    public var senderID: UserID { raw.pointee.sender }
    public var senderNick: String { raw.pointee.sender_nick.string }
    /// True when a plugin's bot sent it: answering bots is how echo storms start.
    public var isFromBot: Bool { raw.pointee.sender_flags & PARLEY_USER_BOT != 0 }
    public var kind: MessageKind {
        switch raw.pointee.kind {
        case PARLEY_MESSAGE_ACTION.rawValue: return .action
        case PARLEY_MESSAGE_NOTICE.rawValue: return .notice
        default: return .say
        }
    }
    /// The room, or nil for a private message.
    public var room: String? { raw.pointee.room.len == 0 ? nil : raw.pointee.room.string }
    /// For a private message: who it is for.
    public var recipientID: UserID? { raw.pointee.recipient == 0 ? nil : raw.pointee.recipient }
    public var recipientNick: String? { raw.pointee.recipient == 0 ? nil : raw.pointee.recipient_nick.string }
    /// The text after earlier hooks.
    public var text: String { raw.pointee.text.string }
    /// What the sender typed.
    public var originalText: String { raw.pointee.original_text.string }
    /// Server receive time, nanoseconds since 1970-01-01 UTC.
    public var receivedAtNanoseconds: Int64 { raw.pointee.received_at_ns }
    public var botDepth: UInt32 { raw.pointee.bot_depth }

    /// Rewrites the text (TRANSFORM only). The server refuses invalid UTF-8, line breaks
    /// and text over its line limit.
    public func setText(_ text: String) throws {
        var text = text
        try host.check(text.withParleyStr { host.api.pointee.message_set_text(host.handle, raw, $0) }, "setText refused")
    }

    /// Attaches metadata for front-ends (ANNOTATE): "time" (RFC 3339), "prefix" (plain text).
    public func annotate(_ key: String, _ value: String) throws {
        var key = key, value = value
        let status = key.withParleyStr { keyStr in
            value.withParleyStr { host.api.pointee.message_annotate(host.handle, raw, keyStr, $0) }
        }
        try host.check(status, "annotate refused")
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

/// A call of one of the plugin's commands. Valid only during the command.
public struct CommandCall {
    let raw: UnsafePointer<parley_command_call>
    let host: Host

    public var callerID: UserID { raw.pointee.caller }
    public var callerNick: String { raw.pointee.caller_nick.string }
    /// The caller's current room, if any.
    public var room: String? { raw.pointee.room.len == 0 ? nil : raw.pointee.room.string }
    public var name: String { raw.pointee.name.string }
    /// Everything after the command name.
    public var arguments: String { raw.pointee.args.string }
    public var words: [String] { arguments.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }

    /// A line to the caller only.
    public func reply(_ text: String) {
        var text = text
        _ = text.withParleyStr { host.api.pointee.reply(host.handle, raw, $0) }
    }
}
