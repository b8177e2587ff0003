import ParleyBytes

/// Fans one event out to many clients, rendering it once per distinct render key. Room
/// messages, the busy path, go through `RoomMessageDelivery` instead.
enum Delivery {
    static func deliver<Users: Sequence<ChatUser>>(_ event: ChatEvent, to users: Users) {
        var rendered: [(key: Int, bytes: OutBytes?)] = []
        for user in users {
            guard let client = user.client else { continue }
            let key = client.renderKey(for: event)
            let bytes: OutBytes?
            if let hit = rendered.firstIndex(where: { $0.key == key }) {
                bytes = rendered[hit].bytes
            } else {
                bytes = client.render(event)
                rendered.append((key, bytes))
            }
            if let bytes { client.send(bytes, 0..<bytes.count) }
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
