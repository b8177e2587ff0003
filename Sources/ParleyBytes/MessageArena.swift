/// Where fan-outs put the bytes they send, so consecutive messages to a room sit side by side.
public final class MessageArena {
    public static let capacity = 64 << 10
    private var current = OutBytes(capacity: MessageArena.capacity, sharedArena: true)

    public init() {}

    /// The arena slice holding `bytes`; a message too big to share an arena keeps its own.
    public func store(_ bytes: OutBytes) -> (bytes: OutBytes, range: Range<Int>) {
        let whole = 0..<bytes.count
        if let range = current.append(bytes, whole) { return (current, range) }
        guard bytes.count <= MessageArena.capacity / 4 else { return (bytes, whole) }
        current = OutBytes(capacity: MessageArena.capacity, sharedArena: true)
        return (current, current.append(bytes, whole)!)
    }
}
