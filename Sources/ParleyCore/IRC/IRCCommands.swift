/// IRC commands: each maps to core intents and answers with the numerics real clients expect.
extension IRCSession {
    private static let beforeRegistration: Set<String> = ["PASS", "NICK", "USER", "CAP", "PING", "PONG", "QUIT"]

    func dispatch(_ message: IRCMessage) {
        let command = message.command.uppercased()
        let params = message.params
        guard let user else {
            guard Self.beforeRegistration.contains(command) else { return numeric("451", "You have not registered") }
            return handleRegistration(command, params)
        }
        switch command {
        case "PASS", "USER": numeric("462", "You may not reregister")
        case "NICK": changeNick(params, user)
        case "CAP": capability(params)
        case "PING": pong(params)
        case "PONG": break
        case "QUIT": quit(params.first.map { "Quit: \($0)" } ?? "Quit")
        case "JOIN": join(params, user)
        case "PART": part(params, user)
        case "PRIVMSG", "NOTICE": privmsg(command, message, user)
        case "NAMES": names(params, user)
        case "TOPIC": topic(params, user)
        case "LIST": list(params, user)
        case "WHO": who(params, user)
        case "WHOIS": whois(params, user)
        case "WHOWAS": whowas(params)
        case "AWAY": away(params, user)
        case "ISON": ison(params)
        case "USERHOST": userhost(params)
        case "MOTD": sendMotd()
        case "LUSERS": sendLusers()
        case "VERSION":
            numeric("351", parleyVersion + ".", serverName, "Parley: plain text and IRC on one poll() loop, with plugins")
            sendISupport()
        case "TIME": numeric("391", serverName, IRCTime.format(wallClockSeconds()))
        case "INFO": info()
        case "INVITE": invite(params, user)
        case "KICK": kick(params, user)
        case "MODE": mode(params, user)
        case "OPER": oper(params, user)
        case "KILL": kill(params, user)
        case "WALLOPS": wallops(params, user)
        case "REHASH": rehash(user)
        default:
            let arguments = params.joined(separator: " ")
            if context.plugins?.runCommand(command.lowercased(), arguments: arguments, caller: user, room: nil) == true { return }
            numeric("421", command, "Unknown command")
        }
    }

    // MARK: Registration

    private func handleRegistration(_ command: String, _ params: [String]) {
        switch command {
        case "PASS":
            guard let password = params.first else { return numeric("461", "PASS", "Not enough parameters") }
            // PASS belongs before NICK and USER.
            guard pendingNick == nil && username == nil else { return numeric("462", "You may not reregister") }
            if let hash = context.config.server.passwordHash {
                passwordAccepted = verifyPassword(password, hash: hash)
            }
        case "NICK":
            guard let nick = params.first, !nick.isEmpty else { return numeric("431", "No nickname given") }
            if let error = chat.nickError(nick) { return reportNickError(error, nick: nick) }
            pendingNick = nick
            tryCompleteRegistration()
        case "USER":
            guard params.count >= 4 else { return numeric("461", "USER", "Not enough parameters") }
            guard username == nil else { return numeric("462", "You may not reregister") }
            username = "~" + String(params[0].filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
                .prefix(9)).ifEmpty("user")
            realName = params[3]
            tryCompleteRegistration()
        case "CAP": capability(params)
        case "PING": pong(params)
        case "QUIT": closeLink(params.first.map { "Quit: \($0)" } ?? "Quit")
        default: break
        }
    }

    private func pong(_ params: [String]) {
        guard let token = params.first else { return numeric("409", "No origin specified") }
        send(IRCMessage(source: serverName, command: "PONG", params: [serverName, token]))
    }

    private func quit(_ reason: String) {
        if let user { chat.quit(user, reason: reason) }
        closeLink(reason)
    }

    // MARK: CAP

    func capability(_ params: [String]) {
        guard let sub = params.first?.uppercased() else { return numeric("461", "CAP", "Not enough parameters") }
        let nick = user?.nick ?? "*"
        switch sub {
        case "LS":
            if user == nil { negotiatingCaps = true }
            if let version = params.dropFirst().first, Int(version) ?? 0 >= 302 { caps.insert(.capNotify) }
            send(IRCMessage(source: serverName, command: "CAP", params: [nick, "LS", IRCCapability.advertised], forceTrailing: true))
        case "LIST":
            send(IRCMessage(source: serverName, command: "CAP", params: [nick, "LIST", caps.map(\.rawValue).sorted().joined(separator: " ")], forceTrailing: true))
        case "REQ":
            if user == nil { negotiatingCaps = true }
            let requested = (params.dropFirst().first ?? "").split(separator: " ")
            var changes: [(IRCCapability, Bool)] = []
            for item in requested {
                let removing = item.hasPrefix("-")
                guard let cap = IRCCapability(rawValue: String(removing ? item.dropFirst() : item)) else {
                    changes = []
                    break
                }
                changes.append((cap, !removing))
            }
            guard !changes.isEmpty, changes.count == requested.count else {
                return send(IRCMessage(source: serverName, command: "CAP", params: [nick, "NAK", params.dropFirst().first ?? ""], forceTrailing: true))
            }
            for (cap, enable) in changes {
                if enable { caps.insert(cap) } else { caps.remove(cap) }
            }
            send(IRCMessage(source: serverName, command: "CAP", params: [nick, "ACK", params.dropFirst().first ?? ""], forceTrailing: true))
        case "END":
            guard user == nil else { return }
            negotiatingCaps = false
            tryCompleteRegistration()
        default:
            numeric("410", sub, "Invalid CAP command")
        }
    }

