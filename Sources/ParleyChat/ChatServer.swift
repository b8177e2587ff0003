import ParleyBytes

/// The chat state: users, nicknames, rooms and routing. No sockets, no wire formats.
public final class ChatServer {
    public var rules: NameRules
    public private(set) var defaultRoomName: String
    public private(set) var users: [UInt64: ChatUser] = [:]
    private var usersByNick: [String: ChatUser] = [:]
    private var roomsByName: [String: Room] = [:]
    private var nextUserID: UInt64 = 1
    /// The server enables it and delivers it from its before-sleep step.
    public let heldBack = HeldBackRoomMessages()
    /// Recently departed users, newest last, for WHOWAS.
    public private(set) var whowas: [WhowasEntry] = []
    /// The most users at once since start (LUSERS).
    public private(set) var peakUserCount = 0
    // Unowned, not weak: a weak reference gives the plugin host a side table, and every retain
    // of it on the message path then takes the slow path. The server keeps the host for as
    // long as the chat core lives.
    public unowned var chain: MessageChain?
    public unowned var listener: ChatListener?
    /// How new users' hosts are shown to others; nil shows their real address.
    public var cloak: HostCloak?
    /// Masks (`nick!user@host`, matched like bans) of those made operators of the default room
    /// when they join it. Nobody else is: everyone is put there, so being first means nothing.
    public var defaultRoomOperators: [String] = []

    /// Advertised to IRC clients as CHANLIMIT and MAXLIST.
    public static let maxRoomsPerUser = 100
    public static let maxBansPerRoom = 100

    public init(rules: NameRules, defaultRoomName: String) {
        self.rules = rules
        self.defaultRoomName = defaultRoomName
        _ = persistentRoom(defaultRoomName)
    }

    public var userCount: Int { users.count }
    public var roomCount: Int { roomsByName.count }
    /// Kept up to date so LUSERS costs O(1) for every registration, not O(users).
    public private(set) var invisibleCount = 0
    public private(set) var serverOperatorCount = 0
    public private(set) var botCount = 0
    public var rooms: [Room] { roomsByName.values.sorted { $0.foldedName < $1.foldedName } }

    public func user(nick: String) -> ChatUser? { usersByNick[Casemapping.fold(nick)] }
    public func room(named name: String) -> Room? { roomsByName[Casemapping.fold(name)] }
    /// Whether the room still exists: a long listing holds rooms that may be gone by their turn.
    public func exists(_ room: Room) -> Bool { roomsByName[room.foldedName] === room }
    /// Whether the user is still here: a long listing holds users who may have quit by their turn.
    public func exists(_ user: ChatUser) -> Bool { users[user.id] === user }

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
        let room = Room(name: name, heldBack: heldBack)
        // Everyone lands in the default room, so anyone may set its topic.
        room.modes.topicLocked = false
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

    /// Registers a user connected from `address`; others see its cloak when cloaking is on.
    public func register(nick: String, username: String, address: String, realName: String,
                         client: ChatClient) throws(ChatError) -> ChatUser {
        try register(nick: nick, username: username, host: cloak?.cloak(address) ?? address, realHost: address,
                     realName: realName, client: client)
    }

    private func register(nick: String, username: String, host: String, realHost: String, realName: String,
                          client: ChatClient) throws(ChatError) -> ChatUser {
        if let error = nickError(nick) { throw error }
        let user = ChatUser(id: nextUserID, nick: nick, username: username, host: host, realHost: realHost,
                            realName: realName, client: client, heldBack: heldBack)
        nextUserID += 1
        users[user.id] = user
        usersByNick[user.foldedNick] = user
        peakUserCount = max(peakUserCount, users.count)
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
        emit(.nickChanged(user, oldNick: oldNick), to: audience)
        listener?.userChangedNick(user, oldNick: oldNick)
    }

    // MARK: Rooms

