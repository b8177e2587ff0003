import Glibc
import ParleyBytes
import ParleyLoop

/// What a connection tells the protocol session that owns it.
public protocol ConnectionDelegate: AnyObject {
    /// Handles one line; returns what it counts for against the client's fakelag.
    func connection(_ connection: Connection, received line: UnsafeRawBufferPointer) -> LineWeight
    func connectionLineTooLong(_ connection: Connection)
    /// The input waiting behind the client's fakelag went past its recvq: the session says
    /// why and closes (Excess Flood).
    func connectionFlooded(_ connection: Connection, reason: String)
    /// Called exactly once, when the socket is gone, with the reason users and logs see.
    func connectionClosed(_ connection: Connection, reason: String)
}

/// A client socket: line framing in, a bounded shared-chunk queue out.
public final class Connection: FileEventHandler {
    public enum State: Equatable {
        case open
        /// Flushing its last words; no more input is read.
        case closing
        case closed
    }

    public let fd: Int32
    public let peer: PeerAddress
    public let id: UInt64
    public private(set) var state: State = .open
    /// Strong, and cleared when the connection closes: that breaks the session <-> connection
    /// cycle without the side-table refcounting a weak reference costs on every send.
    public var delegate: ConnectionDelegate?
    public var sendqLimit: Int
    public var queuedBytes: Int { output.queuedBytes }
    /// Why the connection closed, once it has.
    public private(set) var closeReason: String?

    private unowned let connections: Connections
    /// Kept here, not reached through `connections`: every read and flush uses them, and each
    /// hop through an unowned reference costs an atomic retain and release.
    private unowned let loop: EventLoop
    private let buffers: LoopBuffers
    private var framer = LineFramer()
    private var output = OutputQueue()
    private var flushScheduled = false
    private var failureReason: String?
    private var gracefulCloseReason: String?
    private var closingDeadline: TimerID?
    private let onFinalClose: (Connection) -> Void
    /// Set on TLS listeners' connections; nothing is read or written in the clear.
    public let tls: TLSSession?
    private var handshakeDeadline: TimerID?
    /// Set while a long reply is written (`holdInput`): lines wait in `heldInput`, in order.
    private var isInputHeld = false
    /// Lines a command handed back to run before the client's next one (`deferLine`).
    private var deferredLines: [UInt8] = []
    /// Read input waits behind the fakelag: no more is read until its turn.
    private var waitsForFakelag = false
    private var fakelag: Fakelag
    /// Input read while the fakelag was spent: processed in order when it allows.
    private var heldInput = HeldInput()
    private var resumeTimer: TimerID?
    /// The peer finished sending while input still waited: that input is processed at its
    /// pace (a QUIT in it included), then the connection closes.
    private var inputEnded = false
    private var fakelagExempt = false
    /// Lines handled before registration (which the fakelag does not slow), against
    /// `FloodPolicy.registrationLines`.
    private var unregisteredLines = 0

    public init(fd: Int32, peer: PeerAddress, id: UInt64, connections: Connections,
                maxLineBytes: Int, sendqLimit: Int, floodPolicy: FloodPolicy? = nil,
                tls context: TLSContext? = nil, handshakeTimeoutMilliseconds: UInt64 = 10_000,
                onFinalClose: @escaping (Connection) -> Void) throws(SystemError) {
        self.fd = fd
        self.peer = peer
        self.id = id
        self.connections = connections
        self.loop = connections.loop
        self.buffers = connections.buffers
        self.maxLineBytes = maxLineBytes
        self.sendqLimit = sendqLimit
        self.onFinalClose = onFinalClose
        if let context {
            guard let session = TLSSession(accepting: fd, with: context) else { throw SystemError("SSL_new", errno: ENOMEM) }
            tls = session
        } else {
            tls = nil
        }
        self.fakelag = Fakelag(policy: floodPolicy, now: monotonicNanoseconds())
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        try loop.addFileEvent(fd: fd, events: .readable, handler: self)
        if tls != nil {
            handshakeDeadline = loop.timers.schedule(afterMilliseconds: handshakeTimeoutMilliseconds) { [weak self] in
                self?.handshakeDeadline = nil
                self?.close(reason: "TLS handshake timed out")
            }
        }
    }

    /// Whether bytes may flow: always in the clear, after the handshake on TLS.
    public var isEstablished: Bool { tls?.isEstablished ?? true }

    /// The longest line accepted, without its line ending.
    public var maxLineBytes: Int

