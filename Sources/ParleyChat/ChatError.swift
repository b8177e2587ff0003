/// Why the core refused an intent. Front-ends word these for their protocol.
public enum ChatError: Error, Equatable {
    case invalidNick(String, reason: String)
    case nickInUse(String)
    case noSuchNick(String)
    case invalidRoom(String, reason: String)
    case noSuchRoom(String)
    case notInRoom(String)
    case topicTooLong(limit: Int)
    case emptyMessage
    /// A plugin refused the message; the reason is for the sender.
    case rejected(String)
    case bannedFromRoom(String)
    case inviteOnlyRoom(String)
    case badRoomKey(String)
    case roomFull(String)
    /// +n, +m or a ban stops the message; the reason says which.
    case cannotSendToRoom(String, reason: String)
    case notRoomOperator(String)
    case userNotInRoom(nick: String, room: String)
    case alreadyInRoom(nick: String, room: String)
    case notServerOperator
    /// ISUPPORT CHANLIMIT: the user is in as many rooms as allowed.
    case tooManyRooms(String, limit: Int)
    /// ISUPPORT MAXLIST: the room's ban list is full.
    case banListFull(String, limit: Int)
}
