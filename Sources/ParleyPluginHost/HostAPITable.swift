import CParleyPlugin
import CParleySys
import Glibc
import Logging
import ParleyBytes
import ParleyChat
import ParleyLoop

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
                checked(handle, anyStage: true, failure: ()) { plugin in
                    plugin.lastError = message.copyText(limit: 4096) ?? "(the plugin's error message was not valid UTF-8)"
                }
            },
            log: { handle, level, message in
                checked(handle, anyStage: true, failure: ()) { plugin in
                    let text = message.copyText(limit: 4096) ?? "(invalid UTF-8 from the plugin)"
                    let names = ["debug", "info", "warning", "error"]
                    plugin.host.log(plugin, names[Int(max(0, min(3, level)))], text)
                }
            },
            hook_message: { handle, phase, hook, userdata in
                checked(handle) { plugin in
                    guard let hook else { return Int32(PARLEY_ERR_STATE) }
                    guard phase.rawValue <= PARLEY_PHASE_OBSERVE.rawValue else { return Int32(PARLEY_ERR_INVALID) }
                    plugin.host.messageHooks[Int(phase.rawValue)].append(.init(owner: plugin, function: hook, userdata: userdata))
                    plugin.host.rebuildHookOrder()
                    return Int32(PARLEY_OK)
                }
            },
            hook_event: { handle, kind, hook, userdata in
                checked(handle) { plugin in
                    guard let hook else { return Int32(PARLEY_ERR_STATE) }
                    guard kind.rawValue <= PARLEY_EVENT_NICK.rawValue else { return Int32(PARLEY_ERR_INVALID) }
                    plugin.host.eventHooks[kind.rawValue, default: []].append(.init(owner: plugin, function: hook, userdata: userdata))
                    plugin.host.rebuildHookOrder()
                    return Int32(PARLEY_OK)
                }
            },
            register_command: { handle, name, usage, help, function, userdata in
                checked(handle) { plugin in
                    guard let function else { return Int32(PARLEY_ERR_STATE) }
                    guard let name = name.copyText(limit: 32) else {
                        return plugin.host.refuse(plugin, "register_command", "the name: \(name.textProblem(limit: 32))", outcome: "no command was added")
                    }
                    guard let usage = usage.copyText(limit: 200), let help = help.copyText(limit: 400) else {
                        return plugin.host.refuse(plugin, "register_command /\(name)", "the usage (200 bytes at most) or help (400) is over its limit, not valid UTF-8 or has a line break or NUL", outcome: "no command was added")
                    }
                    return plugin.host.register(PluginCommand(name: name, usage: usage, help: help, owner: plugin,
                                                              kind: .freeform(function, userdata)))
                }
            },
            register_typed_command: { handle, command in
                checked(handle) { plugin in
                    guard let command else { return Int32(PARLEY_ERR_STATE) }
                    return plugin.host.registerTyped(command.pointee, owner: plugin)
                }
            },
            message_set_text: { handle, message, text in
                checked(handle) { plugin in
                    guard let call = plugin.host.currentMessage, call.owner === plugin, call.pointer == UnsafeRawPointer(message),
                          call.phase == PARLEY_PHASE_TRANSFORM.rawValue else {
                        return plugin.host.refuse(plugin, "message_set_text", "only inside a TRANSFORM hook, on its message",
                                                  code: Int32(PARLEY_ERR_STATE), outcome: "the message keeps its text")
                    }
                    guard let copied = text.copyText(limit: plugin.host.maxTextBytes) else {
                        return plugin.host.refuse(plugin, "message_set_text", text.textProblem(limit: plugin.host.maxTextBytes),
                                                  outcome: "the message keeps its text")
                    }
                    call.newText = copied
                    return Int32(PARLEY_OK)
                }
            },
            message_reject: { handle, message, reason in
                checked(handle) { plugin in
                    guard let call = plugin.host.currentMessage, call.owner === plugin, call.pointer == UnsafeRawPointer(message),
                          call.phase <= PARLEY_PHASE_TRANSFORM.rawValue else {
                        return plugin.host.refuse(plugin, "message_reject", "only inside a VALIDATE or TRANSFORM hook, on its message",
                                                  code: Int32(PARLEY_ERR_STATE), outcome: "no reason was set")
                    }
                    guard let copied = reason.copyText(limit: 400) else {
                        return plugin.host.refuse(plugin, "message_reject", "the reason: \(reason.textProblem(limit: 400))",
                                                  outcome: "a rejection says 'refused by \(plugin.name)'")
                    }
                    call.rejectReason = copied
                    return Int32(PARLEY_OK)
                }
            },
            message_annotate: { handle, message, key, value in
                checked(handle) { plugin in
                    guard let call = plugin.host.currentMessage, call.owner === plugin, call.pointer == UnsafeRawPointer(message),
                          call.phase == PARLEY_PHASE_ANNOTATE.rawValue || call.phase == PARLEY_PHASE_TRANSFORM.rawValue else {
                        return plugin.host.refuse(plugin, "message_annotate", "only inside an ANNOTATE or TRANSFORM hook, on its message",
                                                  code: Int32(PARLEY_ERR_STATE), outcome: "nothing was attached")
                    }
                    guard let copiedKey = key.copyText(limit: 64), !copiedKey.isEmpty else {
                        return plugin.host.refuse(plugin, "message_annotate",
                                                  key.len == 0 ? "the key is empty" : "the key: \(key.textProblem(limit: 64))",
                                                  outcome: "nothing was attached")
                    }
                    guard let value = value.copyText(limit: 400) else {
                        return plugin.host.refuse(plugin, "message_annotate \(copiedKey)", "the value: \(value.textProblem(limit: 400))",
                                                  outcome: "nothing was attached")
                    }
                    let key = copiedKey
                    call.annotations.removeAll { $0.key == key }
                    call.annotations.append((key, value))
                    return Int32(PARLEY_OK)
                }
            },
            event_reject: { handle, event, reason in
                checked(handle) { plugin in
                    guard let call = plugin.host.currentEvent, call.owner === plugin, call.pointer == UnsafeRawPointer(event) else {
                        return plugin.host.refuse(plugin, "event_reject", "only inside an event hook, on its event",
                                                  code: Int32(PARLEY_ERR_STATE), outcome: "no reason was set")
                    }
                    guard let copied = reason.copyText(limit: 400) else {
                        return plugin.host.refuse(plugin, "event_reject", "the reason: \(reason.textProblem(limit: 400))",
                                                  outcome: "a refusal says 'refused by \(plugin.name)'")
                    }
                    call.rejectReason = copied
                    return Int32(PARLEY_OK)
                }
            },
            reply: { handle, callPointer, text in
                checked(handle) { plugin in
                    guard let call = plugin.host.currentCommand, call.owner === plugin,
                          call.pointer == UnsafeRawPointer(callPointer) else {
                        return plugin.host.refuse(plugin, "reply", "only inside the command, on its call", code: Int32(PARLEY_ERR_STATE))
                    }
                    guard let copied = text.copyText(limit: plugin.host.maxTextBytes) else {
                        return plugin.host.refuse(plugin, "reply", text.textProblem(limit: plugin.host.maxTextBytes))
                    }
                    plugin.host.notify(call.caller, copied)
                    return Int32(PARLEY_OK)
                }
            },
            notice: { handle, userID, text in
                checked(handle) { plugin in
                    guard let user = plugin.host.chat.users[userID] else {
                        return plugin.host.refuse(plugin, "notice", "no user \(userID)", code: Int32(PARLEY_ERR_NOT_FOUND))
                    }
                    guard let copied = text.copyText(limit: plugin.host.maxTextBytes) else {
                        return plugin.host.refuse(plugin, "notice", text.textProblem(limit: plugin.host.maxTextBytes))
                    }
                    plugin.host.notify(user, copied)
                    return Int32(PARLEY_OK)
                }
            },
            timer_add: { handle, milliseconds, repeating, function, userdata in
                checked(handle, failure: 0) { plugin in
                    guard let function else { return 0 }
                    return plugin.host.addTimer(plugin, milliseconds: milliseconds, repeating: repeating != 0,
                                                function: function, userdata: userdata)
                }
            },
            timer_cancel: { handle, timer in
                checked(handle) { plugin in
                    guard let id = plugin.timers.removeValue(forKey: timer) else { return Int32(PARLEY_ERR_NOT_FOUND) }
                    plugin.host.loop.timers.cancel(id)
                    return Int32(PARLEY_OK)
                }
            },
            bot_create: { handle, nick in
                checked(handle, failure: 0) { plugin in
                    guard let nick = nick.copyText(limit: 64) else {
                        _ = plugin.host.refuse(plugin, "bot_create", "the nick: \(nick.textProblem(limit: 64))", outcome: "no bot was created")
                        return 0
                    }
                    return plugin.host.createBot(plugin, nick: nick)
                }
            },
            bot_join: { handle, bot, room in
                checked(handle) { plugin in
                    guard let user = plugin.bots[bot] else {
                        return plugin.host.refuse(plugin, "bot_join", "no bot \(bot) of this plugin", code: Int32(PARLEY_ERR_NOT_FOUND), outcome: "nobody joined")
                    }
                    guard let room = room.copyText(limit: 200) else {
                        return plugin.host.refuse(plugin, "bot_join", "the room: \(room.textProblem(limit: 200))", outcome: "nobody joined")
                    }
                    do {
                        try plugin.host.chat.join(user, roomNamed: room)
                        return Int32(PARLEY_OK)
                    } catch {
                        return plugin.host.refuse(plugin, "bot_join", "bot \(user.nick) cannot join \(room): \(error)", outcome: "nobody joined")
                    }
                }
            },
            bot_part: { handle, bot, room in
                checked(handle) { plugin in
                    guard let user = plugin.bots[bot], let room = room.copyText(limit: 200) else { return Int32(PARLEY_ERR_NOT_FOUND) }
                    do {
                        try plugin.host.chat.part(user, roomNamed: room, reason: nil)
                        return Int32(PARLEY_OK)
                    } catch {
                        return Int32(PARLEY_ERR_NOT_FOUND)
                    }
                }
            },
            bot_say: { handle, bot, target, text in
                checked(handle) { plugin in
                    return plugin.host.botSay(plugin, bot: bot, target: target, text: text)
                }
            },
            bot_destroy: { handle, bot in
                checked(handle) { plugin in
                    guard let user = plugin.bots.removeValue(forKey: bot) else { return Int32(PARLEY_ERR_NOT_FOUND) }
                    plugin.host.chat.quit(user, reason: "Bot removed")
                    return Int32(PARLEY_OK)
                }
            },
            post: { handle, function, userdata in
                // The one call allowed from any thread: it reads only immutable fields and posts
                // through the loop's wake-up.
                guard let plugin = LoadedPlugin.from(handle), let function else { return Int32(PARLEY_ERR_INVALID) }
                guard plugin.acceptsPosts.load(ordering: .acquiring) else { return Int32(PARLEY_ERR_STATE) }
                let call = PostedCall(plugin: plugin, function: function, userdata: userdata)
                plugin.host.poster.post { call.run() }
                return Int32(PARLEY_OK)
            },
            last_error: { handle in
                checked(handle, anyStage: true, failure: parley_str(ptr: nil, len: 0)) { plugin in plugin.refusal }
            },
            user_certfp: { handle, userID, out in
                checked(handle) { plugin in
                    guard let user = plugin.host.chat.users[userID] else {
                        return plugin.host.refuse(plugin, "user_certfp", "no user \(userID)", code: Int32(PARLEY_ERR_NOT_FOUND))
                    }
                    guard let fingerprint = user.certificateFingerprint, let out else { return 0 }
                    let digits = Array(fingerprint.utf8.prefix(64))
                    digits.withUnsafeBufferPointer { UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    return Int32(digits.count)
                }
            }
        ))
        return UnsafePointer(table)
    }()

    /// The one guard every entry but `post` passes: the call comes from a known generation, on
    /// the loop thread, in a lifecycle stage that allows it. During config_check, and once
    /// retired, a plugin may only log, set its error and read last_error: anything it created
    /// then would outlive a rejected config. Refused calls return `failure` (PARLEY_ERR_STATE,
    /// or 0 for calls that return an id). Every other call starts with no refusal reason, so
    /// last_error never names an older call's.
    static func checked<Result>(_ handle: OpaquePointer?, anyStage: Bool = false, failure: Result,
                                _ body: (LoadedPlugin) -> Result) -> Result {
        guard let plugin = LoadedPlugin.from(handle) else { return failure }
        guard pthread_equal(pthread_self(), plugin.host.loopThread) != 0 else {
            writeToStandardError("parley: plugin \(plugin.name) called the host from another thread; refused (use post)\n")
            return failure
        }
        if anyStage { return body(plugin) }
        plugin.clearRefusal()
        guard plugin.state == .initializing || plugin.state == .running else {
            if plugin.state == .checking {
                plugin.host.log(plugin, "warning", "host call refused during config_check: only log and set_error are allowed there")
                plugin.setRefusal("not allowed during config_check: only log and set_error are")
            } else {
                plugin.setRefusal("this generation of the plugin has been unloaded")
            }
            return failure
        }
        return body(plugin)
    }

    static func checked(_ handle: OpaquePointer?, _ body: (LoadedPlugin) -> Int32) -> Int32 {
        checked(handle, failure: Int32(PARLEY_ERR_STATE), body)
    }
}
