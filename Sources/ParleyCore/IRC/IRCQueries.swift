/// IRC queries and operator commands.
extension IRCSession {
    /// Can `viewer` see `user` in listings? Invisible users only to those sharing a room.
    private func visible(_ other: ChatUser, to viewer: ChatUser) -> Bool {
        !other.isInvisible || other === viewer || other.rooms.contains { $0.contains(viewer) }
    }

    private func canSee(_ room: Room, _ viewer: ChatUser) -> Bool {
        !room.modes.secret || room.contains(viewer) || viewer.isServerOperator
    }

    func sendNames(_ room: Room) {
        guard let viewer = user else { return }
        if canSee(room, viewer) {
            let symbol = room.modes.secret ? "@" : "="
            let entries = room.membersByNick.filter { room.contains(viewer) || visible($0, to: viewer) }.map { member in
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
        guard let name = params.first else { return numeric("461", "TOPIC", "Not enough parameters") }
        guard let room = chat.room(named: name) else { return numeric("403", name, "No such channel") }
        guard params.count > 1 else {
            guard canSee(room, user) else { return numeric("442", room.name, "You're not on that channel") }
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
        for room in chat.rooms where canSee(room, user) && (wanted?.contains(room.foldedName) ?? true) {
            let (modes, _) = room.modes.describe(showKey: false)
            numeric("322", room.name, String(room.memberCount), "[\(modes)] \(room.topic?.text ?? "")")
        }
        numeric("323", "End of /LIST")
    }

    private func whoLine(_ member: ChatUser, room: Room?) {
        var flags = member.away == nil ? "H" : "G"
        if member.isServerOperator { flags += "*" }
        if let room { flags += room.status(of: member).prefix(all: caps.contains(.multiPrefix)) }
        numeric("352", room?.name ?? "*", member.username, member.host, serverName, member.nick, flags, "0 \(member.realName)")
    }

    func who(_ params: [String], _ user: ChatUser) {
        let mask = params.first ?? "*"
        if mask.hasPrefix("#") {
            if let room = chat.room(named: mask), canSee(room, user) {
                for member in room.membersByNick where room.contains(user) || visible(member, to: user) {
                    whoLine(member, room: room)
                }
            }
        } else {
            let pattern = mask == "0" ? "*" : mask
            let operatorsOnly = params.count > 1 && params[1].contains("o")
            for other in chat.users.values.sorted(by: { $0.foldedNick < $1.foldedNick })
            where visible(other, to: user) && (!operatorsOnly || other.isServerOperator)
                && (Mask.matches(pattern, other.nick) || Mask.matches(pattern, other.hostmask) || Mask.matches(pattern, other.host)) {
                whoLine(other, room: other.rooms.first { canSee($0, user) })
            }
        }
        numeric("315", mask, "End of /WHO list.")
    }

    func whois(_ params: [String], _ user: ChatUser) {
        guard let nick = params.last, !nick.isEmpty else { return numeric("431", "No nickname given") }
        guard let other = chat.user(nick: nick) else {
            numeric("401", nick, "No such nick/channel")
            return numeric("318", nick, "End of /WHOIS list.")
        }
        numeric("311", other.nick, other.username, other.host, "*", other.realName)
        let rooms = other.rooms.filter { canSee($0, user) }.map { $0.status(of: other).prefix(all: caps.contains(.multiPrefix)) + $0.name }
        if !rooms.isEmpty { numeric("319", other.nick, rooms.joined(separator: " ")) }
        numeric("312", other.nick, serverName, context.config.server.description)
        if let away = other.away { numeric("301", other.nick, away) }
        if other.isServerOperator { numeric("313", other.nick, "is an IRC operator") }
        if other.isBot { numeric("335", other.nick, "is a bot (a Parley plugin's)") }
        numeric("317", other.nick, String(Int(wallClockSeconds() - other.lastActive)), String(Int(other.connectedAt)), "seconds idle, signon time")
        numeric("318", other.nick, "End of /WHOIS list.")
    }

    func whowas(_ params: [String]) {
        guard let nick = params.first else { return numeric("431", "No nickname given") }
        let folded = Casemapping.fold(nick)
        let entries = chat.whowas.reversed().filter { Casemapping.fold($0.nick) == folded }.prefix(10)
        if entries.isEmpty { numeric("406", nick, "There was no such nickname") }
        for entry in entries {
            numeric("314", entry.nick, entry.username, entry.host, "*", entry.realName)
            numeric("312", entry.nick, serverName, IRCTime.format(entry.leftAt))
        }
        numeric("369", nick, "End of WHOWAS")
    }

    func away(_ params: [String], _ user: ChatUser) {
        if let text = params.first, !text.isEmpty {
            chat.setAway(user, String(text.prefix(context.config.limits.topicLength)))
            numeric("306", "You have been marked as being away")
        } else {
            chat.setAway(user, nil)
            numeric("305", "You are no longer marked as being away")
        }
    }

    func ison(_ params: [String]) {
        guard !params.isEmpty else { return numeric("461", "ISON", "Not enough parameters") }
        let present = params.flatMap { $0.split(separator: " ") }.compactMap { chat.user(nick: String($0))?.nick }
        numeric("303", present.joined(separator: " "))
    }

    func userhost(_ params: [String]) {
        guard !params.isEmpty else { return numeric("461", "USERHOST", "Not enough parameters") }
        let replies = params.prefix(5).compactMap { chat.user(nick: $0) }.map { other in
            "\(other.nick)\(other.isServerOperator ? "*" : "")=\(other.away == nil ? "+" : "-")\(other.username)@\(other.host)"
        }
        numeric("302", replies.joined(separator: " "))
    }

    func info() {
        for line in ["Parley \(parleyVersion): a chat server in Swift.", "Plain text and IRC on one poll() loop, extended by .so plugins.",
                     "Started \(IRCTime.format(context.startedAt))."] {
            numeric("371", line)
        }
        numeric("374", "End of INFO list")
    }

    func invite(_ params: [String], _ user: ChatUser) {
        guard params.count >= 2 else { return numeric("461", "INVITE", "Not enough parameters") }
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
        guard params.count >= 2 else { return numeric("461", "KICK", "Not enough parameters") }
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

    func oper(_ params: [String], _ user: ChatUser) {
        guard params.count >= 2 else { return numeric("461", "OPER", "Not enough parameters") }
        guard let entry = context.config.operators.first(where: { $0.name == params[0] }),
              verifyPassword(params[1], hash: entry.passwordHash) else {
            logger.warning("operator login failed", metadata: ["nick": "\(user.nick)", "operator": "\(params[0])"])
            return numeric("464", "Password incorrect")
        }
        chat.setServerOperator(user, true)
        logger.notice("operator login", metadata: ["nick": "\(user.nick)", "operator": "\(entry.name)"])
        numeric("381", "You are now an IRC operator")
        send(IRCMessage(source: user.nick, command: "MODE", params: [user.nick, "+o"]))
    }

    func kill(_ params: [String], _ user: ChatUser) {
        guard params.count >= 1 else { return numeric("461", "KILL", "Not enough parameters") }
        guard user.isServerOperator else { return numeric("481", "Permission Denied- You're not an IRC operator") }
        guard let target = chat.user(nick: params[0]) else { return numeric("401", params[0], "No such nick/channel") }
        try? chat.kill(target, by: user, reason: params.count > 1 ? params[1] : "No reason")
        logger.notice("kill", metadata: ["by": "\(user.nick)", "target": "\(params[0])"])
    }

    func wallops(_ params: [String], _ user: ChatUser) {
        guard let text = params.first else { return numeric("461", "WALLOPS", "Not enough parameters") }
        do {
            try chat.wallops(text, from: user)
        } catch {
            numeric("481", "Permission Denied- You're not an IRC operator")
        }
    }

    func rehash(_ user: ChatUser) {
        guard user.isServerOperator else { return numeric("481", "Permission Denied- You're not an IRC operator") }
        numeric("382", "config", "Rehashing")
        context.operations?.scheduleReload(requestedBy: "\(user.nick) (REHASH)") { [weak self] lines in
            for line in lines { self?.serverNotice("REHASH: \(line)") }
        }
    }

    // MARK: MODE

    func mode(_ params: [String], _ user: ChatUser) {
        guard let target = params.first else { return numeric("461", "MODE", "Not enough parameters") }
        if target.hasPrefix("#") { return channelMode(target, Array(params.dropFirst()), user) }
        guard Casemapping.fold(target) == user.foldedNick else {
            return chat.user(nick: target) == nil ? numeric("401", target, "No such nick/channel")
                : numeric("502", "Can't change mode for other users")
        }
        guard let changes = params.dropFirst().first else {
            return numeric("221", "+" + (user.isInvisible ? "i" : "") + (user.isServerOperator ? "o" : ""))
        }
        var adding = true
        var applied = ""
        var sign: Character = " "
        for letter in changes {
            switch letter {
            case "+": adding = true
            case "-": adding = false
            case "i":
                chat.setInvisible(user, adding)
                applied += (sign == (adding ? "+" : "-") ? "" : (adding ? "+" : "-")) + "i"
                sign = adding ? "+" : "-"
            case "o":
                // +o only through OPER; -o drops operator status.
                if !adding && user.isServerOperator {
                    chat.setServerOperator(user, false)
                    applied += (sign == "-" ? "" : "-") + "o"
                    sign = "-"
                }
            default:
                numeric("501", "Unknown MODE flag \(letter)")
            }
        }
        if !applied.isEmpty { send(IRCMessage(source: user.nick, command: "MODE", params: [user.nick, applied])) }
    }

    private func channelMode(_ name: String, _ args: [String], _ user: ChatUser) {
        guard let room = chat.room(named: name) else { return numeric("403", name, "No such channel") }
        guard let letters = args.first else {
            let (modes, values) = room.modes.describe(showKey: room.contains(user))
            numeric("324", params: [room.name, modes] + values)
            numeric("329", room.name, String(Int(room.createdAt)))
            return
        }
        let (changes, listBans, problems) = RoomModeChange.parse(letters, Array(args.dropFirst()),
                                                                  maxWithParameter: maxModesWithParameter)
        for problem in problems {
            switch problem {
            case .unknown(let letter): numeric("472", String(letter), "is unknown mode char to me")
            case .missingParameter(let letter): numeric("696", room.name, String(letter), "*", "You must specify a parameter for the \(letter) mode")
            case .tooMany(let letter): numeric("696", room.name, String(letter), "*", "At most \(maxModesWithParameter) modes with parameters in one command")
            }
        }
        if listBans {
            for ban in room.bans { numeric("367", room.name, ban.mask, ban.setBy, String(Int(ban.setAt))) }
            numeric("368", room.name, "End of channel ban list")
        }
        guard !changes.isEmpty else { return }
        do {
            for problem in try chat.changeModes(of: room, by: user, changes) {
                report(problem, room: room.name, command: "MODE")
            }
        } catch {
            report(error, room: room.name, command: "MODE")
        }
    }
}
