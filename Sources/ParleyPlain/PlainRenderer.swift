import ParleyChat

/// How the plain protocol shows core events: one human-readable line each.
///
///     <nick> text                 a message in your current room
///     [#room] <nick> text         a message in another room you are in
///     * nick waves                an action (/me)
///     -nick- text                 a notice
///     *nick* text                 a private message to you
///     -!- alice joined #lobby     joins, parts, quits, nick and topic changes, server notices
enum PlainRenderer {
    static func render(_ event: ChatEvent, inFocus: Bool) -> String? {
        switch event {
        case .message(let message):
            return renderMessage(message, inFocus: inFocus)
        case .joined(let user, let room):
            return "-!- \(user.nick) joined \(room.name)"
        case .parted(let user, let room, let reason):
            return "-!- \(user.nick) left \(room.name)" + reasonSuffix(reason)
        case .quit(let user, let reason):
            return "-!- \(user.nick) quit" + reasonSuffix(reason)
        case .nickChanged(let user, let oldNick):
            return "-!- \(oldNick) is now known as \(user.nick)"
        case .topicChanged(let room, let user):
            guard let topic = room.topic else { return "-!- \(user.nick) cleared the topic of \(room.name)" }
            return "-!- \(user.nick) set the topic of \(room.name) to: \(PlainText.sanitize(topic.text))"
        case .kicked(let room, let target, let user, let reason):
            return "-!- \(target.nick) was kicked from \(room.name) by \(user.nick)" + reasonSuffix(reason)
        case .roomModeChanged(let room, let user, let modes, let params):
            return "-!- \(user?.nick ?? "the server") set mode \(([modes] + params).joined(separator: " ")) on \(room.name)"
        case .awayChanged:
            return nil
        case .invited(let room, _, let user):
            return "-!- \(user.nick) invites you to \(room.name) (/join \(room.name))"
        case .serverNotice(let text):
            return "-!- \(PlainText.sanitize(text))"
        case .wallops(let user, let text):
            return "-!- WALLOPS from \(user.nick): \(PlainText.sanitize(text))"
        }
    }

    private static func renderMessage(_ message: ChatMessage, inFocus: Bool) -> String {
        let line = renderMessageBody(message, inFocus: inFocus)
        guard let prefix = message.annotation("prefix") else { return line }
        return PlainText.sanitize(prefix) + " " + line
    }

    private static func renderMessageBody(_ message: ChatMessage, inFocus: Bool) -> String {
        let text = PlainText.sanitize(message.text)
        let nick = message.sender.nick
        switch message.target {
        case .user:
            switch message.kind {
            case .say: return "*\(nick)* \(text)"
            case .action: return "*\(nick)* * \(nick) \(text)"
            case .notice: return "-\(nick)- \(text)"
            }
        case .room(let room):
            let prefix = inFocus ? "" : "[\(room.name)] "
            switch message.kind {
            case .say: return "\(prefix)<\(nick)> \(text)"
            case .action: return "\(prefix)* \(nick) \(text)"
            case .notice: return "\(prefix)-\(nick)- \(text)"
            }
        }
    }

    private static func reasonSuffix(_ reason: String?) -> String {
        guard let reason, !reason.isEmpty else { return "" }
        return " (\(PlainText.sanitize(reason)))"
    }
}
