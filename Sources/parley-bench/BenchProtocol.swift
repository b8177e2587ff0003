/// How the generator speaks to a server: Parley's plain protocol, or IRC (any IRC server).
enum BenchProtocol: String, CaseIterable {
    case plain
    case irc

    func register(_ nick: String) -> [UInt8] {
        switch self {
        case .plain: return Array("\(nick)\n".utf8)
        case .irc: return Array("NICK \(nick)\r\nUSER \(nick) 0 * :bench\r\n".utf8)
        }
    }

    func isRegistration(_ line: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .plain: return line.contains("You are now known as")
        case .irc: return line.contains(" 001 ")
        }
    }

    func join(_ channel: String) -> [UInt8] {
        switch self {
        case .plain: return Array("/join \(channel)\n".utf8)
        case .irc: return Array("JOIN \(channel)\r\n".utf8)
        }
    }

    /// The line that says our own join of `channel` finished (its members listed). Plain
    /// clients also get such a line for the default room, hence the room name check.
    func isJoinDone(_ line: UnsafeRawBufferPointer, channel: String) -> Bool {
        switch self {
        case .plain: return line.starts(with: Array("-!- \(channel) has ".utf8))
        case .irc: return line.contains(" 366 ")
        }
    }

    func message(_ channel: String, _ text: String) -> [UInt8] {
        switch self {
        case .plain: return Array("\(text)\n".utf8)
        case .irc: return Array("PRIVMSG \(channel) :\(text)\r\n".utf8)
        }
    }

    /// What leaves the room a client was put in on registration: plain clients start in the
    /// server's default room; IRC clients start in none.
    var leaveDefaultRoom: [UInt8]? {
        switch self {
        case .plain: return Array("/part\n".utf8)
        case .irc: return nil
        }
    }

    /// The answer to a server PING, if the line is one.
    func pong(_ line: UnsafeRawBufferPointer) -> [UInt8]? {
        guard self == .irc, line.count >= 5, line.starts(with: Array("PING ".utf8)) else { return nil }
        return Array("PONG ".utf8) + Array(line[5...]) + [0x0D, 0x0A]
    }
}
