/// Who may see whom and which rooms, the same for every front-end (WHO, NAMES, LIST, WHOIS,
/// /rooms, /who).
extension Room {
    /// Secret (+s) rooms show only to their members and to server operators.
    public func isVisible(to viewer: ChatUser) -> Bool {
        !modes.secret || contains(viewer) || viewer.isServerOperator
    }

    /// The members `viewer` may see listed: all of them from inside; from outside, invisible
    /// (+i) members only when they share another room with the viewer.
    public func members(visibleTo viewer: ChatUser) -> [ChatUser] {
        let inside = contains(viewer)
        return membersByNick.filter { inside || $0.isVisible(to: viewer) }
    }
}

extension ChatUser {
    /// Invisible (+i) users show in listings only to themselves and to those sharing a room.
    public func isVisible(to viewer: ChatUser) -> Bool {
        !isInvisible || self === viewer || rooms.contains { $0.contains(viewer) }
    }
}