    /// Queues shared bytes; they leave in one write when the loop next goes to sleep.
    /// Past the sendq limit the client is dropped: it is not reading, and nobody waits for it.
    /// Once closing, nothing more is queued: the client's last words are already out.
    public func send(_ bytes: OutBytes) {
        connections.beforeDirectOutput?()
        send(bytes, 0..<bytes.count)
    }

    /// Queues part of a shared buffer (a fan-out's slice of the message arena). Fan-outs come
    /// here directly; other output goes through `send(_:)`, which keeps the order of events.
    public func send(_ bytes: OutBytes, _ range: Range<Int>) {
        guard state == .open, failureReason == nil else { return }
        output.append(bytes, range)
        if output.queuedBytes > sendqLimit {
            fail("SendQ exceeded (\(output.queuedBytes) bytes queued, limit \(sendqLimit))")
            return
        }
        scheduleFlush()
    }

    public func send(line: String) {
        send(OutBytes(line: line))
    }

    /// Sends what is queued, then closes. Gives up after `timeoutMilliseconds`.
    public func closeAfterFlush(reason: String, timeoutMilliseconds: UInt64 = 5000) {
        guard state == .open else { return }
        state = .closing
        gracefulCloseReason = reason
        loop.setFileEvents(fd: fd, events: output.isEmpty ? [] : .writable)
        closingDeadline = loop.timers.schedule(afterMilliseconds: timeoutMilliseconds) { [weak self] in
            self?.close(reason: reason)
        }
        scheduleFlush()
    }

    /// Drops the connection before the loop next sleeps; safe to call while a fan-out is iterating.
    public func fail(_ reason: String) {
        guard state != .closed, failureReason == nil else { return }
        failureReason = reason
        output.removeAll()
        connections.needsClose(self)
    }

    func closeFailed() {
        if let failureReason { close(reason: failureReason) }
    }

    /// Closes now and tells the delegate once.
    public func close(reason: String) {
        guard state != .closed else { return }
        state = .closed
        closeReason = reason
        if let deadline = closingDeadline { loop.timers.cancel(deadline) }
        if let deadline = handshakeDeadline { loop.timers.cancel(deadline) }
        if let resumeTimer { loop.timers.cancel(resumeTimer) }
        loop.removeFileEvent(fd: fd)
        if let tls, tls.isEstablished { tls.closeNotify() }
        discardUnreadInput()
        Glibc.close(fd)
        output.removeAll()
        onOutputWritten = nil
        delegate?.connectionClosed(self, reason: reason)
        delegate = nil
        onFinalClose(self)
    }

    public func handleFileEvents(_ ready: FileEvents) {
        if let tls, !tls.isEstablished { return continueHandshake(tls) }
        if ready.contains(.writable) { flush() }
        guard state == .open else { return }
        if ready.contains(.readable) { readOnce() }
    }

    /// Drives the handshake as the socket allows; queued output leaves once it is done.
    private func continueHandshake(_ tls: TLSSession) {
        switch tls.handshake() {
        case .done:
            if let deadline = handshakeDeadline { loop.timers.cancel(deadline) }
            handshakeDeadline = nil
            loop.setFileEvents(fd: fd, events: state == .open ? .readable : [])
            flush()
            // The client's first lines can arrive with its last handshake message, already
            // read from the socket: nothing would announce them.
            if state == .open && tls.hasPendingInput { readOnce() }
        case .wantRead:
            loop.setFileEvents(fd: fd, events: .readable)
        case .wantWrite:
            loop.setFileEvents(fd: fd, events: .writable)
        case .failed(let reason):
            close(reason: "TLS handshake failed: \(reason)")
        }
    }

    /// One recv per readiness event, so a chatty client cannot starve the others. TLS reads
    /// one record at a time, so it goes on while OpenSSL holds input the socket's readiness
    /// would never announce.
    private func readOnce() {
        guard let tls else { return handleRead(recv(fd, buffers.receive.baseAddress, buffers.receive.count, 0)) }
        repeat {
            let count = tls.read(into: buffers.receive.baseAddress!, count: buffers.receive.count)
            if count < 0 {
                if let error = tls.lastError { close(reason: "TLS error: \(error)") }
                return
            }
            handleRead(count)
        } while readInterest.contains(.readable) && tls.hasPendingInput
    }

    /// What one recv (or TLS read) returned: bytes to frame, the end of the input, or an error.
    private func handleRead(_ count: Int) {
        if count == 0 {
            if heldInput.isEmpty { close(reason: "Connection closed") } else { endInput() }
            return
        }
        if count < 0 {
            let error = SystemError("recv")
            if error.isWouldBlock || error.errno == EINTR { return }
            close(reason: readErrorReason(error))
            return
        }
        receive(UnsafeRawBufferPointer(rebasing: buffers.receive[0..<count]))
    }