    /// Joins a room, creating it when needed; whoever joins an empty room becomes its operator,
    /// except in the default room, whose operators come from `defaultRoomOperators`.
    /// Bans, +i, +k and +l are enforced; an invite lets one past +i, +l and bans once.
    @discardableResult
    public func join(_ user: ChatUser, roomNamed name: String, key: String? = nil) throws(ChatError) -> Room {
        if let reason = rules.roomProblem(name) { throw .invalidRoom(name, reason: reason) }
        // A new room is kept only once someone is in it: a refused join leaves nothing behind.
        let room = roomsByName[Casemapping.fold(name)] ?? Room(name: name, heldBack: heldBack)
        guard !room.contains(user) else { return room }
        if !user.isBot && user.rooms.count >= Self.maxRoomsPerUser { throw .tooManyRooms(room.name, limit: Self.maxRoomsPerUser) }
        let invited = room.invited.contains(user.id)
        if !invited {
            if room.isBanned(user) { throw .bannedFromRoom(room.name) }
            if room.modes.inviteOnly { throw .inviteOnlyRoom(room.name) }
            if let limit = room.modes.limit, room.memberCount >= limit { throw .roomFull(room.name) }
        }
        if let required = room.modes.key, required != key { throw .badRoomKey(room.name) }
        room.invited.remove(user.id)
        let becomesOperator: Bool
        let isDefaultRoom = room.foldedName == Casemapping.fold(defaultRoomName)
        if isDefaultRoom {
            becomesOperator = user.matchesAny(defaultRoomOperators)
        } else {
            // Whoever joins a room with no people in it (bots aside) becomes its operator.
            becomesOperator = !user.isBot && room.members.allSatisfy(\.isBot)
        }
        room.add(user)
        roomsByName[room.foldedName] = room
        if becomesOperator { room.setStatus(user, MemberStatus(isOperator: true, hasVoice: false)) }
        user.rooms.append(room)
        emit(.joined(user, room), to: room.members)
        // A room's creator is its operator by the JOIN itself; in the default room, where
        // people already are, the server says so, or their lists would show no @.
        if becomesOperator && isDefaultRoom && room.memberCount > 1 {
            emit(.roomModeChanged(room, by: nil, modes: "+o", params: [user.nick]), to: room.members)
        }
        listener?.userJoined(user, room)
        return room
    }

    public func part(_ user: ChatUser, roomNamed name: String, reason: String?) throws(ChatError) {
        guard let room = room(named: name) else { throw .noSuchRoom(name) }
        guard room.contains(user) else { throw .notInRoom(room.name) }
        emit(.parted(user, room, reason: reason), to: room.members)
        leave(user, room)
        user.client?.left(room)
        listener?.userParted(user, room, reason: reason)
    }

    /// Removes a user everywhere and tells everyone who shared a room with them, once each.
    public func quit(_ user: ChatUser, reason: String) {
        guard users[user.id] === user else { return }
        whowas.append(WhowasEntry(nick: user.nick, username: user.username, host: user.host, realHost: user.realHost,
                                  realName: user.realName, leftAt: wallClockSeconds()))
        if whowas.count > 200 { whowas.removeFirst(whowas.count - 200) }
        let audience = usersSharingRooms(with: user)
        for room in user.rooms { leave(user, room) }
        users[user.id] = nil
        usersByNick[user.foldedNick] = nil
        if user.isInvisible { invisibleCount -= 1 }
        if user.isServerOperator { serverOperatorCount -= 1 }
        if user.isBot { botCount -= 1 }
        emit(.quit(user, reason: reason), to: audience)
        user.client = nil
        listener?.userQuit(user, reason: reason)
    }

