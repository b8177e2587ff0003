import ParleyChat
import ParleyFrontEnd

/// MODE, for channels and for the client itself.
extension IRCSession {
    func mode(_ params: [String], _ user: ChatUser) {
        let target = params[0]
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
        if !changes.isEmpty {
            do {
                for problem in try chat.changeModes(of: room, by: user, changes) {
                    report(problem, room: room.name, command: "MODE")
                }
            } catch {
                report(error, room: room.name, command: "MODE")
            }
        }
        // Last, as a long reply: nothing this command does may come after it.
        if listBans {
            startReply("MODE +b", LongReplies.each(room.bans, { [unowned self] ban, out in
                appendNumeric("367", room.name, ban.mask, ban.setBy, String(Int(ban.setAt)), to: &out)
            }, end: { [unowned self] out in
                appendNumeric("368", room.name, "End of channel ban list", to: &out)
            }))
        }
    }
}
