/// Fans one event out to many clients, rendering it once per distinct render key.
struct Delivery {
    private var rendered: [(key: Int, bytes: OutBytes?)] = []

    mutating func deliver(_ event: ChatEvent, to user: ChatUser) {
        guard let client = user.client else { return }
        let key = client.renderKey(for: event)
        let bytes: OutBytes?
        if let hit = rendered.first(where: { $0.key == key }) {
            bytes = hit.bytes
        } else {
            bytes = client.render(event)
            rendered.append((key, bytes))
        }
        if let bytes { client.send(bytes) }
    }

    static func deliver<Users: Sequence<ChatUser>>(_ event: ChatEvent, to users: Users, except skipped: ChatUser? = nil) {
        var delivery = Delivery()
        for user in users where user !== skipped {
            delivery.deliver(event, to: user)
        }
    }
}
