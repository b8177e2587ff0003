import ParleyChat
import ParleyFrontEnd

/// Server operators: OPER, KILL, WALLOPS, REHASH.
extension IRCSession {
    func oper(_ params: [String], _ user: ChatUser) {
        guard passwordAttempts.begin() else { return refuseWhilePasswordCheckRuns("OPER") }
        services.operatorLogin(user, name: params[0], password: params[1], connection: connection) { [self] verdict in
            let tooMany = passwordAttempts.end(verdict)
            guard connection.state == .open else { return }
            switch verdict {
            case .matched:
                numeric("381", "You are now an IRC operator")
                send(IRCMessage(source: user.nick, command: "MODE", params: [user.nick, "+o"]))
            case .wrong:
                numeric("464", "Password incorrect")
                if tooMany { closeLink("Too many failed password attempts") }
            case .coolingDown(let seconds):
                numeric("263", "OPER", PasswordVerdict.coolingDownText(seconds))
            }
        }
    }

    func kill(_ params: [String], _ user: ChatUser) {
        guard let target = chat.user(nick: params[0]) else { return numeric("401", params[0], "No such nick/channel") }
        try? chat.kill(target, by: user, reason: params.count > 1 ? params[1] : "No reason")
        logger.notice("kill", metadata: ["by": "\(user.nick)", "target": "\(params[0])"])
    }

    func wallops(_ params: [String], _ user: ChatUser) {
        let text = params[0]
        try? chat.wallops(text, from: user)
    }

    func rehash(_ user: ChatUser) {
        numeric("382", "config", "Rehashing")
        services.scheduleReload(requestedBy: "\(user.nick) (REHASH)") { [weak self] lines in
            for line in lines { self?.serverNotice("REHASH: \(line)") }
        }
    }
}
