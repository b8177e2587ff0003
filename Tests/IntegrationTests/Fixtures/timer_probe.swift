// A Swift plugin used as a test fixture (TimerReleaseTests): it schedules timers whose
// closures each capture a Token, and a Token logs when it is freed, so the server's log
// shows when the SDK lets go of each closure. Compiled by the test with swiftc against the
// ParleyPluginKit objects of the build under test.
import Glibc
import ParleyPluginKit

/// Freed exactly when the last closure that captured it is freed.
final class Token {
    let name: String
    let host: Host
    let logs: Bool

    init(_ name: String, _ host: Host, logs: Bool = true) {
        self.name = name
        self.host = host
        self.logs = logs
    }

    deinit {
        if logs { host.log(.info, "probe: released \(name)") }
    }
}

final class TimerProbe: Plugin {
    static let name = "TimerProbe"
    static let version = "1.0.0"

    /// Not owned by any closure, so reading it is safe whatever the SDK did.
    weak var repeating: Token?
    weak var refused: Token?

    init(host: Host, config: PluginConfig) throws {
        // 1. A one-shot: its closure goes once it has run.
        host.after(milliseconds: 1) { [token = Token("one-shot", host)] in host.log(.info, "probe: ran \(token.name)") }

        // 2. Cancelled before it fires: its closure goes inside cancel(); a second cancel is harmless.
        //    (The token is made in the capture list: a local would keep it until the scope ends.)
        do {
            let timer = host.after(milliseconds: 3_600_000) { [token = Token("cancelled", host)] in
                host.log(.info, "probe: ran \(token.name)")
            }
            host.log(.info, "probe: cancelling")
            timer.cancel()
            host.log(.info, "probe: cancelled")
            timer.cancel()
        }

        // 3. Repeating: kept while it repeats; on its third run it cancels itself, and its
        //    closure must stay alive until that run returns, then go.
        do {
            let token = Token("repeating", host)
            repeating = token
            var runs = 0
            var me: ParleyPluginKit.Timer?
            me = host.every(milliseconds: 5) { [unowned self, token] in
                runs += 1
                host.log(.info, "probe: \(token.name) run \(runs)")
                if runs == 3 {
                    me?.cancel()
                    host.log(.info, "probe: \(token.name) cancelled itself, still alive: \(self.repeating != nil)")
                    me?.cancel()
                }
            }
        }

        // 4. A one-shot that cancels itself (it has already fired: nothing to release twice)
        //    and schedules another one-shot while it runs.
        do {
            let outer = Token("outer", host)
            var me: ParleyPluginKit.Timer?
            me = host.after(milliseconds: 2) { [outer] in
                me?.cancel()
                let inner = Token("inner", host)
                host.after(milliseconds: 2) { [inner] in host.log(.info, "probe: ran \(inner.name)") }
                host.log(.info, "probe: ran \(outer.name)")
            }
        }

        // A mark 100 ms on (twenty periods of the repeating timer): the test waits for it to
        // see that nothing cancelled runs again.
        host.after(milliseconds: 100) { host.log(.info, "probe: settled") }

        // 5. Repeating and never cancelled: kept until the plugin is unloaded or reloaded.
        host.every(milliseconds: 20) { [token = Token("forever", host)] in _ = token }

        // 6. Refused: scheduled from another thread, so the server never takes the closure
        //    (timer_add returns 0); the SDK must free it at once.
        do {
            let job = RefusedJob(host: host)
            refused = job.token
            var thread = pthread_t()
            let context = Unmanaged.passRetained(job).toOpaque()
            pthread_create(&thread, nil, { context in
                let job = Unmanaged<RefusedJob>.fromOpaque(context!).takeRetainedValue()
                job.timerID = job.host.after(milliseconds: 1) { [token = job.token] in _ = token }.id
                job.token = nil
                return nil
            }, context)
            pthread_join(thread, nil)
            host.log(.info, "probe: refused timer id \(job.timerID), released: \(refused == nil)")
        }
    }
}

/// What the other thread of case 5 gets: the host and the only strong reference to a token.
final class RefusedJob {
    let host: Host
    var token: Token?
    var timerID: UInt64 = 99

    init(host: Host) {
        self.host = host
        self.token = Token("refused", host, logs: false)
    }
}

@_cdecl("parley_plugin_entry")
public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(TimerProbe.self, major, minor) }
