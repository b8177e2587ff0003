import ParleyConfig

/// The numerics whose text depends only on the config (002-005 and the MOTD), serialized once
/// per config with a slot for the recipient's nick: a registration then copies bytes instead of
/// building twenty lines of strings.
final class IRCReplyTemplates {
    /// One serialized line, CRLF included, split where the nick goes.
    struct Line {
        let head: [UInt8]
        let tail: [UInt8]
    }

    let hostInfo: [Line]
    let isupport: [Line]
    let motd: [Line]

    init(config: Config, startedAt: Double) {
        let server = config.server.name
        func line(_ code: String, _ params: [String]) -> Line {
            let marker = "\u{1}"
            let text = IRCMessage(source: server, command: code, params: [marker] + params, forceTrailing: true).serialized
            let bytes = Array(text.utf8) + [13, 10]
            let slot = bytes.firstIndex(of: 1)!
            return Line(head: Array(bytes[..<slot]), tail: Array(bytes[(slot + 1)...]))
        }
        hostInfo = [
            line("002", ["Your host is \(server), running version \(parleyVersion)"]),
            line("003", ["This server was created \(IRCTime.format(startedAt))"]),
            line("004", [server, parleyVersion, "io", "bklmnostv", "bklov"]),
        ]
        let tokens = isupportTokens(config)
        isupport = stride(from: 0, to: tokens.count, by: 12).map { start in
            line("005", Array(tokens[start..<min(start + 12, tokens.count)]) + ["are supported by this server"])
        }
        let text = config.server.motd
        motd = text.isEmpty
            ? [line("422", ["MOTD File is missing"])]
            : [line("375", ["- \(server) Message of the day - "])] + text.map { line("372", ["- \($0)"]) }
                + [line("376", ["End of /MOTD command."])]
    }

    static func append(_ lines: [Line], nick: String, to bytes: inout [UInt8]) {
        for line in lines {
            bytes.append(contentsOf: line.head)
            bytes.append(contentsOf: nick.utf8)
            bytes.append(contentsOf: line.tail)
        }
    }
}
