// A Swift plugin used as a test fixture (BorrowedViewTests): it keeps the views the server
// lends it and uses them after their calls, as a new plugin author might, and hands the
// server text it must refuse. It replies (or logs) what each attempt got. Compiled by the
// test with swiftc against the ParleyPluginKit objects of the build under test.
import Glibc
import ParleyPluginKit

final class BorrowProbe: Plugin {
    static let name = "BorrowProbe"
    static let version = "1.0.0"

    var keptMessage: Message?
    var keptCall: CommandCall?

    init(host: Host, config: PluginConfig) throws {
        // The misuse: a message kept past its hook.
        host.onMessage(.observe) { [unowned self] message in
            keptMessage = message
            host.log(.info, "probe: kept a message from \(try message.senderNick)")
            return .pass
        }
        try host.command("peek", help: "read the kept message, catching what it throws") { [unowned self] call in
            guard let kept = keptMessage else { return try call.reply("nothing kept yet") }
            do {
                try call.reply("peek read: \(try kept.text)")
            } catch {
                try call.reply("peek caught: \(error)")
            }
        }
        try host.command("peekuncaught", help: "read the kept message, letting it throw") { [unowned self] call in
            try call.reply("peek read: \(try keptMessage?.text ?? "nothing kept yet")")
        }
        try host.command("timerpeek", help: "read the kept message from a timer") { [unowned self] call in
            host.after(milliseconds: 1) { [unowned self] in
                do {
                    host.log(.info, "probe: the timer read \(try keptMessage?.text ?? "nothing")")
                } catch {
                    host.log(.info, "probe: the timer caught \(error)")
                }
            }
            try call.reply("timer set")
        }
        // A command call kept, then replied through by someone else's command.
        try host.command("keep", help: "keep this call") { [unowned self] call in
            keptCall = call
            try call.reply("kept")
        }
        try host.command("late", help: "reply through the kept call") { [unowned self] call in
            do {
                try keptCall?.reply("late reply")
                try call.reply("late: the kept call replied")
            } catch {
                try call.reply("late caught: \(error)")
            }
        }
        // A view read from another thread while its call still runs.
        try host.command("thread", help: "read this call from another thread") { call in
            let job = ThreadRead(call)
            var thread = pthread_t()
            pthread_create(&thread, nil, { context in
                let job = Unmanaged<ThreadRead>.fromOpaque(context!).takeUnretainedValue()
                do {
                    job.result = "read \(try job.call.callerNick)"
                } catch {
                    job.result = "caught: \(error)"
                }
                return nil
            }, Unmanaged.passUnretained(job).toOpaque())
            pthread_join(thread, nil)
            try call.reply("thread \(job.result)")
        }
        // Text the server refuses, caught and reported by the plugin, or left to the SDK.
        try host.command("multiline", help: "reply with a line break") { call in
            do {
                try call.reply("two\nlines")
                try call.reply("multiline: sent")
            } catch {
                try call.reply("multiline caught: \(error)")
            }
        }
        try host.command("huge", help: "reply with 100000 bytes") { call in
            do {
                try call.reply(String(repeating: "h", count: 100_000))
            } catch {
                try call.reply("huge caught: \(error)")
            }
        }
        try host.command("noticecr", help: "send a notice with a CR") { call in
            do {
                try host.notice(try call.callerID, "one\rtwo")
            } catch {
                try call.reply("notice caught: \(error)")
            }
        }
        try host.command("multilineuncaught", help: "reply with a line break, uncaught") { call in
            try call.reply("two\r\nlines")
        }
    }
}

/// What the other thread of /thread gets: the call, and where to put what happened.
final class ThreadRead {
    let call: CommandCall
    var result = "did not run"

    init(_ call: CommandCall) {
        self.call = call
    }
}

@_cdecl("parley_plugin_entry")
public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(BorrowProbe.self, major, minor) }
