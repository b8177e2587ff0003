import ParleyPluginKit

/// A bot that sits in rooms, answers `!echo text` there and echoes private messages back.
/// It never answers a bot, itself included, so two echo bots cannot ping-pong.
final class EchoBot: Plugin {
    static let name = "EchoBot"
    static let version = "1.0.0"
    static let description = "Echoes !echo lines and private messages"

    private let bot: Bot
    private let trigger: String
    private var rooms: Set<String>
    private var echoes = 0

    static func checkConfig(_ config: PluginConfig) throws {
        try config.requireOnly(["nick", "rooms", "trigger"])
        if let trigger = try config.string("trigger"), trigger.isEmpty || trigger.contains(" ") {
            throw PluginError("trigger: one word, like !echo")
        }
    }

    init(host: Host, config: PluginConfig) throws {
        try Self.checkConfig(config)
        trigger = try config.string("trigger", default: "!echo")
        bot = try host.createBot(nick: try config.string("nick", default: "EchoBot"))
        let wanted = config.keys.contains("rooms") ? config.list("rooms") : ["#lobby"]
        for room in wanted { try bot.join(room) }
        rooms = Set(wanted.map { $0.lowercased() })
        host.onMessage(.observe) { [unowned self] message in
            try answer(message)
            return .pass
        }
        host.onEvent(.part) { [unowned self] event in
            if event.user == bot.id { rooms.remove(event.room.lowercased()) }
            return .pass
        }
    }

    private func answer(_ message: Message) throws {
        guard try !message.isFromBot, try message.kind != .notice else { return }
        if let room = try message.room {
            guard rooms.contains(room.lowercased()) else { return }
            let text = try message.text
            guard text == trigger || text.hasPrefix(trigger + " ") else { return }
            let echoed = String(text.dropFirst(trigger.count)).drop { $0 == " " }
            guard !echoed.isEmpty else { return }
            try bot.say(to: room, String(echoed))
        } else if try message.recipientID == bot.id {
            try bot.say(to: try message.senderNick, try message.text)
        } else {
            return
        }
        echoes += 1
    }

    // The count of echoes survives a reload.
    func saveState() -> [UInt8]? { Array(String(echoes).utf8) }
    func restoreState(_ state: [UInt8]) { echoes = Int(String(decoding: state, as: UTF8.self)) ?? 0 }
}

@_cdecl("parley_plugin_entry")
public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(EchoBot.self, major, minor) }
