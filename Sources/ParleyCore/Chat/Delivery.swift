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
        let rendered = client.render(event).map { Rendered(bytes: $0, range: 0..<$0.count) }
        if firstKey == Int.min {
            (firstKey, first) = (key, rendered)
        } else if secondKey == Int.min {
            (secondKey, second) = (key, rendered)
        } else {
            more.append((key, rendered))
        }
        return rendered
    }

    static func deliver<Users: Sequence<ChatUser>>(_ event: ChatEvent, to users: Users, except skipped: ChatUser? = nil) {
        var delivery = Delivery()
        for user in users where user !== skipped {
            delivery.deliver(event, to: user)
        }
    }
}

/// A run of consecutive messages to one room, written member by member: each member is visited
/// once for the whole run and, when it sent none of them, queues one slice of the arena.
enum RoomMessageDelivery {
    /// One render key's encodings of the run: each message's part of the arena, in order.
    private struct Rendering {
        let key: Int
        var parts: [(bytes: OutBytes, range: Range<Int>)?]
    }

    static func deliver(_ run: ArraySlice<ChatMessage>, in room: Room, arena: MessageArena) {
        guard let first = run.first else { return }
        let firstEvent = ChatEvent.message(first)
        var renderings: [Rendering] = []
        // Senders skip their own messages, unless they asked for an echo.
        let senders = run.map { $0.echoToSender ? UInt64.max : $0.sender.id }
        for member in room.members {
            guard let client = member.client else { continue }
            // Every message of the run goes to the same room, so one key serves the run.
            let key = client.renderKey(for: firstEvent)
            let index = renderings.firstIndex { $0.key == key } ?? {
                renderings.append(Rendering(key: key, parts: run.map { message in
                    client.render(.message(message)).map { arena.store($0) }
                }))
                return renderings.count - 1
            }()
            let sentSome = senders.contains(member.id)
            var pending: (bytes: OutBytes, range: Range<Int>)?
            for (position, part) in renderings[index].parts.enumerated() {
                guard let part, !sentSome || senders[position] != member.id else { continue }
                // Adjacent parts of one arena leave as one slice.
                if let current = pending, current.bytes === part.bytes, current.range.upperBound == part.range.lowerBound {
                    pending = (current.bytes, current.range.lowerBound..<part.range.upperBound)
                } else {
                    if let current = pending { client.send(current.bytes, current.range) }
                    pending = part
                }
            }
            if let current = pending { client.send(current.bytes, current.range) }
        }
    }
}
