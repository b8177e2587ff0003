import ParleyChat

/// Channels: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK, and the error numerics for refused channel intents.
extension IRCSession {
    func join(_ params: [String], _ user: ChatUser) {
        let list = params[0]
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

    func part(_ params: [String], _ user: ChatUser) {
        let list = params[0]
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

    func sendNames(_ room: Room) {
        guard let viewer = user else { return }
        if room.isVisible(to: viewer) {
            let symbol = room.modes.secret ? "@" : "="
            let entries = room.members(visibleTo: viewer).map { member in
                room.status(of: member).prefix(all: caps.contains(.multiPrefix))
                    + (caps.contains(.userhostInNames) ? member.hostmask : member.nick)
            }
            var line: [String] = []
            var size = 0
            for entry in entries {
                if size + entry.utf8.count + 1 > 400 && !line.isEmpty {
                    numeric("353", symbol, room.name, line.joined(separator: " "))
                    line = []
                    size = 0
                }
                line.append(entry)
                size += entry.utf8.count + 1
            }
            if !line.isEmpty { numeric("353", symbol, room.name, line.joined(separator: " ")) }
        }
        numeric("366", room.name, "End of /NAMES list.")
    }

    func names(_ params: [String], _ user: ChatUser) {
        guard let list = params.first else { return numeric("366", "*", "End of /NAMES list.") }
        for name in list.split(separator: ",").map(String.init) {
            if let room = chat.room(named: name) { sendNames(room) } else { numeric("366", name, "End of /NAMES list.") }
        }
    }

    func topic(_ params: [String], _ user: ChatUser) {
        let name = params[0]
        guard let room = chat.room(named: name) else { return numeric("403", name, "No such channel") }
        guard params.count > 1 else {
            guard room.isVisible(to: user) else { return numeric("442", room.name, "You're not on that channel") }
            guard let topic = room.topic else { return numeric("331", room.name, "No topic is set") }
            numeric("332", room.name, topic.text)
            numeric("333", room.name, topic.setBy, String(Int(topic.setAt)))
            return
        }
        do {
            try chat.setTopic(room, text: params[1], by: user)
        } catch {
            report(error, room: room.name, command: "TOPIC")
        }
    }

    func list(_ params: [String], _ user: ChatUser) {
        numeric("321", "Channel", "Users  Name")
        let wanted = params.first.map { Set($0.split(separator: ",").map { Casemapping.fold(String($0)) }) }
        for room in chat.rooms where room.isVisible(to: user) && (wanted?.contains(room.foldedName) ?? true) {
            let (modes, _) = room.modes.describe(showKey: false)
            numeric("322", room.name, String(room.memberCount), "[\(modes)] \(room.topic?.text ?? "")")
        }
        numeric("323", "End of /LIST")
    }

    func invite(_ params: [String], _ user: ChatUser) {
        guard let target = chat.user(nick: params[0]) else { return numeric("401", params[0], "No such nick/channel") }
        guard let room = chat.room(named: params[1]) else { return numeric("403", params[1], "No such channel") }
        do {
            try chat.invite(target, to: room, by: user)
            numeric("341", target.nick, room.name)
        } catch {
            report(error, room: room.name, command: "INVITE")
        }
    }

    func kick(_ params: [String], _ user: ChatUser) {
        guard let room = chat.room(named: params[0]) else { return numeric("403", params[0], "No such channel") }
        for nick in params[1].split(separator: ",").prefix(maxTargets).map(String.init) {
            guard let target = chat.user(nick: nick) else {
                numeric("401", nick, "No such nick/channel")
                continue
            }
            do {
                try chat.kick(target, from: room, by: user, reason: params.count > 2 ? params[2] : user.nick)
            } catch {
                report(error, room: room.name, command: "KICK")
            }
        }
    }
}
