import CParleyPlugin
import Glibc
import Logging
import CParleySys
import Synchronization

/// The C function table handed to every plugin. Each entry finds the plugin from its
/// handle, refuses calls from other threads or from retired generations, and forwards.
enum HostAPITable {
    nonisolated(unsafe) static let pointer: UnsafePointer<parley_host_api> = {
        let table = UnsafeMutablePointer<parley_host_api>.allocate(capacity: 1)
        table.initialize(to: parley_host_api(
            size: MemoryLayout<parley_host_api>.size,
            abi_major: UInt32(PARLEY_ABI_MAJOR),
            abi_minor: UInt32(PARLEY_ABI_MINOR),
            set_error: { handle, message in
                guard let plugin = onLoop(handle, allowRetired: true) else { return }
                plugin.lastError = message.copyText(limit: 4096) ?? "(the plugin's error message was not valid UTF-8)"
            },
            log: { handle, level, message in
                guard let plugin = onLoop(handle, allowRetired: true) else { return }
                let text = message.copyText(limit: 4096) ?? "(invalid UTF-8 from the plugin)"
                let names = ["debug", "info", "warning", "error"]
                plugin.host.log(plugin, names[Int(max(0, min(3, level)))], text)
            },
            hook_message: { handle, phase, hook, userdata in
                guard let plugin = onLoop(handle), let hook else { return Int32(PARLEY_ERR_STATE) }
                guard phase.rawValue <= PARLEY_PHASE_OBSERVE.rawValue else { return Int32(PARLEY_ERR_INVALID) }
                plugin.host.messageHooks[Int(phase.rawValue)].append(.init(owner: plugin, function: hook, userdata: userdata))
                plugin.host.rebuildHookOrder()
                return Int32(PARLEY_OK)
            },
            hook_event: { handle, kind, hook, userdata in
                guard let plugin = onLoop(handle), let hook else { return Int32(PARLEY_ERR_STATE) }
                guard kind.rawValue <= PARLEY_EVENT_NICK.rawValue else { return Int32(PARLEY_ERR_INVALID) }
                plugin.host.eventHooks[kind.rawValue, default: []].append(.init(owner: plugin, function: hook, userdata: userdata))
                plugin.host.rebuildHookOrder()
                return Int32(PARLEY_OK)
            },
            register_command: { handle, name, usage, help, function, userdata in
                guard let plugin = onLoop(handle), let function else { return Int32(PARLEY_ERR_STATE) }
                guard let name = name.copyText(limit: 32), let usage = usage.copyText(limit: 200),
                      let help = help.copyText(limit: 400) else { return Int32(PARLEY_ERR_INVALID) }
                return plugin.host.register(PluginCommand(name: name, usage: usage, help: help, owner: plugin,
                                                          kind: .freeform(function, userdata)))
            },
            register_typed_command: { handle, command in
                guard let plugin = onLoop(handle), let command else { return Int32(PARLEY_ERR_STATE) }
                return plugin.host.registerTyped(command.pointee, owner: plugin)
            },
            message_set_text: { handle, message, text in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let call = plugin.host.currentMessage, call.owner === plugin, call.pointer == UnsafeRawPointer(message),
                      call.phase == PARLEY_PHASE_TRANSFORM.rawValue else {
                    plugin.host.log(plugin, "warning", "message_set_text refused: only inside a TRANSFORM hook, on its message")
                    return Int32(PARLEY_ERR_STATE)
                }
                guard let copied = text.copyText(limit: plugin.host.maxTextBytes) else {
                    plugin.host.log(plugin, "warning", "message_set_text refused: the text is not valid UTF-8, contains a line break or NUL, or is over \(plugin.host.maxTextBytes) bytes; the message keeps its text")
                    return Int32(PARLEY_ERR_INVALID)
                }
                call.newText = copied
                return Int32(PARLEY_OK)
            },
            message_reject: { handle, message, reason in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let call = plugin.host.currentMessage, call.owner === plugin, call.pointer == UnsafeRawPointer(message),
                      call.phase <= PARLEY_PHASE_TRANSFORM.rawValue else { return Int32(PARLEY_ERR_STATE) }
                guard let copied = reason.copyText(limit: 400) else { return Int32(PARLEY_ERR_INVALID) }
                call.rejectReason = copied
                return Int32(PARLEY_OK)
            },
            message_annotate: { handle, message, key, value in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let call = plugin.host.currentMessage, call.owner === plugin, call.pointer == UnsafeRawPointer(message),
                      call.phase == PARLEY_PHASE_ANNOTATE.rawValue || call.phase == PARLEY_PHASE_TRANSFORM.rawValue else {
                    return Int32(PARLEY_ERR_STATE)
                }
                guard let key = key.copyText(limit: 64), !key.isEmpty, let value = value.copyText(limit: 400) else {
                    return Int32(PARLEY_ERR_INVALID)
                }
                call.annotations.removeAll { $0.key == key }
                call.annotations.append((key, value))
                return Int32(PARLEY_OK)
            },
            event_reject: { handle, event, reason in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let call = plugin.host.currentEvent, call.owner === plugin, call.pointer == UnsafeRawPointer(event) else {
                    return Int32(PARLEY_ERR_STATE)
                }
                guard let copied = reason.copyText(limit: 400) else { return Int32(PARLEY_ERR_INVALID) }
                call.rejectReason = copied
                return Int32(PARLEY_OK)
            },
            reply: { handle, callPointer, text in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let call = plugin.host.currentCommand, call.owner === plugin,
                      call.pointer == UnsafeRawPointer(callPointer) else { return Int32(PARLEY_ERR_STATE) }
                guard let copied = text.copyText(limit: plugin.host.maxTextBytes) else { return Int32(PARLEY_ERR_INVALID) }
                plugin.host.notify(call.caller, copied)
                return Int32(PARLEY_OK)
            },
            notice: { handle, userID, text in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let user = plugin.host.chat.users[userID] else { return Int32(PARLEY_ERR_NOT_FOUND) }
                guard let copied = text.copyText(limit: plugin.host.maxTextBytes) else { return Int32(PARLEY_ERR_INVALID) }
                plugin.host.notify(user, copied)
                return Int32(PARLEY_OK)
            },
            timer_add: { handle, milliseconds, repeating, function, userdata in
                guard let plugin = onLoop(handle), let function else { return 0 }
                return plugin.host.addTimer(plugin, milliseconds: milliseconds, repeating: repeating != 0,
                                            function: function, userdata: userdata)
            },
            timer_cancel: { handle, timer in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let id = plugin.timers.removeValue(forKey: timer) else { return Int32(PARLEY_ERR_NOT_FOUND) }
                plugin.host.context.loop.timers.cancel(id)
                return Int32(PARLEY_OK)
            },
            bot_create: { handle, nick in
                guard let plugin = onLoop(handle), let nick = nick.copyText(limit: 64) else { return 0 }
                return plugin.host.createBot(plugin, nick: nick)
            },
            bot_join: { handle, bot, room in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let user = plugin.bots[bot] else { return Int32(PARLEY_ERR_NOT_FOUND) }
                guard let room = room.copyText(limit: 200) else { return Int32(PARLEY_ERR_INVALID) }
                do {
                    try plugin.host.chat.join(user, roomNamed: room)
                    return Int32(PARLEY_OK)
                } catch {
                    plugin.host.log(plugin, "warning", "bot \(user.nick) cannot join \(room): \(error)")
                    return Int32(PARLEY_ERR_INVALID)
                }
            },
            bot_part: { handle, bot, room in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let user = plugin.bots[bot], let room = room.copyText(limit: 200) else { return Int32(PARLEY_ERR_NOT_FOUND) }
                do {
                    try plugin.host.chat.part(user, roomNamed: room, reason: nil)
                    return Int32(PARLEY_OK)
                } catch {
                    return Int32(PARLEY_ERR_NOT_FOUND)
                }
            },
            bot_say: { handle, bot, target, text in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                return plugin.host.botSay(plugin, bot: bot, target: target, text: text)
            },
            bot_destroy: { handle, bot in
                guard let plugin = onLoop(handle) else { return Int32(PARLEY_ERR_STATE) }
                guard let user = plugin.bots.removeValue(forKey: bot) else { return Int32(PARLEY_ERR_NOT_FOUND) }
                plugin.host.chat.quit(user, reason: "Bot removed")
                return Int32(PARLEY_OK)
            },
            post: { handle, function, userdata in
                // The one call allowed from any thread: it only touches the locked post box.
                guard let plugin = LoadedPlugin.from(handle), let function else { return Int32(PARLEY_ERR_INVALID) }
                return plugin.host.postBox.post(plugin, function, userdata) ? Int32(PARLEY_OK) : Int32(PARLEY_ERR_STATE)
            }
        ))
        return UnsafePointer(table)
    }()

