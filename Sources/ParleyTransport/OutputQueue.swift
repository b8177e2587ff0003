import Glibc
import ParleyBytes
import ParleyLoop

/// Where a flush writes: the socket itself, or a TLS session on it. Generic, so the plain
/// path compiles to the bare write(2) it always was.
protocol ByteSink {
    /// Like write(2): a count, or -1 with errno set (EAGAIN: try again later).
    func write(_ bytes: UnsafeRawPointer, _ count: Int) -> Int
}

struct SocketSink: ByteSink {
    let fd: Int32
    func write(_ bytes: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, bytes, count) }
}

/// OpenSSL wants a retry with the same bytes after a full socket; the queue keeps them at its
/// head until they are written, and the context accepts them at a new address.
struct TLSSink: ByteSink {
    let session: TLSSession
    func write(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        let written = session.write(bytes, count: count)
        if written < 0 { errno = session.lastError == nil ? EAGAIN : EPROTO }
        return written
    }
}

public enum FlushResult: Equatable {
    case drained
    case blocked
    case failed(SystemError)
}

/// A client's pending output: slices of shared buffers, plus how far into the first one we
/// have written. A slice that continues the last one in the same buffer extends it in place.
struct OutputQueue {
    private struct Slice {
        let bytes: OutBytes
        let start: Int
        var end: Int
    }

    private var slices: [Slice] = []
    private var head = 0
    private var headOffset = 0
    private(set) var queuedBytes = 0
    /// Set while the socket will not take everything: from then on, slices of shared arenas
    /// are copied into `backlog` so a slow client never keeps whole arenas alive.
    private var isBacklogged = false
    private var backlog: OutBytes?

    var isEmpty: Bool { queuedBytes == 0 }

    mutating func append(_ bytes: OutBytes, _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        queuedBytes += range.count
        if isBacklogged && bytes.isSharedArena {
            appendCopy(of: bytes, range)
        } else {
            appendSlice(bytes, range)
        }
    }

    private mutating func appendSlice(_ bytes: OutBytes, _ range: Range<Int>) {
        let last = slices.count - 1
        if last >= head && slices[last].bytes === bytes && slices[last].end == range.lowerBound {
            slices[last].end = range.upperBound
        } else {
            slices.append(Slice(bytes: bytes, start: range.lowerBound, end: range.upperBound))
        }
    }

    private mutating func appendCopy(of bytes: OutBytes, _ range: Range<Int>) {
        if let backlog, let landed = backlog.append(bytes, range) {
            return appendSlice(backlog, landed)
        }
        let fresh = OutBytes(capacity: max(range.count, 16 << 10), sharedArena: false)
        backlog = fresh
        appendSlice(fresh, fresh.append(bytes, range)!)
    }

    mutating func removeAll() {
        slices = []
        head = 0
        headOffset = 0
        queuedBytes = 0
        isBacklogged = false
        backlog = nil
    }

    /// Writes as much as the socket takes. A lone slice is written in place; several are
    /// gathered into `scratch` and leave in one plain write (the kernel copies one buffer far
    /// faster than dozens of small iovecs).
    mutating func flush<Sink: ByteSink>(to sink: Sink, gatheringIn scratch: UnsafeMutableRawBufferPointer) -> FlushResult {
        while queuedBytes > 0 {
            let written = writeNext(to: sink, scratch)
            if written < 0 {
                let error = SystemError("write")
                if error.errno == EINTR { continue }
                if error.isWouldBlock {
                    isBacklogged = true
                    return .blocked
                }
                return .failed(error)
            }
            consume(written)
        }
        isBacklogged = false
        backlog = nil
        return .drained
    }

    /// One write of the head slice alone, or of as many whole slices as fit in `scratch`.
    private func writeNext<Sink: ByteSink>(to sink: Sink, _ scratch: UnsafeMutableRawBufferPointer) -> Int {
        let first = slices[head]
        let firstStart = first.start + headOffset
        let firstLength = first.end - firstStart
        if head + 1 == slices.count || firstLength * 2 > scratch.count {
            return sink.write(first.bytes.storage.baseAddress! + firstStart, firstLength)
        }
        var filled = 0
        var index = head
        var start = firstStart
        while index < slices.count {
            let slice = slices[index]
            let length = slice.end - start
            guard filled + length <= scratch.count else { break }
            (scratch.baseAddress! + filled).copyMemory(from: slice.bytes.storage.baseAddress! + start, byteCount: length)
            filled += length
            index += 1
            if index < slices.count { start = slices[index].start }
        }
        return sink.write(scratch.baseAddress!, filled)
    }

    private mutating func consume(_ written: Int) {
        var remaining = written
        queuedBytes -= written
        while remaining > 0 {
            let available = slices[head].end - slices[head].start - headOffset
            if remaining >= available {
                remaining -= available
                head += 1
                headOffset = 0
            } else {
                headOffset += remaining
                remaining = 0
            }
        }
        if head == slices.count {
            slices.removeAll(keepingCapacity: slices.count <= 64)
            head = 0
        } else if head > 256 && head * 2 > slices.count {
            slices.removeFirst(head)
            head = 0
        }
    }
}
