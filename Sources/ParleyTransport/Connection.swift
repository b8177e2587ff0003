import Glibc
import ParleyBytes
import ParleyLoop

/// What a connection tells the protocol session that owns it.
public protocol ConnectionDelegate: AnyObject {
    func connection(_ connection: Connection, received line: UnsafeRawBufferPointer)
    func connectionLineTooLong(_ connection: Connection)
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
    private var isReadingPaused = false

    public init(fd: Int32, peer: PeerAddress, id: UInt64, connections: Connections,
                maxLineBytes: Int, sendqLimit: Int, tls context: TLSContext? = nil, handshakeTimeoutMilliseconds: UInt64 = 10_000,
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
        guard let tls else { return received(recv(fd, buffers.receive.baseAddress, buffers.receive.count, 0)) }
        repeat {
            let count = tls.read(into: buffers.receive.baseAddress!, count: buffers.receive.count)
            if count < 0 {
                if let error = tls.lastError { close(reason: "TLS error: \(error)") }
                return
            }
            received(count)
        } while state == .open && !isReadingPaused && tls.hasPendingInput
    }

    private func received(_ count: Int) {
        if count == 0 {
            close(reason: "Connection closed")
            return
        }
        if count < 0 {
            let error = SystemError("recv")
            if error.isWouldBlock || error.errno == EINTR { return }
            close(reason: readErrorReason(error))
            return
        }
        let chunk = UnsafeRawBufferPointer(rebasing: buffers.receive[0..<count])
        framer.feed(chunk, maxLineBytes: maxLineBytes) { item in
            guard state == .open, failureReason == nil, let delegate else { return false }
            switch item {
            case .line(let bytes): delegate.connection(self, received: bytes)
            case .tooLong: delegate.connectionLineTooLong(self)
            }
            return state == .open
        }
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

    /// Stops reading: the client's next lines wait in the socket, bounded by TCP flow control,
    /// until `resumeReading()`. A hang-up or an error is still reported, and read.
    public func pauseReading() {
        guard !isReadingPaused else { return }
        isReadingPaused = true
        updateInterest()
    }

    public func resumeReading() {
        guard isReadingPaused else { return }
        isReadingPaused = false
        updateInterest()
        // Input already inside the TLS session makes no readiness: read it from a timer, so
        // the read runs outside whatever handler resumed (a flush, a session's own command).
        if let tls, tls.hasPendingInput {
            loop.timers.schedule(afterMilliseconds: 0) { [weak self] in
                guard let self, state == .open, !isReadingPaused else { return }
                readOnce()
            }
        }
    }

    private var readInterest: FileEvents { state == .open && !isReadingPaused ? .readable : [] }

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