    /// The calling plugin, when the call is allowed: on the loop thread, from a live generation.
    static func onLoop(_ handle: OpaquePointer?, allowRetired: Bool = false) -> LoadedPlugin? {
        guard let plugin = LoadedPlugin.from(handle) else { return nil }
        guard pthread_equal(pthread_self(), plugin.host.loopThread) != 0 else {
            writeToStandardError("parley: plugin \(plugin.name) called the host from another thread; refused (use post)\n")
            return nil
        }
        guard allowRetired || plugin.state != .retired else { return nil }
        return plugin
    }
}

extension PluginHost {
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
        let timer = context.loop.timers.schedule(afterMilliseconds: milliseconds, repeating: repeating) { [unowned self, unowned plugin] in
            guard plugin.state == .running else { return }
            if !repeating { plugin.timers[id] = nil }
            plugin.call("timer") { function(plugin.handle, userdata) }
            scheduleBotMessages()
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
            plugin.lastError = "cannot create bot \(nick): \(error)"
            log(plugin, "warning", "cannot create bot \(nick): \(error)")
            return 0
        }
    }

    func botSay(_ plugin: LoadedPlugin, bot: UInt64, target: parley_str, text: parley_str) -> Int32 {
        guard let user = plugin.bots[bot] else { return Int32(PARLEY_ERR_NOT_FOUND) }
        guard let targetName = target.copyText(limit: 200) else { return Int32(PARLEY_ERR_INVALID) }
        guard let copied = text.copyText(limit: maxTextBytes), !copied.isEmpty else {
            log(plugin, "warning", "bot_say refused: text is empty, not valid UTF-8, has a line break or NUL, or is over \(maxTextBytes) bytes")
            return Int32(PARLEY_ERR_INVALID)
        }
        let destination: MessageTarget
        if targetName.hasPrefix("#") {
            guard let room = chat.room(named: targetName) else { return Int32(PARLEY_ERR_NOT_FOUND) }
            destination = .room(room)
        } else {
            guard let recipient = chat.user(nick: targetName) else { return Int32(PARLEY_ERR_NOT_FOUND) }
            destination = .user(recipient)
        }
        // Loop guard, part two: a bot answering a bot answering ... stops at a fixed depth.
        let depth = (currentMessage?.depth ?? 0) + 1
        guard depth <= maxBotDepth else {
            logger.warning("bot message dropped", metadata: ["plugin": "\(plugin.name)", "bot": "\(user.nick)",
                                                             "reason": "loop guard: reply depth \(depth) over \(maxBotDepth)"])
            return Int32(PARLEY_ERR_STATE)
        }
        var message = ChatMessage(sender: user, target: destination, kind: .say, text: copied)
        message.botDepth = depth
        pendingBotMessages.append(message)
        return Int32(PARLEY_OK)
    }
}

