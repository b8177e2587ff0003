import ParleyBytes

/// Room messages accepted this loop turn and not yet written to the members' queues.
///
/// Holding them back lets a busy room's members be visited once per run of messages instead of
/// once per message (7-18% less CPU per delivery at 100-1,000 members, docs/BENCHMARKS.md). The
/// order every client sees is kept by construction: `deliver()` is the barrier in front of
///   - every other output: the core's events (`ChatServer.emit`) and sessions' direct replies
///     (the transport's `Connections.beforeDirectOutput`);
///   - every change to what a held-back delivery reads: room membership (`Room.add`/`remove`),
///     nicknames (`ChatUser.nick`), and a client's rendering (IRC caps, plain focus).
/// A new method that sends something or changes any of these passes a barrier without asking.
public final class HeldBackRoomMessages {
    /// Off (tests of the core alone), messages are delivered at once.
    public var isEnabled = false
    private var pending: [ChatMessage] = []
    /// Two buffers take turns, so holding messages back allocates nothing per turn.
    private var spare: [ChatMessage] = []
    /// Room messages are encoded into it one after another (see `OutBytes`).
    private let arena = MessageArena()

    init() {}

    public var isEmpty: Bool { pending.isEmpty }

    func accept(_ message: ChatMessage, in room: Room) {
        if isEnabled {
            pending.append(message)
        } else {
            RoomMessageDelivery.deliver([message], in: room, arena: arena)
        }
    }

    /// Delivers what is held back, in the order it was accepted. Delivery only renders and
    /// queues bytes: nothing in it sends a direct reply or closes a connection synchronously,
    /// and the list is swapped out first, so a nested call finds nothing to overtake.
    public func deliver() {
        guard !pending.isEmpty else { return }
        var messages = spare
        swap(&messages, &pending)
        defer {
            messages.removeAll(keepingCapacity: true)
            spare = messages
        }
        var start = 0
        while start < messages.count {
            guard case .room(let room) = messages[start].target else { start += 1; continue }
            var end = start + 1
            while end < messages.count, case .room(let next) = messages[end].target, next === room { end += 1 }
            RoomMessageDelivery.deliver(messages[start..<end], in: room, arena: arena)
            start = end
        }
    }
}
