import Glibc

/// Bytes encoded once and shared, by reference, by every recipient's output queue.
/// The storage never moves, so writev can point straight at it.
public final class OutBytes {
    public let storage: UnsafeMutableRawBufferPointer

    public init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 1)
        UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count]).copyBytes(from: bytes)
        count = bytes.count
    }

    public convenience init(line: String) {
        var text = line
        text.append("\r\n")
        self.init(text.utf8)
    }

    public let count: Int

    deinit { storage.deallocate() }
}

public enum FlushResult: Equatable {
    case drained
    case blocked
    case failed(SystemError)
}

/// A client's pending output: shared chunks plus how far into the first one we have written.
struct OutputQueue {
    private var chunks: [OutBytes] = []
    private var head = 0
    private var headOffset = 0
    private(set) var queuedBytes = 0

    var isEmpty: Bool { queuedBytes == 0 }

    mutating func append(_ chunk: OutBytes) {
        guard chunk.count > 0 else { return }
        chunks.append(chunk)
        queuedBytes += chunk.count
    }

    mutating func removeAll() {
        chunks = []
        head = 0
        headOffset = 0
        queuedBytes = 0
    }

    /// Writes as much as the socket takes. Queued chunks are gathered into `scratch` and leave
    /// in one plain write: the kernel copies one buffer far faster than dozens of small iovecs.
    mutating func flush(to fd: Int32, gatheringIn scratch: UnsafeMutableRawBufferPointer) -> FlushResult {
        while queuedBytes > 0 {
            let written = writeNext(to: fd, scratch)
            if written < 0 {
                let error = SystemError("write")
                if error.errno == EINTR { continue }
                return error.isWouldBlock ? .blocked : .failed(error)
            }
            consume(written)
        }
        return .drained
    }

    /// One write of the head chunk alone, or of as many whole chunks as fit in `scratch`.
    private func writeNext(to fd: Int32, _ scratch: UnsafeMutableRawBufferPointer) -> Int {
        let first = chunks[head]
        let firstLength = first.count - headOffset
        if head + 1 == chunks.count || firstLength * 2 > scratch.count {
            return write(fd, first.storage.baseAddress! + headOffset, firstLength)
        }
        var filled = 0
        var index = head
        var skip = headOffset
        while index < chunks.count {
            let chunk = chunks[index]
            let length = chunk.count - skip
            guard filled + length <= scratch.count else { break }
            (scratch.baseAddress! + filled).copyMemory(from: chunk.storage.baseAddress! + skip, byteCount: length)
            filled += length
            skip = 0
            index += 1
        }
        return write(fd, scratch.baseAddress, filled)
    }

    private mutating func consume(_ written: Int) {
        var remaining = written
        queuedBytes -= written
        while remaining > 0 {
            let available = chunks[head].count - headOffset
            if remaining >= available {
                remaining -= available
                head += 1
                headOffset = 0
            } else {
                headOffset += remaining
                remaining = 0
            }
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: chunks.count <= 64)
            head = 0
        } else if head > 256 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
