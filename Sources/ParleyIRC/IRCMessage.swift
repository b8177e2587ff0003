/// One IRC protocol message: optional IRCv3 tags, optional source, a command and parameters.
/// Parsing follows the modern client protocol: several spaces separate like one, and a
/// parameter starting with ':' is the trailing one and may hold spaces.
struct IRCMessage: Equatable, Sendable {
    var tags: [(key: String, value: String)]
    var source: String?
    var command: String
    var params: [String]
    /// Write the last parameter with ':' even when it need not be, as servers do for text
    /// (messages, reasons, numerics' descriptions). Not part of equality: both forms parse alike.
    var forceTrailing: Bool

    init(tags: [(key: String, value: String)] = [], source: String? = nil, command: String, params: [String] = [],
                forceTrailing: Bool = false) {
        self.tags = tags
        self.source = source
        self.command = command
        self.params = params
        self.forceTrailing = forceTrailing
    }

    static func == (lhs: IRCMessage, rhs: IRCMessage) -> Bool {
        lhs.tags.elementsEqual(rhs.tags) { $0.key == $1.key && $0.value == $1.value }
            && lhs.source == rhs.source && lhs.command == rhs.command && lhs.params == rhs.params
    }

    /// The limits of the modern protocol: the message body (source, command, parameters)
    /// is at most 510 bytes without CR LF; the tags part at most 8191 bytes with its '@'.
    static let maxBodyBytes = 510
    static let maxTagBytes = 8191

    enum ParseError: Error, Equatable {
        case empty
        case tagsTooLong
        case bodyTooLong
        case noCommand
    }

    /// Parses a line without its CR LF. Splitting works on UTF-8 bytes, not Characters: a
    /// space followed by a combining mark is one Character but still separates parameters.
    /// Spaces before the tags are skipped like any others, so " @a=b PING" has a tag and is
    /// not the command "@a=b" (which no rendering of it could give back).
    static func parse(_ line: Substring) throws(ParseError) -> IRCMessage {
        var rest = dropSpaces(line)
        var tags: [(key: String, value: String)] = []
        if rest.utf8.first == UInt8(ascii: "@") {
            let end = nextSpace(rest)
            if rest.utf8.distance(from: rest.startIndex, to: end) + 1 > maxTagBytes { throw .tagsTooLong }
            tags = parseTags(rest[rest.utf8.index(after: rest.startIndex)..<end])
            rest = rest[end...]
        }
        rest = dropSpaces(rest)
        if rest.isEmpty { throw tags.isEmpty ? .empty : .noCommand }
        if rest.utf8.count > maxBodyBytes { throw .bodyTooLong }
        var source: String?
        if rest.utf8.first == UInt8(ascii: ":") {
            let end = nextSpace(rest)
            source = String(rest[rest.utf8.index(after: rest.startIndex)..<end])
            rest = dropSpaces(rest[end...])
        }
        let commandEnd = nextSpace(rest)
        let command = String(rest[..<commandEnd])
        // A word starting with '@' after the tags is no command: rendered without (empty) tags
        // it would read as a tag section. Real commands are letters or three digits.
        if command.isEmpty || command.utf8.first == UInt8(ascii: "@") { throw .noCommand }
        rest = rest[commandEnd...]
        var params: [String] = []
        while true {
            rest = dropSpaces(rest)
            if rest.isEmpty { break }
            if rest.utf8.first == UInt8(ascii: ":") {
                params.append(String(rest[rest.utf8.index(after: rest.startIndex)...]))
                break
            }
            let end = nextSpace(rest)
            params.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return IRCMessage(tags: tags, source: source, command: command, params: params)
    }

    private static func nextSpace(_ text: Substring) -> Substring.Index {
        text.utf8.firstIndex(of: 0x20) ?? text.endIndex
    }

    private static func dropSpaces(_ text: Substring) -> Substring {
        text[(text.utf8.firstIndex { $0 != 0x20 } ?? text.endIndex)...]
    }

    private static func parseTags(_ text: Substring) -> [(key: String, value: String)] {
        var tags: [(key: String, value: String)] = []
        for item in text.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: true).map({ Substring($0) }) {
            let key: Substring
            var value = ""
            if let equals = item.utf8.firstIndex(of: UInt8(ascii: "=")) {
                key = item[..<equals]
                value = unescapeTagValue(item[item.utf8.index(after: equals)...])
            } else {
                key = item
            }
            guard !key.isEmpty else { continue }
            tags.append((String(key), value))
        }
        // A later duplicate wins, as the spec says, and stands where it came last. One pass
        // with a table: thousands of distinct keys in one line cost linear time, not quadratic.
        guard tags.count > 1 else { return tags }
        var last: [String: Int] = [:]
        last.reserveCapacity(tags.count)
        for (index, tag) in tags.enumerated() { last[tag.key] = index }
        guard last.count < tags.count else { return tags }
        return tags.indices.filter { last[tags[$0].key] == $0 }.map { tags[$0] }
    }

    // Unicode scalars, not Characters: "\r\n" is one Character but two escapes, and a
    // backslash followed by a combining mark is one Character that no Character search finds.
    static func unescapeTagValue(_ text: Substring) -> String {
        guard text.utf8.contains(UInt8(ascii: "\\")) else { return String(text) }
        var out = String.UnicodeScalarView()
        var escaping = false
        for character in text.unicodeScalars {
            if escaping {
                switch character {
                case ":": out.append(";")
                case "s": out.append(" ")
                case "r": out.append("\r")
                case "n": out.append("\n")
                default: out.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return String(out)
    }

    static func escapeTagValue(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == ";" || $0 == " " || $0 == "\\" || $0 == "\r" || $0 == "\n" }) else { return text }
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case ";": out += "\\:"
            case " ": out += "\\s"
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// The wire form without CR LF. The last parameter is written as trailing (':') when it
    /// must be: empty, containing a space, or starting with ':'.
    var serialized: String {
        var bytes: [UInt8] = []
        appendWireForm(to: &bytes)
        return String(decoding: bytes.dropLast(2), as: UTF8.self)
    }

    /// Appends the wire form with its CR LF straight into an output buffer.
    func appendWireForm(to bytes: inout [UInt8]) {
        if !tags.isEmpty {
            bytes.append(UInt8(ascii: "@"))
            for (index, tag) in tags.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ";")) }
                bytes.append(contentsOf: tag.key.utf8)
                if !tag.value.isEmpty {
                    bytes.append(UInt8(ascii: "="))
                    bytes.append(contentsOf: Self.escapeTagValue(tag.value).utf8)
                }
            }
            bytes.append(UInt8(ascii: " "))
        }
        if let source {
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: source.utf8)
            bytes.append(UInt8(ascii: " "))
        }
        bytes.append(contentsOf: command.utf8)
        for (index, param) in params.enumerated() {
            bytes.append(UInt8(ascii: " "))
            let isLast = index == params.count - 1
            if isLast && (forceTrailing || param.isEmpty || param.utf8.contains(UInt8(ascii: " ")) || param.utf8.first == UInt8(ascii: ":")) {
                bytes.append(UInt8(ascii: ":"))
            }
            bytes.append(contentsOf: param.utf8)
        }
        bytes.append(13)
        bytes.append(10)
    }
}
