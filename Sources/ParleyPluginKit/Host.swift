import CParleyPlugin
import Glibc

/// The server, as one plugin instance sees it. Everything registered here is removed by
/// the server when the plugin is unloaded or reloaded.
public final class Host {
    let handle: OpaquePointer
    let api: UnsafePointer<parley_host_api>
    /// Hook and command closures handed to the server as userdata; released at shutdown.
    private var boxes: [Unmanaged<AnyObject>] = []
    /// Timer closures by timer id, each holding one retain: a one-shot's is released when it
    /// has run, any timer's when it is cancelled, the rest at shutdown.
    private var timers: [UInt64: Unmanaged<TimerBox>] = [:]
    /// The hooks and commands running now, whose borrowed views are readable.
    var live = LiveCalls()
    /// The server calls plugins on its loop thread only (this one: init runs there), so
    /// views are readable there only.
    let loopThread = pthread_self()

    init(handle: OpaquePointer, api: UnsafePointer<parley_host_api>) {
        self.handle = handle
        self.api = api
    }

    func releaseBoxes() {
        // Taken out first: a released closure's captures may deinit and call back in here.
        let boxes = self.boxes, timers = self.timers
        self.boxes = []
        self.timers = [:]
        boxes.forEach { $0.release() }
        timers.values.forEach { $0.release() }
    }

    private func retain(_ box: AnyObject) -> UnsafeMutableRawPointer {
        let unmanaged = Unmanaged.passRetained(box)
        boxes.append(unmanaged)
        return unmanaged.toOpaque()
    }

    // MARK: Hooks

    /// Runs `hook` on every message in `phase`. A thrown error is logged and counts as `.pass`.
    /// The `Message` is readable during the hook only.
    public func onMessage(_ phase: Phase, _ hook: @escaping (Message) throws -> Verdict) {
        let userdata = retain(Box(hook))
        _ = api.pointee.hook_message(handle, phase.abi, { handle, userdata, raw in
            guard let userdata, let raw, let host = Instances.host(for: handle) else { return PARLEY_PASS }
            let hook = Unmanaged<Box<(Message) throws -> Verdict>>.fromOpaque(userdata).takeUnretainedValue().value
            return host.borrowing { call in
                do {
                    switch try hook(Message(raw: raw, host: host, call: call)) {
                    case .pass: return PARLEY_PASS
                    case .stop: return PARLEY_STOP
                    case .drop: return PARLEY_DROP
                    case .reject(let reason):
                        // A reason the server refuses is logged by it; the sender gets its default.
                        var reason = reason
                        reason.withParleyStr { _ = host.api.pointee.message_reject(host.handle, raw, $0) }
                        return PARLEY_REJECT
                    }
                } catch {
                    host.log(.error, "message hook failed: \(error)")
                    return PARLEY_PASS
                }
            }
        }, userdata)
    }

    /// Runs `hook` on an event. Only `.connect` hooks' `.reject(reason)` has an effect.
    public func onEvent(_ kind: Event.Kind, _ hook: @escaping (Event) throws -> Verdict) {
        let userdata = retain(Box(hook))
        _ = api.pointee.hook_event(handle, kind.abi, { handle, userdata, raw in
            guard let userdata, let raw, let host = Instances.host(for: handle) else { return PARLEY_PASS }
            let hook = Unmanaged<Box<(Event) throws -> Verdict>>.fromOpaque(userdata).takeUnretainedValue().value
            do {
                if case .reject(let reason) = try hook(Event(raw: raw.pointee)) {
                    var reason = reason
                    reason.withParleyStr { _ = host.api.pointee.event_reject(host.handle, raw, $0) }
                    return PARLEY_REJECT
                }
                return PARLEY_PASS
            } catch {
                host.log(.error, "event hook failed: \(error)")
                return PARLEY_PASS
            }
        }, userdata)
    }

