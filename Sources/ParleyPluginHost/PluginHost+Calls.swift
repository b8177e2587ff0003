import CParleyPlugin
import CParleySys
import Glibc
import Logging
import ParleyBytes
import ParleyChat
import ParleyLoop

/// What the host API entries do on a plugin's behalf: logging, typed commands, timers and bots.
extension PluginHost {
    /// A host call that refuses what the plugin asked says why: in the log, naming the plugin
    /// and what happened instead (`outcome`), and to the plugin through host->last_error (the
    /// Swift SDK throws it). Returns `code`.
    func refuse(_ plugin: LoadedPlugin, _ call: String, _ reason: String, code: Int32 = Int32(PARLEY_ERR_INVALID),
                outcome: String = "nothing was sent") -> Int32 {
        log(plugin, "warning", "\(call) refused: \(reason); \(outcome)")
        plugin.lastError = "\(call) refused: \(reason)"
        plugin.setRefusal(reason)
        return code
    }

    /// One line per slow call: every other client waited for it (the loop has one thread).
    func reportOverBudget(_ plugin: LoadedPlugin, _ hook: StaticString, detail: String?, _ nanoseconds: UInt64) {
        logger.warning("plugin hook over budget", metadata: [
            "plugin": "\(plugin.name)", "hook": "\(detail.map { "\(hook) \($0)" } ?? "\(hook)")", "milliseconds": "\(milliseconds(nanoseconds))",
            "budget_milliseconds": "\(config.plugins.hookBudgetMilliseconds)",
            "reason": "everyone else waited for it; see plugin_hook_budget_milliseconds",
        ])
    }

    func log(_ plugin: LoadedPlugin, _ level: String, _ text: String) {
        let metadata: Logger.Metadata = ["plugin": "\(plugin.name)"]
        switch level {
        case "debug": logger.debug("\(text)", metadata: metadata)
        case "info": logger.info("\(text)", metadata: metadata)
        case "warning": logger.warning("\(text)", metadata: metadata)
        default: logger.error("\(text)", metadata: metadata)
        }
    }

    func registerTyped(_ command: parley_typed_command, owner: LoadedPlugin) -> Int32 {
        guard let function = command.function, let name = command.name.copyText(limit: 32),
              let help = command.help.copyText(limit: 400), command.arg_count <= 16,
              command.return_type <= PARLEY_TYPE_STRING.rawValue else { return Int32(PARLEY_ERR_INVALID) }
        var arguments: [TypedSignature.Argument] = []
        for index in 0..<Int(command.arg_count) {
            guard let raw = command.args?[index], let argName = raw.name.copyText(limit: 32),
                  raw.type != PARLEY_TYPE_VOID.rawValue, raw.type <= PARLEY_TYPE_STRING.rawValue else {
                return Int32(PARLEY_ERR_INVALID)
            }
            var low = raw.min, high = raw.max
            if raw.type == PARLEY_TYPE_INT32.rawValue {
                low = max(low, Int64(Int32.min))
                high = min(high, Int64(Int32.max))
            }
            guard low <= high else { return Int32(PARLEY_ERR_INVALID) }
            arguments.append(.init(name: argName, type: raw.type, range: low...high))
        }
        let signature = TypedSignature(returnType: command.return_type, arguments: arguments, function: function)
        return register(PluginCommand(name: name, usage: signature.usage, help: help, owner: owner, kind: .typed(signature)))
    }

    func addTimer(_ plugin: LoadedPlugin, milliseconds: UInt64, repeating: Bool,
                  function: @escaping parley_timer_fn, userdata: UnsafeMutableRawPointer?) -> UInt64 {
        nextTimerID += 1
        let id = nextTimerID
        let timer = loop.timers.schedule(afterMilliseconds: milliseconds, repeating: repeating) { [unowned plugin] in
            guard plugin.state == .running else { return }
            if !repeating { plugin.timers[id] = nil }
            plugin.call("timer") { function(plugin.handle, userdata) }
        }
        plugin.timers[id] = timer
        return id
    }

    func createBot(_ plugin: LoadedPlugin, nick: String) -> UInt64 {
        do {
            let bot = try chat.registerBot(nick: nick, client: BotClient.shared)
            plugin.bots[bot.id] = bot
            logger.info("bot created", metadata: ["plugin": "\(plugin.name)", "nick": "\(nick)"])
            return bot.id
        } catch {
            _ = refuse(plugin, "bot_create \(nick)", "\(error)", outcome: "no bot was created")
            return 0
        }
    }

    func botSay(_ plugin: LoadedPlugin, bot: UInt64, target: parley_str, text: parley_str) -> Int32 {
        guard let user = plugin.bots[bot] else {
            return refuse(plugin, "bot_say", "no bot \(bot) of this plugin", code: Int32(PARLEY_ERR_NOT_FOUND))
        }
        guard let targetName = target.copyText(limit: 200) else {
            return refuse(plugin, "bot_say", "the target: \(target.textProblem(limit: 200))")
        }
        guard let copied = text.copyText(limit: maxTextBytes), !copied.isEmpty else {
            return refuse(plugin, "bot_say", text.len == 0 ? "the text is empty" : text.textProblem(limit: maxTextBytes))
        }
        let destination: MessageTarget
        if targetName.hasPrefix("#") {
            guard let room = chat.room(named: targetName) else {
                return refuse(plugin, "bot_say", "no room \(targetName)", code: Int32(PARLEY_ERR_NOT_FOUND))
            }
            destination = .room(room)
        } else {
            guard let recipient = chat.user(nick: targetName) else {
                return refuse(plugin, "bot_say", "no user \(targetName)", code: Int32(PARLEY_ERR_NOT_FOUND))
            }
            destination = .user(recipient)
        }
        // Loop guard, part two: a bot answering a bot answering ... stops at a fixed depth.
        let depth = (currentMessage?.depth ?? 0) + 1
        guard depth <= maxBotDepth else {
            let reason = "loop guard: reply depth \(depth) over \(maxBotDepth)"
            logger.warning("bot message dropped", metadata: ["plugin": "\(plugin.name)", "bot": "\(user.nick)", "reason": "\(reason)"])
            plugin.setRefusal(reason)
            return Int32(PARLEY_ERR_STATE)
        }
        var message = ChatMessage(sender: user, target: destination, kind: .say, text: copied)
        message.botDepth = depth
        pendingBotMessages.append(message)
        return Int32(PARLEY_OK)
    }
}
