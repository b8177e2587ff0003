import ParleyChat
import ParleyFrontEnd

/// Queries: WHO, WHOIS, WHOWAS, ISON, USERHOST, VERSION, TIME, INFO.
extension IRCSession {
    private func whoLine(_ member: ChatUser, room: Room?, to out: inout [UInt8]) {
        var flags = member.away == nil ? "H" : "G"
        if member.isServerOperator { flags += "*" }
        if let room { flags += room.status(of: member).prefix(all: caps.contains(.multiPrefix)) }
        appendNumeric("352", room?.name ?? "*", member.username, member.host, serverName, member.nick, flags, "0 \(member.realName)", to: &out)
    }

    /// One 352 per user, written as the client reads: the users are the ones that matched when
    /// WHO came; one who has left (the room, or the server) by their turn is left out.
    func who(_ params: [String], _ user: ChatUser) {
        let mask = params.first ?? "*"
        let end: (inout [UInt8]) -> Void = { [unowned self] out in appendNumeric("315", mask, "End of /WHO list.", to: &out) }
        if mask.hasPrefix("#") {
            guard let room = chat.room(named: mask), room.isVisible(to: user) else { return numeric("315", mask, "End of /WHO list.") }
            startReply("WHO", LongReplies.each(room.members(visibleTo: user), { [unowned self] member, out in
                guard room.contains(member) else { return }
                whoLine(member, room: room, to: &out)
            }, end: end))
        } else {
            let pattern = mask == "0" ? "*" : mask
            let operatorsOnly = params.count > 1 && params[1].contains("o")
            let matching = chat.users.values.sorted(by: { $0.foldedNick < $1.foldedNick }).filter { other in
                other.isVisible(to: user) && (!operatorsOnly || other.isServerOperator) && whoMatches(pattern, other, viewer: user)
            }
            startReply("WHO", LongReplies.each(matching, { [unowned self] other, out in
                guard chat.exists(other) else { return }
                whoLine(other, room: other.rooms.first { $0.isVisible(to: user) }, to: &out)
            }, end: end))
        }
    }

    /// WHO masks match the nick or the host shown; only those who may see the real address
    /// can search by it, or WHO would tell anyone who is behind a cloak.
    private func whoMatches(_ pattern: String, _ other: ChatUser, viewer: ChatUser) -> Bool {
        if Mask.matches(pattern, other.nick) || Mask.matches(pattern, other.hostmask) || Mask.matches(pattern, other.host) {
            return true
        }
        return other.revealsIdentity(to: viewer) && (Mask.matches(pattern, other.realHostmask) || Mask.matches(pattern, other.realHost))
    }

    /// RPL_WHOISACTUALLY as Ergo sends it: the real address behind the host shown.
    private func sendActualHost(nick: String, username: String, realHost: String) {
        numeric("338", nick, "\(username)@\(realHost)", realHost, "Actual user@host, Actual IP")
    }

    private func appendActualHost(nick: String, username: String, realHost: String, to out: inout [UInt8]) {
        appendNumeric("338", nick, "\(username)@\(realHost)", realHost, "Actual user@host, Actual IP", to: &out)
    }

    func whois(_ params: [String], _ user: ChatUser) {
        guard let nick = params.last, !nick.isEmpty else { return numeric("431", "No nickname given") }
        guard let other = chat.user(nick: nick) else {
            numeric("401", nick, "No such nick/channel")
            return numeric("318", nick, "End of /WHOIS list.")
        }
        numeric("311", other.nick, other.username, other.host, "*", other.realName)
        if other.revealsIdentity(to: user) { sendActualHost(nick: other.nick, username: other.username, realHost: other.realHost) }
        let rooms = other.rooms.filter { $0.isVisible(to: user) }.map { $0.status(of: other).prefix(all: caps.contains(.multiPrefix)) + $0.name }
        if !rooms.isEmpty { numeric("319", other.nick, rooms.joined(separator: " ")) }
        numeric("312", other.nick, serverName, services.config.server.description)
        if let away = other.away { numeric("301", other.nick, away) }
        if other.isServerOperator { numeric("313", other.nick, "is an IRC operator") }
        if other.isBot { numeric("335", other.nick, "is a bot (a Parley plugin's)") }
        if other.isSecure { numeric("671", other.nick, "is using a secure connection") }
        if let fingerprint = other.certificateFingerprint, other.revealsIdentity(to: user) {
            numeric("276", other.nick, "has client certificate fingerprint \(fingerprint)")
        }
        numeric("317", other.nick, String(Int(wallClockSeconds() - other.lastActive)), String(Int(other.connectedAt)), "seconds idle, signon time")
        numeric("318", other.nick, "End of /WHOIS list.")
    }

    func whowas(_ params: [String], _ user: ChatUser) {
        guard let nick = params.first else { return numeric("431", "No nickname given") }
        let folded = Casemapping.fold(nick)
        let entries = chat.whowas.reversed().filter { Casemapping.fold($0.nick) == folded }.prefix(10)
        if entries.isEmpty { numeric("406", nick, "There was no such nickname") }
        startReply("WHOWAS", LongReplies.each(entries, { [unowned self] entry, out in
            appendNumeric("314", entry.nick, entry.username, entry.host, "*", entry.realName, to: &out)
            if user.isServerOperator { appendActualHost(nick: entry.nick, username: entry.username, realHost: entry.realHost, to: &out) }
            appendNumeric("312", entry.nick, serverName, IRCTime.format(entry.leftAt), to: &out)
        }, end: { [unowned self] out in
            appendNumeric("369", nick, "End of WHOWAS", to: &out)
        }))
    }

    func ison(_ params: [String]) {
        let present = params.flatMap { $0.split(separator: " ") }.compactMap { chat.user(nick: String($0))?.nick }
        numeric("303", present.joined(separator: " "))
    }

    /// The real address to oneself (clients ask it of themselves for DCC) and to operators.
    func userhost(_ params: [String], _ user: ChatUser) {
        let replies = params.prefix(5).compactMap { chat.user(nick: $0) }.map { other in
            let host = other.revealsIdentity(to: user) ? other.realHost : other.host
            return "\(other.nick)\(other.isServerOperator ? "*" : "")=\(other.away == nil ? "+" : "-")\(other.username)@\(host)"
        }
        numeric("302", replies.joined(separator: " "))
    }

    func info() {
        for line in ["Parley \(parleyVersion): a chat server in Swift.", "Plain text and IRC on one event loop, extended by .so plugins.",
                     "Started \(IRCTime.format(services.startedAt))."] {
            numeric("371", line)
        }
        numeric("374", "End of INFO list")
    }

    func version() {
        numeric("351", parleyVersion + ".", serverName, "Parley: plain text and IRC on one event loop, with plugins")
        sendISupport()
    }

    func time() {
        numeric("391", serverName, IRCTime.format(wallClockSeconds()))
    }
}
