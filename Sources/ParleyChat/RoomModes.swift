/// A room's modes, IRC style. New rooms start +nt: no messages from outside, topic by operators.
public struct RoomModes: Equatable, Sendable {
    public var inviteOnly = false      // +i
    public var moderated = false       // +m
    public var noExternal = true       // +n
    public var topicLocked = true      // +t
    public var secret = false          // +s
    public var key: String?            // +k
    public var limit: Int?             // +l

    /// The mode string as MODE and 324 show it, with parameters (the key only to members).
    public func describe(showKey: Bool) -> (String, [String]) {
        var letters = "+"
        var params: [String] = []
        if inviteOnly { letters += "i" }
        if moderated { letters += "m" }
        if noExternal { letters += "n" }
        if secret { letters += "s" }
        if topicLocked { letters += "t" }
        if let key {
            letters += "k"
            params.append(showKey ? key : "*")
        }
        if let limit {
            letters += "l"
            params.append(String(limit))
        }
        return (letters, params)
    }
}

/// A member's rank in a room.
public struct MemberStatus: Equatable, Sendable {
    public var isOperator = false      // @
    public var hasVoice = false        // +

    /// The highest prefix, or all of them (IRCv3 multi-prefix).
    public func prefix(all: Bool) -> String {
        if all { return (isOperator ? "@" : "") + (hasVoice ? "+" : "") }
        return isOperator ? "@" : hasVoice ? "+" : ""
    }
}

public struct Ban: Equatable, Sendable {
    public let mask: String
    public let setBy: String
    public let setAt: Double
}

/// One change in a MODE command, already parsed.
public enum RoomModeChange: Equatable, Sendable {
    case flag(Character, Bool)          // i m n s t
    case key(String?)                   // +k key / -k
    case limit(Int?)                    // +l n / -l
    case member(Character, Bool, String) // +o/-o/+v/-v nick
    case ban(Bool, String)              // +b/-b mask
}

extension RoomModeChange {
    /// Parses a MODE change string such as "+ov-k alice bob key", as IRC MODE and plain /mode
    /// both write it. At most `maxWithParameter` changes that take a parameter (ISUPPORT MODES).
    /// Returns the changes, the ban list request (a bare "b"), and complaints about the rest.
    public static func parse(_ letters: String, _ args: [String], maxWithParameter: Int = 20)
        -> (changes: [RoomModeChange], listBans: Bool, problems: [ModeProblem]) {
        var parameters = args.makeIterator()
        var adding = true
        var changes: [RoomModeChange] = []
        var problems: [ModeProblem] = []
        var listBans = false
        var withParameter = 0
        for letter in letters {
            switch letter {
            case "+": adding = true
            case "-": adding = false
            case "i", "m", "n", "s", "t": changes.append(.flag(letter, adding))
            case "k", "l", "o", "v", "b":
                let needsParameter = adding || letter == "o" || letter == "v" || letter == "b"
                let parameter = needsParameter || letter == "k" ? parameters.next() : nil
                if needsParameter && withParameter >= maxWithParameter {
                    problems.append(.tooMany(letter))
                    continue
                }
                if needsParameter { withParameter += 1 }
                switch letter {
                case "k":
                    if !adding { changes.append(.key(nil)); continue }
                    guard let key = parameter, !key.isEmpty, !key.contains(" "), !key.contains(",") else {
                        problems.append(.missingParameter(letter)); continue
                    }
                    changes.append(.key(key))
                case "l":
                    if !adding { changes.append(.limit(nil)); continue }
                    guard let text = parameter, let limit = Int(text), limit > 0 else {
                        problems.append(.missingParameter(letter)); continue
                    }
                    changes.append(.limit(limit))
                case "b":
                    guard let mask = parameter else {
                        if adding { listBans = true } else { problems.append(.missingParameter(letter)) }
                        continue
                    }
                    changes.append(.ban(adding, mask))
                default:
                    guard let nick = parameter else { problems.append(.missingParameter(letter)); continue }
                    changes.append(.member(letter, adding, nick))
                }
            default:
                problems.append(.unknown(letter))
            }
        }
        return (changes, listBans, problems)
    }
}

