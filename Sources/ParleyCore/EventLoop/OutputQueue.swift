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

    /// Writes as much as the socket takes, with one writev per batch of up to 64 chunks.
    mutating func flush(to fd: Int32) -> FlushResult {
        while queuedBytes > 0 {
            let batch = min(chunks.count - head, 64)
            let written = withUnsafeTemporaryAllocation(of: iovec.self, capacity: batch) { vectors in
                for index in 0..<batch {
                    let chunk = chunks[head + index]
                    let skip = index == 0 ? headOffset : 0
                    vectors[index] = iovec(iov_base: chunk.storage.baseAddress! + skip,
                                           iov_len: chunk.count - skip)
                }
                return writev(fd, vectors.baseAddress, Int32(batch))
            }
            if written < 0 {
                let error = SystemError("writev")
                if error.errno == EINTR { continue }
                return error.isWouldBlock ? .blocked : .failed(error)
            }
            consume(written)
        }
        return .drained
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
