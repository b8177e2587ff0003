/// A room (an IRC channel): its members and topic.
public final class Room {
    public struct Topic: Equatable, Sendable {
        public let text: String
        public let setBy: String
        public let setAt: Double
    }

    public let name: String
    public let foldedName: String
    public let createdAt: Double
    public internal(set) var topic: Topic?
    /// Members in no particular order; `memberSlot` makes removal O(1) for large rooms.
    public private(set) var members: [ChatUser] = []
    private var memberSlot: [UInt64: Int] = [:]

    init(name: String) {
        self.name = name
        self.foldedName = Casemapping.fold(name)
        self.createdAt = wallClockSeconds()
    }

    public var memberCount: Int { members.count }

    public func contains(_ user: ChatUser) -> Bool { memberSlot[user.id] != nil }

    /// Members sorted by nick, for listings.
    public var membersByNick: [ChatUser] {
        members.sorted { $0.foldedNick < $1.foldedNick }
    }

    func add(_ user: ChatUser) {
        guard memberSlot[user.id] == nil else { return }
        memberSlot[user.id] = members.count
        members.append(user)
    }

    func remove(_ user: ChatUser) {
        guard let slot = memberSlot.removeValue(forKey: user.id) else { return }
        let last = members.count - 1
        if slot != last {
            members[slot] = members[last]
            memberSlot[members[slot].id] = slot
        }
        members.removeLast()
    }
}
