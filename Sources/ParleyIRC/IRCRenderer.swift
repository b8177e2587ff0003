import Glibc
import ParleyChat

/// How IRC clients see core events, for one combination of the caps that change the bytes
/// (server-time, message-tags, away-notify). Sources are nick!user@host.
struct IRCRenderer {
    let caps: Set<IRCCapability>
    let serverName: String
    /// Only for events addressed to one client (server notices).
    let recipientNick: String

    func render(_ event: ChatEvent) -> [String]? {
        switch event {
        case .message(let message):
            return renderMessage(message)
        case .joined(let user, let room):
            return [line(source: user.hostmask, "JOIN", [room.name])]
        case .parted(let user, let room, let reason):
            return [line(source: user.hostmask, "PART", [room.name] + (reason.map { [$0] } ?? []))]
        case .quit(let user, let reason):
            return [line(source: user.hostmask, "QUIT", [reason])]
        case .nickChanged(let user, let oldNick):
            return [line(source: "\(oldNick)!\(user.username)@\(user.host)", "NICK", [user.nick])]
        case .topicChanged(let room, let user):
            return [line(source: user.hostmask, "TOPIC", [room.name, room.topic?.text ?? ""])]
        case .kicked(let room, let target, let user, let reason):
            return [line(source: user.hostmask, "KICK", [room.name, target.nick, reason])]
        case .roomModeChanged(let room, let user, let modes, let params):
            return [line(source: user?.hostmask ?? serverName, "MODE", [room.name, modes] + params)]
        case .awayChanged(let user):
            guard caps.contains(.awayNotify) else { return nil }
            return [line(source: user.hostmask, "AWAY", user.away.map { [$0] } ?? [])]
        case .invited(let room, let target, let user):
            return [line(source: user.hostmask, "INVITE", [target.nick, room.name])]
        case .wallops(let user, let text):
            return [line(source: user.hostmask, "WALLOPS", [text])]
        case .serverNotice(let text):
            return [line(source: serverName, "NOTICE", [recipientNick, text])]
        }
    }

    private func renderMessage(_ message: ChatMessage) -> [String] {
        let target: String
        switch message.target {
        case .room(let room): target = room.name
        case .user(let user): target = user.nick
        }
        let command = message.kind == .notice ? "NOTICE" : "PRIVMSG"
        var tags: [(key: String, value: String)] = []
        if caps.contains(.serverTime) {
            tags.append(("time", message.annotation("time") ?? IRCTime.format(message.receivedAt)))
        }
        if caps.contains(.messageTags) { tags += message.clientTags }
        let source = message.sender.hostmask
        // Keep every line within 512 bytes: long text (a plain client may send more) is split.
        let overhead = source.utf8.count + command.utf8.count + target.utf8.count + 6 + (message.kind == .action ? 9 : 0)
        return IRCText.split(message.text, maxBytes: max(64, IRCMessage.maxBodyBytes - overhead)).map { piece in
            let text = message.kind == .action ? "\u{1}ACTION \(piece)\u{1}" : piece
            return IRCMessage(tags: tags, source: source, command: command, params: [target, text], forceTrailing: true).serialized
        }
    }

    /// Where free text sits in each command; that parameter gets the ':' form, as servers write it.
    private static let textPosition: [String: Int] = ["PART": 1, "QUIT": 0, "TOPIC": 1, "KICK": 2, "AWAY": 0, "NOTICE": 1, "WALLOPS": 0]

    private func line(source: String, _ command: String, _ params: [String]) -> String {
        let tags: [(key: String, value: String)] = caps.contains(.serverTime) ? [("time", IRCTime.format(wallClockSeconds()))] : []
        return IRCMessage(tags: tags, source: source, command: command, params: params,
                          forceTrailing: Self.textPosition[command] == params.count - 1).serialized
    }
}

enum IRCTime {
    /// RFC 3339 UTC with milliseconds, as the IRCv3 server-time tag wants.
    static func format(_ seconds: Double) -> String {
        let millis = Int((seconds - seconds.rounded(.down)) * 1000) % 1000
        return formatUTC(seconds, "%Y-%m-%dT%H:%M:%S") + "." + String(repeating: "0", count: 3 - String(millis).count) + "\(millis)Z"
    }
}

enum IRCText {
    /// Splits text into pieces of at most `maxBytes` UTF-8 bytes, on character boundaries.
    static func split(_ text: String, maxBytes: Int) -> [String] {
        guard text.utf8.count > maxBytes else { return [text] }
        var pieces: [String] = []
        var current = ""
        var size = 0
        for character in text {
            let length = character.utf8.count
            if size + length > maxBytes && !current.isEmpty {
                pieces.append(current)
                current = ""
                size = 0
            }
            current.append(character)
            size += length
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
