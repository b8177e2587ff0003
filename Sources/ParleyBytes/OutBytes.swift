/// Bytes encoded once and shared, by reference, by every recipient's output queue.
/// The storage never moves (its capacity is fixed), so a write can point straight at it.
///
/// Most are one encoded reply. A *shared arena* instead collects the encoded messages of many
/// fan-outs one after another: a member of a busy room then queues one growing slice of it per
/// loop turn (extended in place, message by message) and leaves it in one plain write.
public final class OutBytes {
    public let storage: UnsafeMutableRawBufferPointer
    public private(set) var count: Int
    /// Slices of it reach many queues: a queue that cannot drain copies new slices out of
    /// it rather than keeping it alive for a few bytes.
    package let isSharedArena: Bool

    public init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 1)
        UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count]).copyBytes(from: bytes)
        count = bytes.count
        isSharedArena = false
    }

    public convenience init(line: String) {
        var text = line
        text.append("\r\n")
        self.init(text.utf8)
    }

    /// An empty buffer that bytes are appended to until it is full.
    package init(capacity: Int, sharedArena: Bool) {
        storage = .allocate(byteCount: max(capacity, 1), alignment: 16)
        count = 0
        isSharedArena = sharedArena
    }

    deinit { storage.deallocate() }

    package var freeBytes: Int { storage.count - count }

    /// Copies `range` of `source` to the end; nil when it does not fit.
    package func append(_ source: OutBytes, _ range: Range<Int>) -> Range<Int>? {
        guard range.count <= freeBytes else { return nil }
        (storage.baseAddress! + count).copyMemory(from: source.storage.baseAddress! + range.lowerBound, byteCount: range.count)
        defer { count += range.count }
        return count..<(count + range.count)
    }
}