public enum ModeProblem: Equatable, Sendable {
    case unknown(Character)
    case missingParameter(Character)
    case tooMany(Character)
}

/// IRC glob masks (`*` and `?`) as used by bans, compared under the casemapping.
public enum Mask {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(Casemapping.fold(pattern).utf8), text = Array(Casemapping.fold(text).utf8)
        var p = 0, t = 0, starP = -1, starT = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Completes a partial mask as servers do: `nick` becomes `nick!*@*`, `*@host` `*!*@host`.
    public static func normalize(_ mask: String) -> String {
        if mask.contains("!") { return mask.contains("@") ? mask : mask + "@*" }
        if mask.contains("@") { return "*!" + mask }
        return mask + "!*@*"
    }
}

extension Room {
    /// Applies MODE changes, skipping those that change nothing. Returns what changed, as one
    /// MODE line's letters ("+ov-b") and parameters, and the problems with individual changes
    /// (unknown nicks, a full ban list), which were skipped. Permission is the caller's check.
    func apply(_ changes: [RoomModeChange], by user: ChatUser,
               users: [String: ChatUser]) -> (letters: String, params: [String], problems: [ChatError]) {
        var problems: [ChatError] = []
        var letters = ""
        var sign: Character = " "
        var params: [String] = []
        func note(_ adding: Bool, _ letter: Character, _ param: String? = nil) {
            let wanted: Character = adding ? "+" : "-"
            if sign != wanted {
                letters.append(wanted)
                sign = wanted
            }
            letters.append(letter)
            if let param { params.append(param) }
        }
        for change in changes {
            switch change {
            case .flag(let letter, let adding):
                if setFlag(letter, adding) { note(adding, letter) }
            case .key(let key):
                if modes.key != key {
                    modes.key = key
                    note(key != nil, "k", key ?? "*")
                }
            case .limit(let limit):
                if modes.limit != limit {
                    modes.limit = limit
                    note(limit != nil, "l", limit.map(String.init))
                }
            case .member(let letter, let adding, let nick):
                guard let target = users[Casemapping.fold(nick)], contains(target) else {
                    problems.append(users[Casemapping.fold(nick)] == nil ? .noSuchNick(nick) : .userNotInRoom(nick: nick, room: name))
                    continue
                }
                var status = status(of: target)
                if letter == "o" { status.isOperator = adding } else { status.hasVoice = adding }
                if status != self.status(of: target) {
                    setStatus(target, status)
                    note(adding, letter, target.nick)
                }
            case .ban(let adding, let rawMask):
                let mask = Mask.normalize(rawMask)
                if adding {
                    guard !bans.contains(where: { Casemapping.fold($0.mask) == Casemapping.fold(mask) }) else { continue }
                    guard bans.count < ChatServer.maxBansPerRoom else {
                        problems.append(.banListFull(name, limit: ChatServer.maxBansPerRoom))
                        continue
                    }
                    bans.append(Ban(mask: mask, setBy: user.hostmask, setAt: wallClockSeconds()))
                } else {
                    let before = bans.count
                    bans.removeAll { Casemapping.fold($0.mask) == Casemapping.fold(mask) }
                    if bans.count == before { continue }
                }
                note(adding, "b", mask)
            }
        }
        return (letters, params, problems)
    }

    /// Sets one of i m n s t; returns whether it changed.
    private func setFlag(_ letter: Character, _ adding: Bool) -> Bool {
        var changed = modes
        switch letter {
        case "i": changed.inviteOnly = adding
        case "m": changed.moderated = adding
        case "n": changed.noExternal = adding
        case "s": changed.secret = adding
        case "t": changed.topicLocked = adding
        default: return false
        }
        guard changed != modes else { return false }
        modes = changed
        return true
    }
}
