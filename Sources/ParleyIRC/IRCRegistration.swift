import ParleyChat
import ParleyFrontEnd

/// Registration: PASS, NICK, USER and CAP in any order, then the welcome; PING and QUIT.
extension IRCSession {
    func pass(_ params: [String]) {
        // PASS belongs before NICK and USER.
        guard pendingNick == nil && username == nil else { return numeric("462", "You may not reregister") }
        guard let hash = services.config.server.passwordHash else { return }
        guard passwordAttempts.begin() else { return refuseWhilePasswordCheckRuns("PASS") }
        // Registration waits for the answer (tryCompleteRegistration checks inFlight).
        services.passwords.check(params[0], against: hash, from: connection.peer.host) { [self] verdict in
            let tooMany = passwordAttempts.end(verdict)
            passwordAccepted = verdict == .matched
            guard connection.state == .open else { return }
            switch verdict {
            case .coolingDown(let seconds): closeLink(PasswordVerdict.coolingDownText(seconds))
            case .wrong where tooMany: closeLink("Too many failed password attempts")
            default: tryCompleteRegistration()
            }
        }
    }

    func nick(_ params: [String]) {
        guard let nick = params.first, !nick.isEmpty else { return numeric("431", "No nickname given") }
        if let user {
            do {
                try chat.changeNick(user, to: nick)
            } catch {
                reportNickError(error, nick: nick)
            }
            return
        }
        if let error = chat.nickError(nick) { return reportNickError(error, nick: nick) }
        pendingNick = nick
        tryCompleteRegistration()
    }

    func userCommand(_ params: [String]) {
        guard username == nil else { return numeric("462", "You may not reregister") }
        username = "~" + String(params[0].filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
            .prefix(9)).ifEmpty("user")
        realName = params[3]
        tryCompleteRegistration()
    }

    func pong(_ params: [String]) {
        guard let token = params.first else { return numeric("409", "No origin specified") }
        send(IRCMessage(source: serverName, command: "PONG", params: [serverName, token]))
    }

    func quit(_ params: [String]) {
        let reason = params.first.map { "Quit: \($0)" } ?? "Quit"
        if let user { chat.quit(user, reason: reason) }
        closeLink(reason)
    }

    // MARK: CAP

    func capability(_ params: [String]) {
        let sub = params[0].uppercased()
        let nick = user?.nick ?? "*"
        switch sub {
        case "LS":
            if user == nil { negotiatingCaps = true }
            let valuesAllowed = Int(params.dropFirst().first ?? "") ?? 0 >= 302
            if valuesAllowed { caps.insert(.capNotify) }
            // Cap values (and so sts, which is nothing without one) exist only from CAP LS 302 on.
            let offered = [IRCCapability.advertised] + (valuesAllowed ? [stsPolicy].compactMap { $0 } : [])
            send(IRCMessage(source: serverName, command: "CAP", params: [nick, "LS", offered.joined(separator: " ")], forceTrailing: true))
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
}

extension IRCSession {
    /// IRCv3 sts: a plaintext connection is told where TLS is (and the client reconnects
    /// there); a TLS one is told how long to insist on TLS. Never requestable, only seen.
    var stsPolicy: String? {
        guard let sts = services.config.sts else { return nil }
        guard connection.tls != nil else { return "sts=port=\(sts.port)" }
        return "sts=duration=\(sts.durationSeconds)" + (sts.preload ? ",preload" : "")
    }
}

extension String {
    func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}
