/// Fans one event out to many clients, rendering it once per distinct render key.
struct Delivery {
    // Most events have one or two distinct keys (say, plain clients and IRC clients): those
    // are kept inline, so a fan-out allocates nothing for its cache.
    private var first: (key: Int, bytes: OutBytes?)?
    private var second: (key: Int, bytes: OutBytes?)?
    private var more: [(key: Int, bytes: OutBytes?)] = []

    mutating func deliver(_ event: ChatEvent, to user: ChatUser) {
        guard let client = user.client else { return }
        if let bytes = bytes(for: client, event) { client.send(bytes) }
    }

    private mutating func bytes(for client: ChatClient, _ event: ChatEvent) -> OutBytes? {
        let key = client.renderKey(for: event)
        if let first, first.key == key { return first.bytes }
        if let second, second.key == key { return second.bytes }
        if let hit = more.first(where: { $0.key == key }) { return hit.bytes }
        let bytes = client.render(event)
        if first == nil { first = (key, bytes) } else if second == nil { second = (key, bytes) } else { more.append((key, bytes)) }
        return bytes
    }

    static func deliver<Users: Sequence<ChatUser>>(_ event: ChatEvent, to users: Users, except skipped: ChatUser? = nil) {
        var delivery = Delivery()
        for user in users where user !== skipped {
            delivery.deliver(event, to: user)
        }
    }
}