    // MARK: Nicks and channels

    private func changeNick(_ params: [String], _ user: ChatUser) {
        guard let nick = params.first, !nick.isEmpty else { return numeric("431", "No nickname given") }
        do {
            try chat.changeNick(user, to: nick)
        } catch {
            reportNickError(error, nick: nick)
        }
    }

    private func join(_ params: [String], _ user: ChatUser) {
        guard let list = params.first else { return numeric("461", "JOIN", "Not enough parameters") }
        if list == "0" {
            for room in user.rooms { try? chat.part(user, roomNamed: room.name, reason: "Left all channels") }
            return
        }
        let keys = params.count > 1 ? params[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
        for (index, name) in list.split(separator: ",").map(String.init).enumerated() {
            let key = index < keys.count && !keys[index].isEmpty ? keys[index] : nil
            do {
                let room = try chat.join(user, roomNamed: name, key: key)
                if let topic = room.topic {
                    numeric("332", room.name, topic.text)
                    numeric("333", room.name, topic.setBy, String(Int(topic.setAt)))
                }
                sendNames(room)
            } catch {
                report(error, room: name, command: "JOIN")
            }
        }
    }

    private func part(_ params: [String], _ user: ChatUser) {
        guard let list = params.first else { return numeric("461", "PART", "Not enough parameters") }
        for name in list.split(separator: ",").map(String.init) {
            do {
                try chat.part(user, roomNamed: name, reason: params.count > 1 ? params[1] : nil)
            } catch {
                report(error, room: name, command: "PART")
            }
        }
    }

    /// The error numeric for a refused intent on a channel.
    func report(_ error: ChatError, room: String, command: String) {
        switch error {
        case .invalidRoom(_, let reason): numeric("479", room, "Illegal channel name: \(reason)")
        case .noSuchRoom: numeric("403", room, "No such channel")
        case .notInRoom: numeric("442", room, "You're not on that channel")
        case .bannedFromRoom: numeric("474", room, "Cannot join channel (+b)")
        case .inviteOnlyRoom: numeric("473", room, "Cannot join channel (+i)")
        case .badRoomKey: numeric("475", room, "Cannot join channel (+k)")
        case .roomFull: numeric("471", room, "Cannot join channel (+l)")
        case .notRoomOperator: numeric("482", room, "You're not channel operator")
        case .userNotInRoom(let nick, _): numeric("441", nick, room, "They aren't on that channel")
        case .alreadyInRoom(let nick, _): numeric("443", nick, room, "is already on channel")
        case .noSuchNick(let nick): numeric("401", nick, "No such nick/channel")
        case .cannotSendToRoom(_, let reason): numeric("404", room, "Cannot send to channel: \(reason)")
        case .topicTooLong(let limit): numeric("417", "Topic too long (\(limit) bytes at most)")
        case .notServerOperator: numeric("481", "Permission Denied- You're not an IRC operator")
        case .rejected(let reason): numeric("404", room, "Message not sent: \(reason)")
        case .tooManyRooms(_, let limit): numeric("405", room, "You have joined too many channels (\(limit))")
        case .banListFull(_, let limit): numeric("478", room, "b", "Channel ban list is full (\(limit))")
        default: numeric("400", command, "\(error)")
        }
    }

    // MARK: Messages

    private func privmsg(_ command: String, _ message: IRCMessage, _ user: ChatUser) {
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
                if !isNotice, let away = recipient.away { numeric("301", recipient.nick, away) }
            }
            var outgoing = ChatMessage(sender: user, target: destination, kind: kind, text: text)
            outgoing.clientTags = clientTags
            let echo = caps.contains(.echoMessage)
            // A room message's echo travels with the room's fan-out, in order with the rest.
            if case .room = destination { outgoing.echoToSender = echo }
            do {
                if let sent = try chat.send(outgoing), echo, case .user = destination {
                    if let bytes = render(.message(sent)) { connection.send(bytes) }
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
}

extension String {
    func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}
