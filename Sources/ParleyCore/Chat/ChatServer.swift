/// The chat state: users, nicknames, rooms and routing. No sockets, no wire formats.
public final class ChatServer {
    public var rules: NameRules
    public private(set) var defaultRoomName: String
    public private(set) var users: [UInt64: ChatUser] = [:]
    private var usersByNick: [String: ChatUser] = [:]
    private var roomsByName: [String: Room] = [:]
    private var nextUserID: UInt64 = 1
    public weak var chain: MessageChain?
    public weak var listener: ChatListener?

    public init(rules: NameRules, defaultRoomName: String) {
        self.rules = rules
        self.defaultRoomName = defaultRoomName
        _ = persistentRoom(defaultRoomName)
    }

    public var userCount: Int { users.count }
    public var rooms: [Room] { roomsByName.values.sorted { $0.foldedName < $1.foldedName } }

    public func user(nick: String) -> ChatUser? { usersByNick[Casemapping.fold(nick)] }
    public func room(named name: String) -> Room? { roomsByName[Casemapping.fold(name)] }

    /// The default room always exists, even when empty; a config reload may rename it.
    public func setDefaultRoom(_ name: String) {
        let previous = room(named: defaultRoomName)
        defaultRoomName = name
        _ = persistentRoom(name)
        if let previous, previous.memberCount == 0, previous.foldedName != Casemapping.fold(name) {
            roomsByName[previous.foldedName] = nil
        }
    }

    private func persistentRoom(_ name: String) -> Room {
        if let room = room(named: name) { return room }
        let room = Room(name: name)
        roomsByName[room.foldedName] = room
        return room
    }

    // MARK: Nicknames

    /// Why `nick` cannot be taken now (by `user`, when renaming), or nil.
    public func nickError(_ nick: String, for user: ChatUser? = nil) -> ChatError? {
        if let reason = rules.nickProblem(nick) { return .invalidNick(nick, reason: reason) }
        if let holder = usersByNick[Casemapping.fold(nick)], holder !== user { return .nickInUse(nick) }
        return nil
    }

    public func register(nick: String, username: String, host: String, realName: String,
                         client: ChatClient) throws(ChatError) -> ChatUser {
        if let error = nickError(nick) { throw error }
        let user = ChatUser(id: nextUserID, nick: nick, username: username, host: host,
                            realName: realName, client: client)
        nextUserID += 1
        users[user.id] = user
        usersByNick[user.foldedNick] = user
        return user
    }

    public func changeNick(_ user: ChatUser, to nick: String) throws(ChatError) {
        if let error = nickError(nick, for: user) { throw error }
        guard nick != user.nick else { return }
        let oldNick = user.nick
        usersByNick[user.foldedNick] = nil
        user.nick = nick
        user.foldedNick = Casemapping.fold(nick)
        usersByNick[user.foldedNick] = user
        var audience = usersSharingRooms(with: user)
        audience.append(user)
        Delivery.deliver(.nickChanged(user, oldNick: oldNick), to: audience)
        listener?.userChangedNick(user, oldNick: oldNick)
    }

    // MARK: Rooms

    @discardableResult
    public func join(_ user: ChatUser, roomNamed name: String) throws(ChatError) -> Room {
        if let reason = rules.roomProblem(name) { throw .invalidRoom(name, reason: reason) }
        let room = roomsByName[Casemapping.fold(name)] ?? {
            let created = Room(name: name)
            roomsByName[created.foldedName] = created
            return created
        }()
        guard !room.contains(user) else { return room }
        room.add(user)
        user.rooms.append(room)
        Delivery.deliver(.joined(user, room), to: room.members)
        listener?.userJoined(user, room)
        return room
    }

    public func part(_ user: ChatUser, roomNamed name: String, reason: String?) throws(ChatError) {
        guard let room = room(named: name) else { throw .noSuchRoom(name) }
        guard room.contains(user) else { throw .notInRoom(room.name) }
        Delivery.deliver(.parted(user, room, reason: reason), to: room.members)
        leave(user, room)
        listener?.userParted(user, room, reason: reason)
    }

    /// Removes a user everywhere and tells everyone who shared a room with them, once each.
    public func quit(_ user: ChatUser, reason: String) {
        guard users[user.id] === user else { return }
        let audience = usersSharingRooms(with: user)
        for room in user.rooms { leave(user, room) }
        users[user.id] = nil
        usersByNick[user.foldedNick] = nil
        Delivery.deliver(.quit(user, reason: reason), to: audience)
        user.client = nil
        listener?.userQuit(user, reason: reason)
    }

    public func setTopic(_ room: Room, text: String, by user: ChatUser) throws(ChatError) {
        guard room.contains(user) else { throw .notInRoom(room.name) }
        guard text.utf8.count <= rules.topicLength else { throw .topicTooLong(limit: rules.topicLength) }
        room.topic = text.isEmpty ? nil : Room.Topic(text: text, setBy: user.nick, setAt: wallClockSeconds())
        Delivery.deliver(.topicChanged(room, by: user), to: room.members)
    }

    private func leave(_ user: ChatUser, _ room: Room) {
        room.remove(user)
        user.rooms.removeAll { $0 === room }
        if room.memberCount == 0 && room.foldedName != Casemapping.fold(defaultRoomName) {
            roomsByName[room.foldedName] = nil
        }
    }

    /// Everyone who shares at least one room with `user`, each once, `user` excluded.
    public func usersSharingRooms(with user: ChatUser) -> [ChatUser] {
        var seen: Set<UInt64> = [user.id]
        var result: [ChatUser] = []
        for room in user.rooms {
            for member in room.members where seen.insert(member.id).inserted {
                result.append(member)
            }
        }
        return result
    }

    // MARK: Messages

    /// Routes a message through the plugin chain: room messages reach every other member,
    /// private ones their target; then observers (bots) see what was delivered.
    @discardableResult
    public func send(_ message: ChatMessage) throws(ChatError) -> ChatMessage? {
        var message = message
        if message.text.isEmpty { throw .emptyMessage }
        switch message.target {
        case .room(let room):
            guard room.contains(message.sender) else { throw .notInRoom(room.name) }
        case .user(let recipient):
            guard users[recipient.id] === recipient else { throw .noSuchNick(recipient.nick) }
        }
        if let chain {
            switch chain.filter(&message) {
            case .deliver: break
            case .drop: return nil
            case .reject(let reason): throw .rejected(reason)
            }
        }
        switch message.target {
        case .room(let room):
            Delivery.deliver(.message(message), to: room.members, except: message.sender)
        case .user(let recipient):
            Delivery.deliver(.message(message), to: CollectionOfOne(recipient))
        }
        chain?.observe(message)
        return message
    }

    // MARK: Bots

    /// A user with no connection, owned by a plugin; it leaves like anyone else.
    public func registerBot(nick: String, client: ChatClient) throws(ChatError) -> ChatUser {
        let bot = try register(nick: nick, username: "bot", host: "bots.parley", realName: "Plugin bot", client: client)
        bot.isBot = true
        return bot
    }

    /// A notice from the server to every connected user (shutdown, for example).
    public func broadcastServerNotice(_ text: String) {
        Delivery.deliver(.serverNotice(text), to: users.values)
    }
}
