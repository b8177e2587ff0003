import CParleyPlugin
import Glibc
import ParleyChat

/// The message a hook is looking at, so host calls made during the hook can find it.
final class MessageCall {
    let pointer: UnsafeRawPointer
    let phase: UInt32
    let owner: LoadedPlugin
    let depth: UInt32
    var newText: String?
    var rejectReason: String?
    var annotations: [(key: String, value: String)] = []

    init(pointer: UnsafeRawPointer, phase: UInt32, owner: LoadedPlugin, depth: UInt32) {
        self.pointer = pointer
        self.phase = phase
        self.owner = owner
        self.depth = depth
    }
}

final class EventCall {
    let pointer: UnsafeRawPointer
    let owner: LoadedPlugin
    var rejectReason: String?

    init(pointer: UnsafeRawPointer, owner: LoadedPlugin) {
        self.pointer = pointer
        self.owner = owner
    }
}

/// How deep bots may answer bots' answers before the host stops the chain of replies.
let maxBotDepth: UInt32 = 4

extension PluginHost: MessageChain {
    public func filter(_ message: inout ChatMessage) -> ChainOutcome {
        // Checked without building anything: most servers run messages past empty phases.
        guard !messageHooks[0].isEmpty || !messageHooks[1].isEmpty || !messageHooks[2].isEmpty else { return .deliver }
        for phase in [PARLEY_PHASE_VALIDATE, PARLEY_PHASE_TRANSFORM, PARLEY_PHASE_ANNOTATE] {
            for hook in messageHooks[Int(phase.rawValue)] where hook.owner.state == .running {
                let (verdict, call) = invoke(hook, phase: phase, on: message)
                if let text = call.newText { message.text = text }
                message.annotations.append(contentsOf: call.annotations)
                switch verdict {
                case PARLEY_PASS:
                    continue
                case PARLEY_STOP:
                    break
                case PARLEY_DROP where phase != PARLEY_PHASE_ANNOTATE:
                    return .drop
                case PARLEY_REJECT where phase != PARLEY_PHASE_ANNOTATE:
                    return .reject(call.rejectReason ?? "refused by \(hook.owner.name)")
                default:
                    logger.warning("plugin verdict ignored", metadata: [
                        "plugin": "\(hook.owner.name)", "phase": "\(phaseName(phase))",
                        "reason": "verdict \(verdict.rawValue) is not allowed in this phase"])
                    continue
                }
                break  // STOP: skip the rest of this phase.
            }
        }
        return .deliver
    }

    public func observe(_ message: ChatMessage) {
        for hook in messageHooks[Int(PARLEY_PHASE_OBSERVE.rawValue)] where hook.owner.state == .running {
            // Loop guard, part one: a plugin never observes its own bots.
            if message.sender.isBot && hook.owner.bots[message.sender.id] != nil { continue }
            _ = invoke(hook, phase: PARLEY_PHASE_OBSERVE, on: message)
        }
    }

    private func invoke(_ hook: MessageHook, phase: parley_phase, on message: ChatMessage) -> (parley_verdict, MessageCall) {
        var nick = message.sender.nick
        var original = message.originalText
        var text = message.text
        var roomName = ""
        var recipientNick = ""
        var recipient: UInt64 = 0
        switch message.target {
        case .room(let room): roomName = room.name
        case .user(let user):
            recipient = user.id
            recipientNick = user.nick
        }
        return nick.withParleyStr { nickStr in
            original.withParleyStr { originalStr in
                text.withParleyStr { textStr in
                    roomName.withParleyStr { roomStr in
                        recipientNick.withParleyStr { recipientStr in
                            var raw = parley_message(
                                size: MemoryLayout<parley_message>.size, sender: message.sender.id,
                                sender_nick: nickStr, sender_flags: message.sender.isBot ? PARLEY_USER_BOT : 0,
                                kind: message.kind.abiValue, room: roomStr, recipient: recipient,
                                recipient_nick: recipientStr, text: textStr, original_text: originalStr,
                                received_at_ns: Int64(message.receivedAt * 1e9), bot_depth: message.botDepth)
                            return withUnsafePointer(to: &raw) { pointer in
                                let call = MessageCall(pointer: UnsafeRawPointer(pointer), phase: phase.rawValue,
                                                       owner: hook.owner, depth: message.botDepth)
                                let outer = currentMessage
                                currentMessage = call
                                defer { currentMessage = outer }
                                let verdict = hook.owner.call(phase.hookLabel) {
                                    hook.function(hook.owner.handle, hook.userdata, pointer)
                                }
                                return (verdict, call)
                            }
                        }
                    }
                }
            }
        }
    }

    func phaseName(_ phase: parley_phase) -> String { "\(phase.hookLabel)" }

    // MARK: Bot messages

    /// Bots' messages are queued during hooks and sent from the loop's before-sleep step,
    /// after the message that triggered them, so the chain is never re-entered from a hook.
    public var hasPendingBotMessages: Bool { !pendingBotMessages.isEmpty }

    public func deliverBotMessages() {
        guard !pendingBotMessages.isEmpty, !drainingBotMessages else { return }
        drainingBotMessages = true
        defer { drainingBotMessages = false }
        while !pendingBotMessages.isEmpty {
            let message = pendingBotMessages.removeFirst()
            guard chat.users[message.sender.id] === message.sender else { continue }
            do {
                try chat.send(message)
            } catch {
                logger.info("bot message not sent", metadata: ["bot": "\(message.sender.nick)", "reason": "\(error)"])
            }
        }
    }
}