/// Bots have no connection: what would be sent to them is simply not rendered.
final class BotClient: ChatClient {
    nonisolated(unsafe) static let shared = BotClient()
    func renderKey(for event: ChatEvent) -> Int { -1 }
    func render(_ event: ChatEvent) -> OutBytes? { nil }
    func send(_ bytes: OutBytes, _ range: Range<Int>) {}
    func disconnect(reason: String) {}
}

/// Work posted from other threads, run on the loop thread after a wake-up byte.
final class PostBox: IOHandler {
    private struct Posted: @unchecked Sendable {
        let plugin: LoadedPlugin
        let function: parley_posted_fn
        let userdata: UnsafeMutableRawPointer?
    }

    private let queue = Mutex<[Posted]>([])
    private var readFD: Int32 = -1
    private var writeFD: Int32 = -1

    init(loop: EventLoop) {
        var fds: [Int32] = [-1, -1]
        if parley_pipe_nonblocking(&fds) == 0 {
            readFD = fds[0]
            writeFD = fds[1]
            loop.register(fd: readFD, events: Int16(POLLIN), handler: self)
        }
    }

    func post(_ plugin: LoadedPlugin, _ function: @escaping parley_posted_fn, _ userdata: UnsafeMutableRawPointer?) -> Bool {
        guard writeFD >= 0 else { return false }
        queue.withLock { $0.append(Posted(plugin: plugin, function: function, userdata: userdata)) }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
        return true
    }

    func forget(_ plugin: LoadedPlugin) {
        queue.withLock { $0.removeAll { $0.plugin === plugin } }
    }

    func handleIO(revents: Int16) {
        var sink = [UInt8](repeating: 0, count: 256)
        while read(readFD, &sink, sink.count) > 0 {}
        let work = queue.withLock { queue -> [Posted] in
            defer { queue.removeAll() }
            return queue
        }
        for item in work where item.plugin.state == .running {
            item.plugin.call("posted") { item.function(item.userdata) }
        }
    }
}