    /// Registers `/name`. A thrown error is replied to the caller as `error: ...`. The
    /// `CommandCall` is usable during the command only.
    /// Throws when the name is built in or another plugin has it.
    public func command(_ name: String, usage: String = "", help: String,
                        _ run: @escaping (CommandCall) throws -> Void) throws(HostError) {
        let userdata = retain(Box(run))
        var name = name, usage = usage, help = help
        let status = name.withParleyStr { nameStr in
            usage.withParleyStr { usageStr in
                help.withParleyStr { helpStr in
                    api.pointee.register_command(handle, nameStr, usageStr, helpStr, { handle, userdata, raw in
                        guard let userdata, let raw, let host = Instances.host(for: handle) else { return }
                        let run = Unmanaged<Box<(CommandCall) throws -> Void>>.fromOpaque(userdata).takeUnretainedValue().value
                        host.borrowing { serial in
                            let call = CommandCall(raw: raw, host: host, call: serial)
                            do {
                                try run(call)
                            } catch {
                                host.replyFailure(call, error)
                            }
                        }
                    }, userdata)
                }
            }
        }
        try check(status, "register /\(name)")
    }

    /// A command's error, to its caller on one line. Should the server refuse even that, the
    /// log has both.
    private func replyFailure(_ call: CommandCall, _ error: any Error) {
        let line = String(String.UnicodeScalarView("error: \(error)".unicodeScalars.map {
            $0 == "\n" || $0 == "\r" || $0 == "\0" ? " " : $0
        }))
        do {
            try call.reply(line)
        } catch let refusal {
            log(.error, "\((try? call.name).map { "/\($0)" } ?? "a command") failed: \(error); replying that was refused too: \(refusal)")
        }
    }

    // MARK: Timers

    /// Runs `body` once after `milliseconds`.
    @discardableResult
    public func after(milliseconds: UInt64, _ body: @escaping () -> Void) -> Timer {
        schedule(milliseconds, repeating: false, body)
    }

    /// Runs `body` every `milliseconds` until cancelled or unloaded.
    @discardableResult
    public func every(milliseconds: UInt64, _ body: @escaping () -> Void) -> Timer {
        schedule(milliseconds, repeating: true, body)
    }

    private func schedule(_ milliseconds: UInt64, repeating: Bool, _ body: @escaping () -> Void) -> Timer {
        let box = TimerBox(body, repeating: repeating)
        let unmanaged = Unmanaged.passRetained(box)
        let id = api.pointee.timer_add(handle, milliseconds, repeating ? 1 : 0, { handle, userdata in
            guard let userdata else { return }
            // A strong reference for the whole run: the closure may cancel its own timer (or,
            // for a one-shot, be released below) and must not be freed while it runs.
            let box = Unmanaged<TimerBox>.fromOpaque(userdata).takeUnretainedValue()
            // The server has already forgotten a one-shot that fires; so does the SDK.
            if !box.repeating { Instances.host(for: handle)?.forgetTimer(box.id) }
            withExtendedLifetime(box) { box.body() }
        }, unmanaged.toOpaque())
        if id == 0 {
            // Refused (called from another thread, or after shutdown): the server never saw it.
            unmanaged.release()
        } else {
            // Timers only fire on the loop thread, which is this one: not before this returns.
            box.id = id
            timers[id] = unmanaged
        }
        return Timer(id: id, host: self)
    }

    /// Releases a timer's closure, once; later calls (or a cancel after it ran) do nothing.
    fileprivate func forgetTimer(_ id: UInt64) {
        let removed = timers.removeValue(forKey: id)
        removed?.release()  // outside the access to `timers`: a deinit may cancel or schedule
    }

    /// Cancels with the server, then releases the closure unless the server refused the call
    /// (from another thread: it may still fire, so the closure must stay).
    fileprivate func cancelTimer(_ id: UInt64) {
        guard id != 0 else { return }
        let status = api.pointee.timer_cancel(handle, id)
        if status == Int32(PARLEY_OK) || status == Int32(PARLEY_ERR_NOT_FOUND) { forgetTimer(id) }
    }

    // MARK: Bots and output

    /// Creates a bot user. Throws `HostError.refused` when the nick is invalid or taken.
    public func createBot(nick: String) throws(HostError) -> Bot {
        var nick = nick
        let id = nick.withParleyStr { api.pointee.bot_create(handle, $0) }
        guard id != 0 else {
            throw HostError.refused(call: "createBot \(nick)", reason: refusalReason(default: "the nick is invalid or taken"))
        }
        return Bot(id: id, nick: nick, host: self)
    }

    /// A server notice to one user. Throws `HostError.refused` when the server refuses the
    /// text (a line break or NUL, or over its line limit) or there is no such user; the
    /// server's log says the same, naming the plugin.
    public func notice(_ user: UserID, _ text: String) throws(HostError) {
        var text = text
        try check(text.withParleyStr { api.pointee.notice(handle, user, $0) }, "notice")
    }

