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
    public internal(set) var modes = RoomModes()
    public internal(set) var bans: [Ban] = []
    /// Users invited while the room is +i; an invite is used up by joining.
    var invited: Set<UInt64> = []
    private var status: [UInt64: MemberStatus] = [:]
    /// Members in no particular order; `memberSlot` makes removal O(1) for large rooms.
    public private(set) var members: [ChatUser] = []
    private var memberSlot: [UInt64: Int] = [:]

    /// Membership decides who gets a held-back message: changing it passes the barrier.
    private unowned let heldBack: HeldBackRoomMessages

    init(name: String, heldBack: HeldBackRoomMessages) {
        self.heldBack = heldBack
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
        heldBack.deliver()
        memberSlot[user.id] = members.count
        members.append(user)
    }

    public func status(of user: ChatUser) -> MemberStatus {
        status[user.id] ?? MemberStatus()
    }

    public func isOperator(_ user: ChatUser) -> Bool { status[user.id]?.isOperator == true }

    func setStatus(_ user: ChatUser, _ newStatus: MemberStatus) {
        status[user.id] = newStatus
    }

    /// True when a ban matches the user, by the host others see or by the real one.
    public func isBanned(_ user: ChatUser) -> Bool {
        !bans.isEmpty && user.matchesAny(bans.lazy.map(\.mask))
    }

    func remove(_ user: ChatUser) {
        heldBack.deliver()
        status[user.id] = nil
        guard let slot = memberSlot.removeValue(forKey: user.id) else { return }
        let last = members.count - 1
        if slot != last {
            members[slot] = members[last]
            memberSlot[members[slot].id] = slot
        }
        members.removeLast()
    }
}
