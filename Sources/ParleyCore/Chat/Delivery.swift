/// Fans one event out to many clients, rendering it once per distinct render key.
struct Delivery {
    /// One rendering: the shared bytes and the part of them that is this event.
    private struct Rendered {
        let bytes: OutBytes
        let range: Range<Int>
    }

    // Most events have one or two distinct keys (say, plain clients and IRC clients): those
    // are kept inline as plain fields, so a fan-out allocates nothing for its cache and a
    // cache hit is an integer compare.
    private var firstKey = Int.min
    private var first: Rendered?
    private var secondKey = Int.min
    private var second: Rendered?
    private var more: [(key: Int, rendered: Rendered?)] = []
    /// When set, renderings are copied into the arena so that a room's consecutive messages
    /// sit side by side and each member's share of a loop turn leaves in one write.
    private let arena: MessageArena?

    init(arena: MessageArena? = nil) {
        self.arena = arena
    }

    mutating func deliver(_ event: ChatEvent, to user: ChatUser) {
        guard let client = user.client else { return }
        let key = client.renderKey(for: event)
        let rendered: Rendered?
        if key == firstKey {
            rendered = first
        } else if key == secondKey {
            rendered = second
        } else {
            rendered = render(event, for: client, key: key)
        }
        if let rendered { client.send(rendered.bytes, rendered.range) }
    }

    private mutating func render(_ event: ChatEvent, for client: ChatClient, key: Int) -> Rendered? {
        if let hit = more.first(where: { $0.key == key }) { return hit.rendered }
        let rendered = client.render(event).map { bytes -> Rendered in
            guard let arena else { return Rendered(bytes: bytes, range: 0..<bytes.count) }
            let stored = arena.store(bytes)
            return Rendered(bytes: stored.bytes, range: stored.range)
        }
        if firstKey == Int.min {
            (firstKey, first) = (key, rendered)
        } else if secondKey == Int.min {
            (secondKey, second) = (key, rendered)
        } else {
            more.append((key, rendered))
        }
        return rendered
    }

    static func deliver<Users: Sequence<ChatUser>>(_ event: ChatEvent, to users: Users, except skipped: ChatUser? = nil,
                                                   arena: MessageArena? = nil) {
        var delivery = Delivery(arena: arena)
        for user in users where user !== skipped {
            delivery.deliver(event, to: user)
        }
    }
}