    /// The SHA-256 of the TLS client certificate `user` connected with (64 lowercase hex
    /// digits), or nil when they showed none. Throws `HostError.refused` when there is no such
    /// user, or from a server older than ABI 1.1.
    public func certificateFingerprint(of user: UserID) throws(HostError) -> String? {
        let end = MemoryLayout<parley_host_api>.offset(of: \.user_certfp)! + MemoryLayout<UnsafeRawPointer>.size
        guard api.pointee.size >= end, let userCertfp = api.pointee.user_certfp else {
            throw HostError.refused(call: "certificateFingerprint", reason: "the server is older than ABI 1.1")
        }
        var digits = [CChar](repeating: 0, count: 64)
        let written = digits.withUnsafeMutableBufferPointer { userCertfp(handle, user, $0.baseAddress) }
        if written < 0 { try check(written, "certificateFingerprint") }
        guard written == 64 else { return nil }
        return String(decoding: digits.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public enum LogLevel: Int32 {
        case debug = 0, info = 1, warning = 2, error = 3
    }

    /// One line in the server's log, tagged with the plugin's name.
    public func log(_ level: LogLevel, _ text: String) {
        var text = text
        text.withParleyStr { api.pointee.log(handle, level.rawValue, $0) }
    }

    /// Throws `HostError.refused` for any status but PARLEY_OK, with the server's reason.
    func check(_ status: Int32, _ call: String) throws(HostError) {
        guard status != Int32(PARLEY_OK) else { return }
        let meaning: String
        switch status {
        case Int32(PARLEY_ERR_EXISTS): meaning = "the name is taken"
        case Int32(PARLEY_ERR_NOT_FOUND): meaning = "not found"
        case Int32(PARLEY_ERR_STATE): meaning = "not allowed now"
        default: meaning = "invalid argument"
        }
        throw HostError.refused(call: call, reason: refusalReason(default: meaning))
    }

    /// What the server said about the call just refused (host->last_error, ABI 1.1), or
    /// `fallback` from an older server or when it gave no reason.
    func refusalReason(default fallback: String) -> String {
        // PARLEY_HAS(api, last_error): the table of an older server ends before it.
        let end = MemoryLayout<parley_host_api>.offset(of: \.last_error)! + MemoryLayout<UnsafeRawPointer>.size
        guard api.pointee.size >= end, let lastError = api.pointee.last_error else { return fallback }
        let reason = lastError(handle).string
        return reason.isEmpty ? fallback : reason
    }
}

/// A closure on the heap, so the server can hold it as userdata.
final class Box<T> {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A timer's closure, with what its trampoline needs to release a one-shot after it ran.
final class TimerBox {
    let body: () -> Void
    let repeating: Bool
    /// Set right after `timer_add` returns, before the timer can fire.
    var id: UInt64 = 0

    init(_ body: @escaping () -> Void, repeating: Bool) {
        self.body = body
        self.repeating = repeating
    }
}

/// A scheduled timer. `id` is 0 when the server refused it (called from another thread).
public struct Timer {
    public let id: UInt64
    let host: Host

    /// Stops the timer and releases its closure. Safe to call more than once, after a
    /// one-shot has run, and from inside the timer's own closure.
    public func cancel() {
        host.cancelTimer(id)
    }
}

/// A user the plugin owns. Its messages go through the whole chain, tagged as a bot's.
public struct Bot {
    public let id: UserID
    public let nick: String
    let host: Host

    public func join(_ room: String) throws(HostError) {
        var room = room
        try host.check(room.withParleyStr { host.api.pointee.bot_join(host.handle, id, $0) }, "\(nick) joining \(room)")
    }

    public func part(_ room: String) throws(HostError) {
        var room = room
        try host.check(room.withParleyStr { host.api.pointee.bot_part(host.handle, id, $0) }, "\(nick) leaving \(room)")
    }

    /// Says `text` in a room ("#name") or to a nick, after the current message is done.
    /// Throws `HostError.refused` when the server refuses the text or finds no such target.
    public func say(to target: String, _ text: String) throws(HostError) {
        var target = target, text = text
        let status = target.withParleyStr { targetStr in
            text.withParleyStr { host.api.pointee.bot_say(host.handle, id, targetStr, $0) }
        }
        try host.check(status, "\(nick) saying to \(target)")
    }
}
