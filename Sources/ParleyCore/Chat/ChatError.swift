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
}