    private func readErrorReason(_ error: SystemError) -> String {
        switch error.errno {
        case ECONNRESET: return "Connection reset by peer"
        case ETIMEDOUT: return "Connection timed out"
        default: return "Read error: \(error)"
        }
    }

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        connections.needsFlush(self)
    }

    func flushPendingOutput() {
        flushScheduled = false
        flush()
    }

    private func flush() {
        guard state != .closed, failureReason == nil, isEstablished else { return }
        let result: FlushResult
        if let tls {
            result = output.flush(to: TLSSink(session: tls), gatheringIn: buffers.gather)
        } else {
            result = output.flush(to: SocketSink(fd: fd), gatheringIn: buffers.gather)
        }
        switch result {
        case .drained:
            if state == .closing {
                close(reason: gracefulCloseReason ?? "Closed")
            } else {
                loop.setFileEvents(fd: fd, events: readInterest)
            }
        case .blocked:
            loop.setFileEvents(fd: fd, events: readInterest.union(.writable))
        case .failed(let error):
            // A client that hung up with lines waiting is gone, but those lines still run out.
            if inputEnded && state == .open { return output.removeAll() }
            if let tlsError = tls?.lastError { return fail("TLS error: \(tlsError)") }
            let reason = error.errno == EPIPE || error.errno == ECONNRESET
                ? "Connection reset by peer" : "Write error: \(error)"
            fail(reason)
        }
        if state == .open, failureReason == nil { onOutputWritten?() }
    }

    // MARK: Long replies

    /// Runs after each write while the connection is open, so that a long reply can queue its
    /// next lines as the client reads them (see `LongReplies` in the front-ends). Cleared on close.
    public var onOutputWritten: (() -> Void)?

    /// Holds the client's input from the line being handled on: the lines after it wait in the
    /// held input (the fakelag's), and reading stops, so TCP flow control bounds the rest. A
    /// hang-up or an error is still reported. `releaseInput()` lets them run, in order and at
    /// the fakelag's pace, from a timer (outside whatever handler releases them).
    public func holdInput() {
        guard !isInputHeld else { return }
        isInputHeld = true
        updateInterest()
    }

    public func releaseInput() {
        guard isInputHeld else { return }
        isInputHeld = false
        if let resumeTimer { loop.timers.cancel(resumeTimer) }
        resumeTimer = nil
        scheduleResume()
    }

    /// A line to run before the client's next one: the rest of a command with several targets
    /// that started a long reply (JOIN #big,#next), in the client's protocol.
    public func deferLine(_ line: String) {
        deferredLines.append(contentsOf: line.utf8)
        deferredLines.append(contentsOf: [0x0D, 0x0A])
    }

    private func takeDeferredLines() {
        guard !deferredLines.isEmpty else { return }
        heldInput.prepend(deferredLines)
        deferredLines = []
    }

    private var readInterest: FileEvents { state == .open && !isInputHeld && !waitsForFakelag ? .readable : [] }

    private func updateInterest() {
        guard state == .open else { return }
        loop.setFileEvents(fd: fd, events: output.isEmpty ? readInterest : readInterest.union(.writable))
    }

    /// Reads and drops input the peer sent after we stopped listening: closing a socket with
    /// unread data sends RST, which can destroy our last words before the client reads them.
    private func discardUnreadInput() {
        shutdown(fd, Int32(SHUT_WR))
        for _ in 0..<16 {
            let count = recv(fd, buffers.receive.baseAddress, buffers.receive.count, Int32(MSG_DONTWAIT))
            if count <= 0 { return }
        }
    }
}

// MARK: Line dispatch and fakelag

extension Connection {
    /// The client's fakelag: nil processes every line at once (disabled, or an exempt network).
    /// A change applies at once, to input already waiting too.
    public var floodPolicy: FloodPolicy? {
        get { fakelag.policy }
        set {
            fakelag.setPolicy(newValue, now: monotonicNanoseconds())
            rescheduleResume()
        }
    }

    /// Server operators' lines are never held, whatever the policy; set once they log in.
    public var isFakelagExempt: Bool {
        get { fakelagExempt }
        set {
            fakelagExempt = newValue
            rescheduleResume()
        }
    }

    /// Bytes read from the client that wait behind its fakelag.
    public var heldInputBytes: Int { heldInput.count }

    private func mayDispatch(at now: UInt64) -> Bool {
        fakelagExempt || fakelag.allowsLine(at: now)
    }