    public func setTopic(_ room: Room, text: String, by user: ChatUser) throws(ChatError) {
        guard room.contains(user) else { throw .notInRoom(room.name) }
        if room.modes.topicLocked && !room.isOperator(user) { throw .notRoomOperator(room.name) }
        guard text.utf8.count <= rules.topicLength else { throw .topicTooLong(limit: rules.topicLength) }
        room.topic = text.isEmpty ? nil : Room.Topic(text: text, setBy: user.nick, setAt: wallClockSeconds())
        emit(.topicChanged(room, by: user), to: room.members)
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
    /// Room messages are held back until the loop's before-sleep step, and written to the
    /// members' queues in runs (see `HeldBackRoomMessages` for how order is kept).
    @discardableResult
    public func send(_ message: ChatMessage) throws(ChatError) -> ChatMessage? {
        var message = message
        if message.text.isEmpty { throw .emptyMessage }
        switch message.target {
        case .room(let room):
            if let reason = whyCannotSend(message.sender, to: room) { throw .cannotSendToRoom(room.name, reason: reason) }
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
            heldBack.accept(message, in: room)
        case .user(let recipient):
            emit(.message(message), to: CollectionOfOne(recipient))
        }
        chain?.observe(message)
        return message
    }

    /// Why `user` may not speak in `room` now, or nil when they may.
    public func whyCannotSend(_ user: ChatUser, to room: Room) -> String? {
        guard room.contains(user) else {
            return room.modes.noExternal ? "you are not in the room, and it takes no messages from outside (+n)" : nil
        }
        let status = room.status(of: user)
        if status.isOperator || status.hasVoice { return nil }
        if room.modes.moderated { return "the room is moderated (+m): only voiced members speak" }
        if room.isBanned(user) { return "you are banned" }
        return nil
    }

    // MARK: Operators of rooms and of the server

    public func kick(_ target: ChatUser, from room: Room, by user: ChatUser, reason: String) throws(ChatError) {
        guard room.contains(user) else { throw .notInRoom(room.name) }
        guard room.isOperator(user) else { throw .notRoomOperator(room.name) }
        guard room.contains(target) else { throw .userNotInRoom(nick: target.nick, room: room.name) }
        let reason = String(decoding: Array(reason.utf8).prefix(rules.topicLength), as: UTF8.self)
        emit(.kicked(room, target: target, by: user, reason: reason), to: room.members)
        leave(target, room)
        target.client?.left(room)
        listener?.userParted(target, room, reason: "Kicked by \(user.nick): \(reason)")
    }

    public func invite(_ target: ChatUser, to room: Room, by user: ChatUser) throws(ChatError) {
        guard room.contains(user) else { throw .notInRoom(room.name) }
        if room.modes.inviteOnly && !room.isOperator(user) { throw .notRoomOperator(room.name) }
        guard !room.contains(target) else { throw .alreadyInRoom(nick: target.nick, room: room.name) }
        room.invited.insert(target.id)
        emit(.invited(room, target: target, by: user), to: CollectionOfOne(target))
    }

    /// Applies MODE changes by a room operator and announces what changed, as one line.
    /// Returns the problems with individual changes (unknown nicks), which were skipped.
    @discardableResult
    public func changeModes(of room: Room, by user: ChatUser, _ changes: [RoomModeChange]) throws(ChatError) -> [ChatError] {
        guard room.isOperator(user) || user.isServerOperator else { throw .notRoomOperator(room.name) }
        let (letters, params, problems) = room.apply(changes, by: user, users: usersByNick)
        if !letters.isEmpty {
            emit(.roomModeChanged(room, by: user, modes: letters, params: params), to: room.members)
        }
        return problems
    }

    /// Sets or clears the away message; sharers with away-notify are told.
    public func setAway(_ user: ChatUser, _ message: String?) {
        guard user.away != message else { return }
        user.away = message
        emit(.awayChanged(user), to: usersSharingRooms(with: user))
    }

    public func setInvisible(_ user: ChatUser, _ invisible: Bool) {
        guard user.isInvisible != invisible else { return }
        user.isInvisible = invisible
        invisibleCount += invisible ? 1 : -1
    }

    public func setServerOperator(_ user: ChatUser, _ isOperator: Bool) {
        guard user.isServerOperator != isOperator else { return }
        user.isServerOperator = isOperator
        serverOperatorCount += isOperator ? 1 : -1
    }

    /// KILL: a server operator disconnects a user; the client's connection closes with the reason.
    public func kill(_ target: ChatUser, by user: ChatUser, reason: String) throws(ChatError) {
        guard user.isServerOperator else { throw .notServerOperator }
        let why = "Killed (\(user.nick) (\(reason)))"
        if let client = target.client {
            client.disconnect(reason: why)
        }
        quit(target, reason: why)
    }

    /// WALLOPS: a message from an operator to every server operator.
    public func wallops(_ text: String, from user: ChatUser) throws(ChatError) {
        guard user.isServerOperator else { throw .notServerOperator }
        emit(.wallops(from: user, text), to: users.values.filter(\.isServerOperator))
    }

    // MARK: Bots

    /// A user with no connection, owned by a plugin; it leaves like anyone else.
    public func registerBot(nick: String, client: ChatClient) throws(ChatError) -> ChatUser {
        let bot = try register(nick: nick, username: "bot", host: "bots.parley", realHost: "bots.parley",
                               realName: "Plugin bot", client: client)
        bot.isBot = true
        botCount += 1
        return bot
    }

    /// Every core event reaches clients here: what is held back goes first.
    private func emit<Users: Sequence<ChatUser>>(_ event: ChatEvent, to users: Users) {
        heldBack.deliver()
        Delivery.deliver(event, to: users)
    }

    /// A server notice to the given users (a plugin command's result, for example).
    public func sendServerNotice<Users: Sequence<ChatUser>>(_ text: String, to users: Users) {
        emit(.serverNotice(text), to: users)
    }
}
