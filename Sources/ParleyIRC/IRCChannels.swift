import ParleyChat
import ParleyFrontEnd

/// Channels: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK, and the error numerics for refused channel intents.
extension IRCSession {
    func join(_ params: [String], _ user: ChatUser) {
        let list = params[0]
        if list == "0" {
            for room in user.rooms { try? chat.part(user, roomNamed: room.name, reason: "Left all channels") }
            return
        }
        let keys = params.count > 1 ? params[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
        let names = list.split(separator: ",").map(String.init)
        for (index, name) in names.enumerated() {
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
            // A big room's NAMES is still being written: the other channels are joined after it.
            let rest = names[(index + 1)...]
            if !rest.isEmpty, deferRestIfReplying("JOIN " + rest.joined(separator: ",")
                                                   + (keys.count > index + 1 ? " " + keys[(index + 1)...].joined(separator: ",") : "")) {
                return
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

    /// 353 lines of about 400 bytes of names each, then 366, written as the client reads. Those
    /// who leave before their turn are left out; those who join are told by their JOIN.
    func sendNames(_ room: Room) {
        guard let viewer = user, room.isVisible(to: viewer) else { return numeric("366", room.name, "End of /NAMES list.") }
        let symbol = room.modes.secret ? "@" : "="
        let members = room.members(visibleTo: viewer)
        let multiPrefix = caps.contains(.multiPrefix)
        let userhostInNames = caps.contains(.userhostInNames)
        let runs = LongReplies.nameRuns(members, in: room) { member in
            room.status(of: member).prefix(all: multiPrefix) + (userhostInNames ? member.hostmask : member.nick)
        }
        startReply("NAMES") { [unowned self] out in
            if let line = runs() {
                appendNumeric("353", symbol, room.name, line, to: &out)
                return true
            }
            appendNumeric("366", room.name, "End of /NAMES list.", to: &out)
            return false
        }
    }

    func names(_ params: [String], _ user: ChatUser) {
        guard let list = params.first else { return numeric("366", "*", "End of /NAMES list.") }
        let names = list.split(separator: ",").map(String.init)
        for (index, name) in names.enumerated() {
            if let room = chat.room(named: name) { sendNames(room) } else { numeric("366", name, "End of /NAMES list.") }
            let rest = names[(index + 1)...]
            if !rest.isEmpty, deferRestIfReplying("NAMES " + rest.joined(separator: ",")) { return }
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

    /// One 322 per room, in name order, written as the client reads: the rooms are the ones
    /// that existed when LIST came; one gone by its turn is left out, one made since is not listed.
    func list(_ params: [String], _ user: ChatUser) {
        numeric("321", "Channel", "Users  Name")
        let wanted = params.first.map { Set($0.split(separator: ",").map { Casemapping.fold(String($0)) }) }
        let rooms = wanted.map { wanted in chat.rooms.filter { wanted.contains($0.foldedName) } } ?? chat.rooms
        startReply("LIST", LongReplies.each(rooms, { [unowned self] room, out in
            guard chat.exists(room), room.isVisible(to: user) else { return }
            let (modes, _) = room.modes.describe(showKey: false)
            appendNumeric("322", room.name, String(room.memberCount), "[\(modes)] \(room.topic?.text ?? "")", to: &out)
        }, end: { [unowned self] out in
            appendNumeric("323", "End of /LIST", to: &out)
        }))
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
