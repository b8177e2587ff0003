import CParleySys
import Glibc

/// Something the loop notifies when its file descriptor is ready.
public protocol IOHandler: AnyObject {
    func handleIO(revents: Int16)
}

/// Output that waits for the end of the turn, so many messages leave in one write.
public protocol PendingOutput: AnyObject {
    func flushPendingOutput()
}

/// The single-threaded poll() loop: file descriptors, timers and deferred work.
///
/// The pollfd array is kept in step with registrations incrementally (swap-remove), never
/// rebuilt per turn. Handlers run on this thread only; anything they schedule with
/// `deferToNextTurn` runs at the top of the next turn, outside every handler's stack.
public final class EventLoop {
    private var pollfds: [pollfd] = []
    private var handlers: [IOHandler] = []
    /// fd -> index into pollfds; fds are small integers, so an array beats a dictionary.
    private var slotOfFD: [Int32] = []
    private var ready: [(fd: Int32, revents: Int16)] = []
    private var deferred: [() -> Void] = []
    private var endOfTurn: [() -> Void] = []
    /// Connections with queued output, flushed once each at the end of the turn. A list of
    /// objects, not closures: marking a connection costs no allocation on the hot path.
    private var pendingOutput: [PendingOutput] = []
    public let timers = TimerQueue()
    public private(set) var isRunning = false
    private var stopRequested = false

    public init() {}

    public func register(fd: Int32, events: Int16, handler: IOHandler) {
        precondition(fd >= 0)
        if Int(fd) >= slotOfFD.count {
            slotOfFD.append(contentsOf: repeatElement(-1, count: Int(fd) + 1 - slotOfFD.count))
        }
        precondition(slotOfFD[Int(fd)] == -1, "fd \(fd) registered twice")
        slotOfFD[Int(fd)] = Int32(pollfds.count)
        pollfds.append(pollfd(fd: fd, events: events, revents: 0))
        handlers.append(handler)
    }

    public func setEvents(fd: Int32, events: Int16) {
        guard let slot = slot(of: fd) else { return }
        pollfds[slot].events = events
    }

    public func unregister(fd: Int32) {
        guard let slot = slot(of: fd) else { return }
        let last = pollfds.count - 1
        if slot != last {
            pollfds[slot] = pollfds[last]
            handlers[slot] = handlers[last]
            slotOfFD[Int(pollfds[slot].fd)] = Int32(slot)
        }
        pollfds.removeLast()
        handlers.removeLast()
        slotOfFD[Int(fd)] = -1
    }

    private func slot(of fd: Int32) -> Int? {
        guard fd >= 0, Int(fd) < slotOfFD.count else { return nil }
        let slot = slotOfFD[Int(fd)]
        return slot >= 0 ? Int(slot) : nil
    }

    /// Runs `work` at the top of the next turn, outside any handler's call stack.
    public func deferToNextTurn(_ work: @escaping () -> Void) {
        deferred.append(work)
    }

    /// Runs before a connection queues output of its own (a reply, not a fan-out slice): the
    /// chat core delivers the room messages it holds back first, so every client's output
    /// keeps the order in which things happened.
    public var beforeDirectOutput: (() -> Void)?

    /// Runs `work` once after this turn's I/O handlers, so output queued by many events
    /// leaves in one write per client.
    public func atEndOfTurn(_ work: @escaping () -> Void) {
        endOfTurn.append(work)
    }

    /// Flushes `output` at the end of this turn; the caller marks itself once per turn.
    public func flushAtEndOfTurn(_ output: PendingOutput) {
        pendingOutput.append(output)
    }

    public func stop() { stopRequested = true }

    /// Runs turns until `stop()` is called.
    public func run() throws {
        isRunning = true
        stopRequested = false
        defer { isRunning = false }
        while !stopRequested {
            try runOneTurn(maxWaitMilliseconds: -1)
        }
    }

    /// One turn: deferred work, poll, I/O handlers, end-of-turn work, due timers.
    public func runOneTurn(maxWaitMilliseconds: Int32) throws {
        runDeferred()
        if stopRequested { return }
        var timeout = Int64(timers.millisecondsUntilNextDue()) * 1_000_000
        if maxWaitMilliseconds >= 0 && (timeout < 0 || timeout > Int64(maxWaitMilliseconds) * 1_000_000) {
            timeout = Int64(maxWaitMilliseconds) * 1_000_000
        }
        if !deferred.isEmpty || !endOfTurn.isEmpty { timeout = 0 }
        if !pendingOutput.isEmpty {
            let untilFlush = Int64(flushDeadline) - Int64(monotonicNanoseconds())
            timeout = timeout < 0 ? max(untilFlush, 0) : min(timeout, max(untilFlush, 0))
        }
        let count = pollfds.withUnsafeMutableBufferPointer { buffer in
            parley_poll_nanoseconds(buffer.baseAddress, nfds_t(buffer.count), timeout)
        }
        if count < 0 {
            let error = SystemError("poll")
            if error.errno != EINTR { throw error }
        } else if count > 0 {
            collectReady(count: Int(count))
            dispatchReady()
        }
        runEndOfTurn()
        timers.runDue()
        runEndOfTurn()
    }

    private func collectReady(count: Int) {
        ready.removeAll(keepingCapacity: true)
        for index in pollfds.indices where pollfds[index].revents != 0 {
            ready.append((pollfds[index].fd, pollfds[index].revents))
            pollfds[index].revents = 0
            if ready.count == count { break }
        }
    }

    private func dispatchReady() {
        for (fd, revents) in ready {
            // A handler earlier in this turn may have closed this fd (or closed and reused it).
            guard let slot = slot(of: fd) else { continue }
            handlers[slot].handleIO(revents: revents)
        }
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let work = deferred
            deferred.removeAll()
            for item in work { item() }
        }
    }

    /// Output waits at most this long after the first queued byte, so messages arriving close
    /// together leave in one write per client (fewer syscalls and TCP segments than writing
    /// each at once, without Nagle's delayed-ACK stalls). 0 writes at the end of every turn.
    public var writeCoalescingNanoseconds: UInt64 = 0
    private var flushDeadline: UInt64 = 0

    private func runEndOfTurn() {
        while !endOfTurn.isEmpty {
            let work = endOfTurn
            endOfTurn.removeAll()
            for item in work { item() }
        }
        guard !pendingOutput.isEmpty else { return }
        let now = monotonicNanoseconds()
        if flushDeadline == 0 { flushDeadline = now + writeCoalescingNanoseconds }
        guard now >= flushDeadline else { return }
        flushDeadline = 0
        while !endOfTurn.isEmpty || !pendingOutput.isEmpty {
            if !endOfTurn.isEmpty {
                let work = endOfTurn
                endOfTurn.removeAll()
                for item in work { item() }
            }
            var index = 0
            while index < pendingOutput.count {
                pendingOutput[index].flushPendingOutput()
                index += 1
            }
            pendingOutput.removeAll(keepingCapacity: true)
        }
    }
}
