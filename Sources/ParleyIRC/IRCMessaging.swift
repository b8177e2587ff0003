import ParleyChat

/// PRIVMSG, NOTICE (and CTCP ACTION), AWAY.
extension IRCSession {
    func privmsg(_ command: String, _ message: IRCMessage) {
        guard let user else { return }
        let isNotice = command == "NOTICE"
        guard let targets = message.params.first, !targets.isEmpty else {
            return isNotice ? () : numeric("411", "No recipient given (\(command))")
        }
        guard message.params.count > 1, !message.params[1].isEmpty else {
            return isNotice ? () : numeric("412", "No text to send")
        }
        var text = message.params[1]
        var kind: MessageKind = isNotice ? .notice : .say
        if !isNotice, text.hasPrefix("\u{1}ACTION ") {
            text = String(text.dropFirst(8))
            if text.hasSuffix("\u{1}") { text.removeLast() }
            kind = .action
        }
        let list = targets.split(separator: ",").map(String.init)
        guard list.count <= maxTargets else { return numeric("407", targets, "Too many targets (\(maxTargets) at most)") }
        let clientTags = caps.contains(.messageTags) ? message.tags.filter { $0.key.hasPrefix("+") } : []
        for name in list {
            let destination: MessageTarget
            if name.hasPrefix("#") {
                guard let room = chat.room(named: name) else {
                    if !isNotice { numeric("403", name, "No such channel") }
                    continue
                }
                destination = .room(room)
            } else {
                guard let recipient = chat.user(nick: name) else {
                    if !isNotice { numeric("401", name, "No such nick/channel") }
                    continue
                }
                destination = .user(recipient)
            }
            var outgoing = ChatMessage(sender: user, target: destination, kind: kind, text: text)
            outgoing.clientTags = clientTags
            let echo = caps.contains(.echoMessage)
            // A room message's echo travels with the room's fan-out, in order with the rest.
            if case .room = destination { outgoing.echoToSender = echo }
            do {
                // A private message's replies come once it is delivered: RPL_AWAY, then the echo.
                if let sent = try chat.send(outgoing), case .user(let recipient) = destination {
                    if !isNotice, let away = recipient.away { numeric("301", recipient.nick, away) }
                    if echo, let bytes = render(.message(sent)) { connection.send(bytes) }
                }
            } catch {
                if case .rejected(let reason) = error, case .user = destination {
                    serverNotice("Your message to \(name) was not sent: \(reason)")
                } else if !isNotice || { if case .rejected = error { return true } else { return false } }() {
                    report(error, room: name, command: command)
                }
            }
        }
    }

    func away(_ params: [String], _ user: ChatUser) {
        if let text = params.first, !text.isEmpty {
            chat.setAway(user, String(text.prefix(services.config.limits.topicLength)))
            numeric("306", "You have been marked as being away")
        } else {
            chat.setAway(user, nil)
            numeric("305", "You are no longer marked as being away")
        }
    }
}
