import CParleySys
import Synchronization

/// The loop's one thread-safe wake-up, an eventfd. Other threads post work through it, and the
/// signal handler notes the signal and writes to it; either way the work runs on the loop
/// thread, between events, never in a signal context. This half is the one any thread holds.
public final class LoopPoster: Sendable {
    let fd: Int32
    fileprivate let posted = Mutex<[@Sendable () -> Void]>([])

    init() throws(SystemError) {
        fd = parley_wakeup_create()
        guard fd >= 0 else { throw SystemError("eventfd") }
    }

    deinit { parley_wakeup_close(fd) }

    /// Runs `work` on the loop thread soon, between events. Safe from any thread.
    public func post(_ work: @escaping @Sendable () -> Void) {
        posted.withLock { $0.append(work) }
        parley_wakeup_notify(fd)
    }
}

/// The loop thread's half: drains the eventfd, then runs the signals' handler and the posted work.
final class Wakeup: FileEventHandler {
    let poster: LoopPoster
    var onSignal: ((Int32) -> Void)?

    init() throws(SystemError) {
        poster = try LoopPoster()
    }

    func routeSignals(_ signals: [Int32]) throws(SystemError) {
        guard parley_route_signals_to_wakeup(signals, Int32(signals.count)) == 0 else { throw SystemError("sigaction") }
    }

    func handleFileEvents(_ ready: FileEvents) {
        parley_wakeup_drain(poster.fd)
        let signals = parley_take_pending_signals()
        if signals != 0, let onSignal {
            for number in 1..<64 where signals & (1 << UInt64(number)) != 0 { onSignal(Int32(number)) }
        }
        let work = poster.posted.withLock { queue -> [@Sendable () -> Void] in
            defer { queue.removeAll() }
            return queue
        }
        for item in work { item() }
    }
}
