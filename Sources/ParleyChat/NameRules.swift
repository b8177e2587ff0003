/// Which nicknames and room names are valid. Shared by both front-ends, so a name one
/// protocol accepts is always usable from the other.
public struct NameRules: Sendable, Equatable {
    public var nickLength: Int
    public var roomLength: Int
    public var topicLength: Int

    public init(nickLength: Int = 30, roomLength: Int = 50, topicLength: Int = 390) {
        self.nickLength = nickLength
        self.roomLength = roomLength
        self.topicLength = topicLength
    }

    /// IRC's nick grammar: a letter or one of `[]\`_^{|}` first, then also digits and `-`.
    /// Returns why the nick is invalid, or nil when it is fine.
    public func nickProblem(_ nick: String) -> String? {
        if nick.isEmpty { return "a nickname cannot be empty" }
        let bytes = Array(nick.utf8)
        if bytes.count > nickLength { return "a nickname is at most \(nickLength) characters" }
        if !Self.isNickStart(bytes[0]) {
            return "a nickname must start with a letter or one of [ ] \\ ` _ ^ { | }"
        }
        if let bad = bytes.first(where: { !Self.isNickStart($0) && !Self.isDigitOrDash($0) }) {
            let shown = bad < 0x80 ? "'\(Character(Unicode.Scalar(bad)))'" : "non-ASCII characters"
            return "a nickname may contain only letters, digits and [ ] \\ ` _ ^ { | } -, not \(shown)"
        }
        return nil
    }

    /// Rooms start with `#` and contain no space, comma, colon or control character.
    public func roomProblem(_ name: String) -> String? {
        guard name.hasPrefix("#") else { return "a room name starts with #, like #general" }
        if name.utf8.count < 2 { return "a room name needs at least one character after #" }
        if name.utf8.count > roomLength { return "a room name is at most \(roomLength) bytes" }
        if name.utf8.contains(where: { $0 <= 0x20 || $0 == 0x2C || $0 == 0x3A || $0 == 0x7F }) {
            return "a room name cannot contain spaces, commas, colons or control characters"
        }
        return nil
    }

    /// 0x41...0x7D is exactly A-Z, [ \ ] ^ _ `, a-z and { | }.
    private static func isNickStart(_ byte: UInt8) -> Bool {
        byte >= 0x41 && byte <= 0x7D
    }

    private static func isDigitOrDash(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
    }
}