extension PluginHost: ChatListener {
    public func userJoined(_ user: ChatUser, _ room: Room) {
        dispatchEvent(PARLEY_EVENT_JOIN, user: user, room: room.name)
    }

    public func userParted(_ user: ChatUser, _ room: Room, reason: String?) {
        dispatchEvent(PARLEY_EVENT_PART, user: user, room: room.name, reason: reason ?? "")
    }

    public func userQuit(_ user: ChatUser, reason: String) {
        dispatchEvent(PARLEY_EVENT_DISCONNECT, user: user, reason: reason, peer: user.realHost)
    }

    public func userChangedNick(_ user: ChatUser, oldNick: String) {
        dispatchEvent(PARLEY_EVENT_NICK, user: user, oldNick: oldNick)
    }

    /// CONNECT hooks may refuse a new client; returns the reason when one does.
    public func admitConnection(from host: String) -> String? {
        var refusal: String?
        dispatchEvent(PARLEY_EVENT_CONNECT, user: nil, peer: host) { call in
            refusal = call.rejectReason ?? "refused by \(call.owner.name)"
        }
        return refusal
    }

    private func dispatchEvent(_ kind: parley_event_kind, user: ChatUser?, oldNick: String = "", room: String = "",
                               reason: String = "", peer: String = "", onReject: ((EventCall) -> Void)? = nil) {
        guard let hooks = eventHooks[kind.rawValue], !hooks.isEmpty else { return }
        var nick = user?.nick ?? ""
        var old = oldNick
        var roomName = room
        var why = reason
        var host = peer
        for hook in hooks where hook.owner.state == .running {
            let verdict: parley_verdict = nick.withParleyStr { nickStr in
                old.withParleyStr { oldStr in
                    roomName.withParleyStr { roomStr in
                        why.withParleyStr { reasonStr in
                            host.withParleyStr { hostStr in
                                var raw = parley_event(
                                    size: MemoryLayout<parley_event>.size, kind: kind.rawValue, user: user?.id ?? 0,
                                    nick: nickStr, old_nick: oldStr, room: roomStr, reason: reasonStr, peer_host: hostStr,
                                    user_flags: user?.isBot == true ? PARLEY_USER_BOT : 0)
                                return withUnsafePointer(to: &raw) { pointer in
                                    let call = EventCall(pointer: UnsafeRawPointer(pointer), owner: hook.owner)
                                    let outer = currentEvent
                                    currentEvent = call
                                    defer { currentEvent = outer }
                                    let verdict = hook.owner.call(kind.hookLabel) {
                                        hook.function(hook.owner.handle, hook.userdata, pointer)
                                    }
                                    if verdict == PARLEY_REJECT, kind == PARLEY_EVENT_CONNECT { onReject?(call) }
                                    return verdict
                                }
                            }
                        }
                    }
                }
            }
            if verdict == PARLEY_REJECT && kind == PARLEY_EVENT_CONNECT { break }
        }
    }
}

extension String {
    /// A borrowed (pointer, length) view of the UTF-8, valid inside `body` only.
    mutating func withParleyStr<T>(_ body: (parley_str) -> T) -> T {
        withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                body(parley_str(ptr: chars.baseAddress, len: chars.count))
            }
        }
    }
}

extension parley_str {
    /// Copies borrowed bytes, refusing invalid UTF-8, line breaks and NULs (they would
    /// break both wire protocols) and text over `limit` bytes. Returns nil when refused.
    func copyText(limit: Int) -> String? {
        guard len <= limit else { return nil }
        guard len > 0, let ptr else { return "" }
        let bytes = UnsafeRawBufferPointer(start: ptr, count: len)
        if bytes.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Why `copyText(limit:)` refuses these bytes, for the log.
    func textProblem(limit: Int) -> String {
        if len > limit { return "the text is \(len) bytes, over the limit of \(limit)" }
        if let ptr, UnsafeRawBufferPointer(start: ptr, count: len).contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
            return "the text contains a line break or a NUL"
        }
        return "the text is not valid UTF-8"
    }
}

extension MessageKind {
    var abiValue: UInt32 {
        switch self {
        case .say: return PARLEY_MESSAGE_SAY.rawValue
        case .action: return PARLEY_MESSAGE_ACTION.rawValue
        case .notice: return PARLEY_MESSAGE_NOTICE.rawValue
        }
    }
}

extension parley_phase {
    var hookLabel: StaticString {
        switch self {
        case PARLEY_PHASE_VALIDATE: return "validate"
        case PARLEY_PHASE_TRANSFORM: return "transform"
        case PARLEY_PHASE_ANNOTATE: return "annotate"
        default: return "observe"
        }
    }
}

extension parley_event_kind {
    var hookLabel: StaticString {
        switch self {
        case PARLEY_EVENT_CONNECT: return "event connect"
        case PARLEY_EVENT_DISCONNECT: return "event disconnect"
        case PARLEY_EVENT_JOIN: return "event join"
        case PARLEY_EVENT_PART: return "event part"
        default: return "event nick"
        }
    }
}
