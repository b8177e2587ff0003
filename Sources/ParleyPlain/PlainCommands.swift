import ParleyChat
import ParleyFrontEnd
import ParleyTransport

/// The plain protocol's slash commands: one table drives dispatch, usage errors and /help.
/// How many words a command takes comes from its usage text (`[word]` is optional), so the
/// text and the check cannot drift; `freeText` commands' last word takes the rest of the line.
struct PlainCommand: Sendable {
    let name: String
    let usage: String
    let summary: String
    let words: (required: Int, most: Int?)
    /// A query that costs the server more than a message (long replies): it counts as
    /// `flood.query_cost` lines against the client's fakelag.
    let isQuery: Bool
    let run: @Sendable (PlainSession, ChatUser, PlainArguments) -> Void

    init(name: String, usage: String, summary: String, freeText: Bool = false, isQuery: Bool = false,
         run: @escaping @Sendable (PlainSession, ChatUser, PlainArguments) -> Void) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.isQuery = isQuery
        let parameters = usage.split(separator: " ").dropFirst()
        let required = parameters.filter { !$0.hasPrefix("[") }.count
        words = (required, freeText ? nil : parameters.count)
        self.run = run
    }

    func accepts(_ arguments: PlainArguments) -> Bool {
        let count = arguments.words.count
        return count >= words.required && (words.most.map { count <= $0 } ?? true)
    }
}

/// The words after a command; `rest` keeps spacing for free text such as messages.
struct PlainArguments {
    private let text: Substring

    init(_ text: Substring) {
        self.text = text.drop { $0 == " " || $0 == "\t" }
    }

    var isEmpty: Bool { text.isEmpty }
    var rest: String { String(text) }

    /// The first word and the arguments after it.
    func splitFirst() -> (String, PlainArguments)? {
        guard !text.isEmpty else { return nil }
        let end = text.firstIndex { $0 == " " || $0 == "\t" } ?? text.endIndex
        return (String(text[..<end]), PlainArguments(text[end...]))
    }

    var words: [Substring] { text.split(whereSeparator: { $0 == " " || $0 == "\t" }) }

    /// `[#room] rest`: the room when the first word names one (else `fallback`), and the rest.
    func optionalRoom(orElse fallback: String?) -> (room: String?, rest: String) {
        if let (first, after) = splitFirst(), first.hasPrefix("#") { return (first, after.rest) }
        return (fallback, rest)
    }
}

