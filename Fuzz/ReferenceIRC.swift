/// A second IRC parser, written the naive way over bytes straight from the modern protocol
/// (https://modern.ircdocs.horse): the fuzz targets compare `IRCMessage.parse` with it field
/// by field, byte for byte, so a Character-level shortcut in the real one (a grapheme that
/// hides a space, a backslash or a semicolon) shows up as a difference.
enum ReferenceIRC {
    struct Message: Equatable, CustomStringConvertible {
        var tags: [Tag] = []
        var source: [UInt8]?
        var command: [UInt8] = []
        var params: [[UInt8]] = []

        var description: String {
            "tags \(tags), source \(source.map(shown) ?? "none"), command \(shown(command)), params \(params.map(shown))"
        }
    }

    struct Tag: Equatable, CustomStringConvertible {
        var key: [UInt8]
        var value: [UInt8]

        var description: String { "\(shown(key))=\(shown(value))" }
    }

    enum Failure: Error, Equatable {
        case empty, tagsTooLong, bodyTooLong, noCommand
    }

    static let space = UInt8(ascii: " ")

    static func parse(_ line: [UInt8]) -> Result<Message, Failure> {
        var message = Message()
        var at = 0
        func nextSpace(_ from: Int) -> Int { line[from...].firstIndex(of: space) ?? line.count }
        func skipSpaces() { while at < line.count && line[at] == space { at += 1 } }

        // Spaces before the tags separate nothing: they are skipped like any others.
        skipSpaces()
        if at < line.count && line[at] == UInt8(ascii: "@") {
            let end = nextSpace(at)
            // '@', the tags and the space after them: 8191 bytes at most.
            if end - at + 1 > 8191 { return .failure(.tagsTooLong) }
            message.tags = tags(line[(at + 1)..<end])
            at = end
        }
        skipSpaces()
        if at == line.count { return .failure(message.tags.isEmpty ? .empty : .noCommand) }
        if line.count - at > 510 { return .failure(.bodyTooLong) }
        if line[at] == UInt8(ascii: ":") {
            let end = nextSpace(at)
            message.source = Array(line[(at + 1)..<end])
            at = end
            skipSpaces()
        }
        let commandEnd = nextSpace(at)
        message.command = Array(line[at..<commandEnd])
        // A command never starts with '@': a line has one tag section, at its front.
        if message.command.isEmpty || message.command.first == UInt8(ascii: "@") { return .failure(.noCommand) }
        at = commandEnd
        while true {
            skipSpaces()
            if at == line.count { break }
            if line[at] == UInt8(ascii: ":") {
                message.params.append(Array(line[(at + 1)...]))
                break
            }
            let end = nextSpace(at)
            message.params.append(Array(line[at..<end]))
            at = end
        }
        return .success(message)
    }

    /// `key[=value]` items split by ';'; empty items and empty keys are skipped; a later
    /// duplicate wins and stands where it came last. Keys are the same when they are equal
    /// as Swift strings, as the server compares them.
    static func tags(_ section: ArraySlice<UInt8>) -> [Tag] {
        var all: [Tag] = []
        for item in section.split(separator: UInt8(ascii: ";")) {
            let equals = item.firstIndex(of: UInt8(ascii: "="))
            let key = Array(item[..<(equals ?? item.endIndex)])
            guard !key.isEmpty else { continue }
            all.append(Tag(key: key, value: equals.map { unescape(item[($0 + 1)...]) } ?? []))
        }
        var last: [String: Int] = [:]
        for (index, tag) in all.enumerated() { last[String(decoding: tag.key, as: UTF8.self)] = index }
        return all.enumerated().filter { last[String(decoding: $1.key, as: UTF8.self)] == $0 }.map(\.element)
    }

    /// \: is ';', \s a space, \\ a backslash, \r and \n CR and LF; a backslash before any
    /// other character is dropped, and so is one at the end.
    static func unescape(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var escaping = false
        for byte in raw {
            if escaping {
                switch byte {
                case UInt8(ascii: ":"): out.append(UInt8(ascii: ";"))
                case UInt8(ascii: "s"): out.append(space)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "n"): out.append(0x0A)
                default: out.append(byte)
                }
                escaping = false
            } else if byte == UInt8(ascii: "\\") {
                escaping = true
            } else {
                out.append(byte)
            }
        }
        return out
    }
}

extension IRCMessage {
    /// This message in the reference's terms, bytes and all.
    var reference: ReferenceIRC.Message {
        ReferenceIRC.Message(tags: tags.map { ReferenceIRC.Tag(key: $0.key.bytes, value: $0.value.bytes) },
                             source: source?.bytes, command: command.bytes, params: params.map(\.bytes))
    }
}

extension IRCMessage.ParseError {
    var reference: ReferenceIRC.Failure {
        switch self {
        case .empty: return .empty
        case .tagsTooLong: return .tagsTooLong
        case .bodyTooLong: return .bodyTooLong
        case .noCommand: return .noCommand
        }
    }
}

/// Bytes as a quoted Swift string literal, for the invariants' messages.
func shown(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).debugDescription
}
