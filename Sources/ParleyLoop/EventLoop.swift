import Glibc

/// The single-threaded event loop, shaped like Redis `ae`: file events, time events, one
/// before-sleep step, and one thread-safe wake-up. It knows nothing of chat.
///
/// One turn: the before-sleep step (the server writes its per-turn work out there, in order),
/// a wait on the readiness backend, the ready file events, then the due timers.
public final class EventLoop {
    public let backend: EventBackend
    private let readiness: ReadinessBackend
    /// Indexed by fd: fds are small integers, so arrays beat dictionaries.
    private var handlers: [FileEventHandler?] = []
    private var masks: [FileEvents] = []
    private var ready: [(fd: Int32, events: FileEvents)] = []
    private let wakeup: Wakeup
    public let timers = TimerQueue()
    private var stopRequested = false

    /// Runs after each turn's events, before the loop waits again. It returns true when it
    /// left work that must not wait (the loop then only checks for ready events).
    public var beforeSleep: () -> Bool = { false }

    public init(backend: EventBackend = .poll) throws(SystemError) {
        self.backend = backend
        switch backend {
        case .poll: readiness = PollBackend()
        case .epoll: readiness = try EpollBackend()
        }
        wakeup = try Wakeup()
        try addFileEvent(fd: wakeup.poster.fd, events: .readable, handler: wakeup)
    }

    // MARK: File events

    public func addFileEvent(fd: Int32, events: FileEvents, handler: FileEventHandler) throws(SystemError) {
        precondition(fd >= 0)
        if Int(fd) >= handlers.count {
            let grow = Int(fd) + 1 - handlers.count
            handlers.append(contentsOf: repeatElement(nil, count: grow))
            masks.append(contentsOf: repeatElement([], count: grow))
        }
        precondition(handlers[Int(fd)] == nil, "fd \(fd) registered twice")
        try readiness.add(fd: fd, events: events)
        handlers[Int(fd)] = handler
        masks[Int(fd)] = events
    }

    /// Changes what `fd` is watched for; a mask that does not change costs nothing.
    public func setFileEvents(fd: Int32, events: FileEvents) {
        guard fd >= 0, Int(fd) < handlers.count, handlers[Int(fd)] != nil, masks[Int(fd)] != events else { return }
        do {
            try readiness.modify(fd: fd, events: events)
            masks[Int(fd)] = events
        } catch {
            // Only a descriptor closed behind the loop's back fails here; its next read reports it.
        }
    }

    public func removeFileEvent(fd: Int32) {
        guard fd >= 0, Int(fd) < handlers.count, handlers[Int(fd)] != nil else { return }
        readiness.remove(fd: fd)
        handlers[Int(fd)] = nil
        masks[Int(fd)] = []
    }

    // MARK: The wake-up

    /// What other threads hold to run work on the loop thread (`post`); the loop itself is
    /// not Sendable.
    public var poster: LoopPoster { wakeup.poster }

    /// Delivers these signals to `handler` on the loop thread.
    public func handleSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        wakeup.onSignal = handler
        try wakeup.routeSignals(signals)
    }

    // MARK: Running

    public func stop() { stopRequested = true }

    /// Runs turns until `stop()` is called.
    public func run() throws(SystemError) {
        stopRequested = false
        while !stopRequested {
            try runOneTurn()
        }
    }

    /// One turn. `maxWaitNanoseconds` bounds the wait (tests step the loop with it).
    public func runOneTurn(maxWaitNanoseconds: Int64 = -1) throws(SystemError) {
        let busy = beforeSleep()
        if stopRequested { return }
        var timeout = busy ? 0 : timers.nanosecondsUntilNextDue()
        if maxWaitNanoseconds >= 0 && (timeout < 0 || timeout > maxWaitNanoseconds) { timeout = maxWaitNanoseconds }
        ready.removeAll(keepingCapacity: true)
        try readiness.wait(timeoutNanoseconds: timeout, into: &ready)
        for (fd, events) in ready {
            // A handler earlier in this turn may have closed this fd: it is skipped. Had the fd
            // been reused meanwhile, its new handler sees a stale event, which costs it only a
            // read or a flush that finds nothing to do.
            guard let handler = handlers[Int(fd)] else { continue }
            handler.handleFileEvents(events)
        }
        timers.runDue()
    }
}