extension PlainSession {
    static let commands: [PlainCommand] = [
        PlainCommand(name: "join", usage: "/join #room [key]", summary: "join a room (creating it if needed) and talk there") { session, user, args in
            let words = args.words
            session.join(String(words[0]), key: words.count == 2 ? String(words[1]) : nil, as: user)
        },
        PlainCommand(name: "part", usage: "/part [#room] [reason]", summary: "leave a room (the current one by default)", freeText: true) { session, user, args in
            let (roomName, reason) = args.optionalRoom(orElse: session.focus?.name)
            guard let roomName else { return session.error("you are not in a room; usage: /part [#room] [reason]") }
            do {
                try session.chat.part(user, roomNamed: roomName, reason: reason.isEmpty ? nil : reason)
            } catch {
                session.error(session.describe(error))
            }
        },
        PlainCommand(name: "rooms", usage: "/rooms", summary: "list rooms with their member counts and topics", isQuery: true) { session, _, args in
            // The rooms there were when asked, written as the client reads; one gone by its turn is left out.
            var listed = 0
            session.startReply("/rooms", LongReplies.each(session.chat.rooms.filter(session.canSee), { [unowned session] room, out in
                guard session.chat.exists(room), session.canSee(room) else { return }
                listed += 1
                let count = "\(room.memberCount) \(room.memberCount == 1 ? "member" : "members")"
                let topic = room.topic.map { ": \(PlainText.sanitize($0.text))" } ?? ""
                PlainText.appendLine("-!- \(room.name) (\(count))\(topic)", to: &out)
            }, end: { out in
                PlainText.appendLine("-!- \(listed) \(listed == 1 ? "room" : "rooms")", to: &out)
            }))
        },
        PlainCommand(name: "who", usage: "/who [#room]", summary: "list the members of a room (the current one by default)", isQuery: true) { session, _, args in
            guard let name = args.words.first.map(String.init) ?? session.focus?.name else {
                return session.error("you are not in a room; usage: /who #room")
            }
            guard name.hasPrefix("#") else { return session.error("'\(name)' is not a room; usage: /who [#room]") }
            guard let room = session.chat.room(named: name), session.canSee(room) else {
                return session.error("there is no room \(name)")
            }
            session.describeRoom(room)
        },
        PlainCommand(name: "whois", usage: "/whois nick", summary: "who someone is: their host, rooms and idle time", isQuery: true) { session, user, args in
            let nick = String(args.words[0])
            guard let other = session.chat.user(nick: nick) else { return session.error("no user is called \(nick)") }
            session.describeUser(other)
        },
        PlainCommand(name: "topic", usage: "/topic [#room] [text]", summary: "show a room's topic, or set it", freeText: true) { session, user, args in
            let (roomName, text) = args.optionalRoom(orElse: session.focus?.name)
            guard let roomName else { return session.error("you are not in a room; usage: /topic #room [text]") }
            guard let room = session.chat.room(named: roomName) else {
                return session.error("there is no room \(roomName)")
            }
            if text.isEmpty {
                guard let topic = room.topic else { return session.say("-!- \(room.name) has no topic") }
                session.say("-!- Topic for \(room.name): \(PlainText.sanitize(topic.text)) (set by \(topic.setBy), \(PlainText.formatTime(topic.setAt)))")
                return
            }
            do {
                try session.chat.setTopic(room, text: text, by: user)
            } catch {
                session.error(session.describe(error))
            }
        },
        PlainCommand(name: "msg", usage: "/msg nick text", summary: "send a private message", freeText: true) { session, user, args in
            guard let (nick, text) = args.splitFirst() else { return }
            guard let target = session.chat.user(nick: nick) else { return session.error("no user is called \(nick)") }
            if let sent = session.send(ChatMessage(sender: user, target: .user(target), kind: .say, text: text.rest)) {
                session.say("-> *\(target.nick)* \(PlainText.sanitize(sent.text))")
            }
        },
        PlainCommand(name: "me", usage: "/me action", summary: "describe an action in the current room", freeText: true) { session, user, args in
            session.sayInFocus(args.rest, kind: .action, as: user)
        },
        PlainCommand(name: "nick", usage: "/nick newnick", summary: "change your nickname") { session, user, args in
            guard let nick = args.words.first else { return }
            do {
                let old = user.nick
                try session.chat.changeNick(user, to: String(nick))
                session.logger.info("nick changed", metadata: ["client": "\(session.connection.id)",
                                                               "from": "\(old)", "to": "\(nick)"])
            } catch {
                session.error(session.describe(error))
            }
        },
        PlainCommand(name: "kick", usage: "/kick nick [reason]", summary: "room operators: remove someone from the current room", freeText: true) { session, user, args in
            guard let (nick, reason) = args.splitFirst() else { return }
            guard let room = session.focus else { return session.error("you are not in a room") }
            guard let target = session.chat.user(nick: nick) else { return session.error("no user is called \(nick)") }
            do {
                try session.chat.kick(target, from: room, by: user, reason: reason.isEmpty ? user.nick : reason.rest)
            } catch {
                session.error(session.describe(error))
            }
        },
        PlainCommand(name: "mode", usage: "/mode [#room] [+|-modes] [params]", summary: "show or change room modes (i m n s t k l o v b)", freeText: true) { session, user, args in
            var words = args.words.map(String.init)
            let name = words.first?.hasPrefix("#") == true ? words.removeFirst() : session.focus?.name
            guard let name, let room = session.chat.room(named: name), session.canSee(room) else {
                return session.error("no such room; usage: /mode #room +modes")
            }
            guard let letters = words.first else {
                let (modes, values) = room.modes.describe(showKey: room.contains(user))
                return session.say("-!- Modes of \(room.name): " + ([modes] + values).joined(separator: " "))
            }
            let (changes, listBans, problems) = RoomModeChange.parse(letters, Array(words.dropFirst()))
            for problem in problems {
                switch problem {
                case .unknown(let letter): session.error("unknown mode \(letter); modes are i m n s t k l o v b")
                case .missingParameter(let letter): session.error("mode \(letter) needs a parameter")
                case .tooMany: session.error("at most 20 modes with parameters at once")
                }
            }
            if !changes.isEmpty {
                do {
                    for problem in try session.chat.changeModes(of: room, by: user, changes) {
                        session.error(session.describe(problem))
                    }
                } catch {
                    session.error(session.describe(error))
                }
            }
            // Last, as a long reply: nothing this command does may come after it.
            if listBans {
                let bans = room.bans
                session.startReply("/mode +b", LongReplies.each(bans, { ban, out in
                    PlainText.appendLine("-!- Ban on \(room.name): \(ban.mask) (set by \(ban.setBy))", to: &out)
                }, end: { out in
                    PlainText.appendLine("-!- \(bans.count) \(bans.count == 1 ? "ban" : "bans") on \(room.name)", to: &out)
                }))
            }
        },
        PlainCommand(name: "invite", usage: "/invite nick [#room]", summary: "invite someone to a room (the current one by default)") { session, user, args in
            let words = args.words.map(String.init)
            guard let target = session.chat.user(nick: words[0]) else { return session.error("no user is called \(words[0])") }
            guard let name = words.count == 2 ? words[1] : session.focus?.name, let room = session.chat.room(named: name) else {
                return session.error("no such room; usage: /invite nick #room")
            }
            do {
                try session.chat.invite(target, to: room, by: user)
                session.say("-!- Invited \(target.nick) to \(room.name)")
            } catch {
                session.error(session.describe(error))
            }
        },
        PlainCommand(name: "away", usage: "/away [message]", summary: "mark yourself away (no message: back)", freeText: true) { session, user, args in
            session.chat.setAway(user, args.isEmpty ? nil : args.rest)
            session.say(args.isEmpty ? "-!- You are back" : "-!- You are marked away: \(args.rest)")
        },
        PlainCommand(name: "quit", usage: "/quit [reason]", summary: "leave the server", freeText: true) { session, _, args in
            session.quit(reason: args.isEmpty ? "Quit" : "Quit: \(args.rest)")
        },
        PlainCommand(name: "help", usage: "/help [command]", summary: "list commands, or explain one") { session, _, args in
            let pluginCommands = session.services.pluginCommands?.commandHelp ?? []
            if let name = args.words.first {
                let wanted = (name.hasPrefix("/") ? name.dropFirst() : name).lowercased()
                if let command = commands.first(where: { $0.name == wanted }) {
                    return session.say("-!- \(command.usage): \(command.summary)")
                }
                if let command = pluginCommands.first(where: { $0.usage == "/\(wanted)" || $0.usage.hasPrefix("/\(wanted) ") }) {
                    return session.say("-!- \(command.usage): \(command.help)")
                }
                return session.error("no command /\(wanted); type /help for the list")
            }
            var lines = ["-!- Commands:"] + commands.map { "-!-   \($0.usage) - \($0.summary)" }
            if !pluginCommands.isEmpty {
                lines += ["-!- From plugins:"] + pluginCommands.map { "-!-   \($0.usage) - \($0.help)" }
            }
            lines.append("-!- Anything else you type goes to your current room. Start a line with // to send a literal /.")
            session.startReply("/help", lines: lines)
        },
        PlainCommand(name: "oper", usage: "/oper name password", summary: "become a server operator") { session, user, args in
            let words = args.words
            let name = String(words[0])
            guard session.passwordAttempts.begin() else {
                return session.error("a password check is already running; wait for its answer")
            }
            session.services.operatorLogin(user, name: name, password: String(words[1]), connection: session.connection) { verdict in
                let tooMany = session.passwordAttempts.end(verdict)
                guard session.connection.state == .open else { return }
                switch verdict {
                case .matched:
                    session.say("-!- You are now a server operator (\(name))")
                case .wrong:
                    session.error("wrong operator name or password")
                    if tooMany { session.disconnect(reason: "Too many failed password attempts") }
                case .coolingDown(let seconds):
                    session.error(PasswordVerdict.coolingDownText(seconds))
                }
            }
        },
        PlainCommand(name: "reload", usage: "/reload", summary: "operators: reload the config and plugins") { session, user, args in
            guard session.requireOperator("reload") else { return }
            session.say("-!- Reloading config and plugins...")
            session.services.scheduleReload(requestedBy: "\(user.nick) (operator)") { [weak session] lines in
                for line in lines { session?.say("-!- \(line)") }
                session?.say("-!- Reload done")
            }
        },
        PlainCommand(name: "plugins", usage: "/plugins", summary: "operators: loaded plugins, chain order and time per hook") { session, _, _ in
            guard session.requireOperator("plugins") else { return }
            for line in session.services.describePlugins() { session.say("-!- \(line)") }
        },
    ]

    /// Runs one slash command; returns what it weighs against the fakelag (queries weigh more).
    func runCommand(_ line: String, as user: ChatUser) -> LineWeight {
        let body = line.dropFirst()
        let nameEnd = body.firstIndex { $0 == " " || $0 == "\t" } ?? body.endIndex
        let name = body[..<nameEnd].lowercased()
        let arguments = PlainArguments(body[nameEnd...])
        if let command = Self.commands.first(where: { $0.name == name }) {
            if command.accepts(arguments) {
                command.run(self, user, arguments)
            } else {
                error("usage: \(command.usage) - \(command.summary)")
            }
            return command.isQuery ? .heavy : .normal
        }
        if services.pluginCommands?.runCommand(name, arguments: arguments.rest, caller: user, room: focus) != true {
            error("unknown command /\(name); type /help for the list")
        }
        return .normal
    }

    func requireOperator(_ command: String) -> Bool {
        guard user?.isServerOperator != true else { return true }
        error("/\(command) is for operators; use /oper name password first")
        return false
    }
}