    /// Frames and handles one read's lines while the fakelag (and any long reply) allows, and
    /// holds the rest.
    private func receive(_ chunk: UnsafeRawBufferPointer) {
        if !heldInput.isEmpty || isInputHeld || (fakelag.isLimited && !mayDispatch(at: monotonicNanoseconds())) { return hold(chunk) }
        let used = dispatchLines(chunk)
        if used < chunk.count, state == .open, failureReason == nil {
            hold(UnsafeRawBufferPointer(rebasing: chunk[used...]))
        }
        takeDeferredLines()
    }

    /// Hands lines to the delegate until the fakelag is spent; returns the bytes used.
    private func dispatchLines(_ bytes: UnsafeRawBufferPointer) -> Int {
        let limited = fakelag.isLimited && !fakelagExempt
        let now = limited ? monotonicNanoseconds() : 0
        return framer.feed(bytes, maxLineBytes: maxLineBytes) { item in
            guard state == .open, failureReason == nil, let delegate else { return false }
            let weight: LineWeight
            switch item {
            case .line(let line): weight = delegate.connection(self, received: line)
            case .tooLong:
                delegate.connectionLineTooLong(self)
                weight = .normal
            }
            guard state == .open else { return false }
            // The line started a long reply: what follows waits for it (and is charged then).
            let goOn = !isInputHeld
            guard limited else { return goOn }
            if weight == .free, let policy = fakelag.policy {
                unregisteredLines += 1
                if unregisteredLines > policy.registrationLines {
                    delegate.connectionFlooded(self, reason: "\(unregisteredLines) lines before registering, more than flood.registration_lines (\(policy.registrationLines))")
                    return false
                }
            }
            return fakelag.charge(weight, at: now) && goOn
        }
    }

    /// Keeps input for later, and reads no more until the fakelag next lets a line through
    /// (or output drains): the kernel's buffer holds the rest, so a flooder costs a few reads
    /// a second, not one per write it makes. What was read ahead past the recvq is an Excess Flood.
    private func hold(_ bytes: UnsafeRawBufferPointer) {
        heldInput.append(bytes)
        if heldInput.count > fakelag.recvqBytes {
            guard let delegate else { return fail("Excess Flood") }
            return delegate.connectionFlooded(self, reason: "\(heldInput.count) bytes wait behind its fakelag, more than flood.recvq_bytes (\(fakelag.recvqBytes))")
        }
        waitsForFakelag = true
        updateInterest()
        if !isInputHeld { scheduleResume() }
    }

    private func scheduleResume() {
        guard resumeTimer == nil else { return }
        let delay = fakelagExempt ? 0 : fakelag.nanosecondsUntilNextLine(at: monotonicNanoseconds())
        // unowned: close() cancels the timer, and a weak reference would give every connection
        // a side table (slower retains on the fan-out path).
        resumeTimer = loop.timers.schedule(afterNanoseconds: delay) { [unowned self] in
            resumeTimer = nil
            resumeHeldInput()
        }
    }

    /// The policy or the exemption changed: waiting input goes by the new one from now on.
    private func rescheduleResume() {
        guard !heldInput.isEmpty, !isInputHeld, state == .open else { return }
        if let resumeTimer { loop.timers.cancel(resumeTimer) }
        resumeTimer = nil
        scheduleResume()
    }

    private func resumeHeldInput() {
        guard state == .open, failureReason == nil, !isInputHeld else { return }
        if !heldInput.isEmpty {
            guard mayDispatch(at: monotonicNanoseconds()) else { return scheduleResume() }
            // A copy of the buffer's reference: what the lines' handlers do cannot touch the bytes lent.
            let waiting = heldInput
            let used = waiting.withBytes { dispatchLines($0) }
            heldInput.drop(used)
            takeDeferredLines()
            // A held line started another long reply: the rest waits for that one.
            guard state == .open, failureReason == nil, !isInputHeld else { return }
        }
        if inputEnded {
            if heldInput.isEmpty { close(reason: "Connection closed") } else { scheduleResume() }
            return
        }
        // Read again: what arrived meanwhile, or the end of the flood. Input already inside
        // a TLS session makes no readiness, so it is read now (this is the timer's turn).
        waitsForFakelag = false
        updateInterest()
        if !heldInput.isEmpty { scheduleResume() }
        if let tls, tls.hasPendingInput, readInterest.contains(.readable) { readOnce() }
    }

    /// End of file with input still waiting: the waiting lines run out at their pace, then the
    /// connection closes. The socket leaves the loop: a hung-up socket reports POLLHUP whatever
    /// it is watched for, and would spin it. Output is still written when queued; a write that
    /// fails (the client is gone) drops it instead of the waiting lines.
    private func endInput() {
        inputEnded = true
        loop.removeFileEvent(fd: fd)
    }
}
