import ParleyBytes
import ParleyLoop

/// The connection layer of one loop: buffers every connection shares, the connections with
/// output to write and those to close, and write coalescing. Its before-sleep step, `flush()`,
/// closes the failed connections and then writes what the others queued this turn.
public final class Connections {
    package unowned let loop: EventLoop
    package let buffers = LoopBuffers()
    /// Output waits at most this long after the first queued byte, so messages arriving close
    /// together leave in one write per client (fewer syscalls and TCP segments than writing
    /// each at once, without Nagle's delayed-ACK stalls). 0 writes at the end of every turn.
    public var writeCoalescingNanoseconds: UInt64 = 0
    /// Runs before a connection queues output of its own (a reply, not a fan-out slice), so
    /// that the layer above can deliver what it holds back first and keep every client's order.
    public var beforeDirectOutput: (() -> Void)?
    /// Objects, not closures: marking a connection costs no allocation on the hot path.
    private var dirty: [Connection] = []
    private var failed: [Connection] = []
    private var flushDeadline: UInt64 = 0
    private var coalescingTimer: TimerID?

    public init(loop: EventLoop) {
        self.loop = loop
    }

    func needsFlush(_ connection: Connection) {
        dirty.append(connection)
    }

    func needsClose(_ connection: Connection) {
        failed.append(connection)
    }

    /// Whether connections failed since the last flush and wait to be closed.
    public var hasWork: Bool { !failed.isEmpty }

    /// The before-sleep step: closes failed connections, then writes queued output unless the
    /// coalescing window is still open. Writing can fail more connections: `hasWork` says so.
    public func flush() {
        closeFailed()
        guard !dirty.isEmpty else { return }
        if writeCoalescingNanoseconds > 0 {
            let now = monotonicNanoseconds()
            if flushDeadline == 0 { flushDeadline = now + writeCoalescingNanoseconds }
            if now < flushDeadline {
                if coalescingTimer == nil {
                    // Only wakes the loop: the next before-sleep step does the writing.
                    coalescingTimer = loop.timers.schedule(afterNanoseconds: flushDeadline - now) { [unowned self] in
                        coalescingTimer = nil
                    }
                }
                return
            }
            flushDeadline = 0
        }
        var index = 0
        while index < dirty.count {
            dirty[index].flushPendingOutput()
            index += 1
        }
        dirty.removeAll(keepingCapacity: true)
    }

    private func closeFailed() {
        while !failed.isEmpty {
            let closing = failed
            failed.removeAll()
            for connection in closing { connection.closeFailed() }
        }
    }
}

/// Buffers shared by every connection of one loop: connections keep only unfinished lines
/// and references to shared chunks, so an idle client costs no buffer at all.
package final class LoopBuffers {
    /// Where each recv lands before framing.
    let receive = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    /// Where a flush gathers queued chunks, so many small lines leave in one plain write.
    let gather = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    deinit {
        receive.deallocate()
        gather.deallocate()
    }
}
