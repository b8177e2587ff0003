import ParleyChat
import ParleyTransport

/// One IRC command: what the table checks before its handler runs (451, 462, 461, 481 come
/// from here, in that order, never from the handlers), and the handler.
struct IRCCommand: Sendable {
    let name: String
    /// Fewer parameters than this is 461 ERR_NEEDMOREPARAMS.
    let minParams: Int
    /// Usable before registration completes; everything else is 451 until then.
    let beforeRegistration: Bool
    /// Only for registering (PASS, USER): 462 ERR_ALREADYREGISTRED once registered.
    let registrationOnly: Bool
    /// Server operators only: 481 ERR_NOPRIVILEGES for everyone else.
    let operatorOnly: Bool
    /// A query that costs the server more than a message (long replies): it counts as
    /// `flood.query_cost` lines against the client's fakelag.
    let isQuery: Bool
    let run: @Sendable (IRCSession, IRCMessage) -> Void

    /// A command that may be usable before registration; the handler sees the whole message.
    init(_ name: String, minParams: Int = 0, beforeRegistration: Bool, registrationOnly: Bool = false,
         operatorOnly: Bool = false, isQuery: Bool = false, _ run: @escaping @Sendable (IRCSession, IRCMessage) -> Void) {
        self.name = name
        self.minParams = minParams
        self.beforeRegistration = beforeRegistration
        self.registrationOnly = registrationOnly
        self.operatorOnly = operatorOnly
        self.isQuery = isQuery
        self.run = run
    }

    /// A command for registered clients: the table guarantees the user.
    init(_ name: String, minParams: Int = 0, operatorOnly: Bool = false, isQuery: Bool = false,
         _ run: @escaping @Sendable (IRCSession, [String], ChatUser) -> Void) {
        self.init(name, minParams: minParams, beforeRegistration: false, operatorOnly: operatorOnly, isQuery: isQuery) { session, message in
            run(session, message.params, session.user!)
        }
    }
}

/// Every IRC command the front-end handles, one row each (like Ergo's command table).
enum IRCCommandTable {
    static let rows: [IRCCommand] = [
        // Registration and connection
        IRCCommand("PASS", minParams: 1, beforeRegistration: true, registrationOnly: true) { $0.pass($1.params) },
        IRCCommand("NICK", beforeRegistration: true) { $0.nick($1.params) },
        IRCCommand("USER", minParams: 4, beforeRegistration: true, registrationOnly: true) { $0.userCommand($1.params) },
        IRCCommand("CAP", minParams: 1, beforeRegistration: true) { $0.capability($1.params) },
        IRCCommand("PING", beforeRegistration: true) { $0.pong($1.params) },
        IRCCommand("PONG", beforeRegistration: true) { _, _ in },
        IRCCommand("QUIT", beforeRegistration: true) { $0.quit($1.params) },
        // Messaging
        IRCCommand("PRIVMSG", beforeRegistration: false) { $0.privmsg("PRIVMSG", $1) },
        IRCCommand("NOTICE", beforeRegistration: false) { $0.privmsg("NOTICE", $1) },
        IRCCommand("AWAY") { $0.away($1, $2) },
        // Channels
        IRCCommand("JOIN", minParams: 1) { $0.join($1, $2) },
        IRCCommand("PART", minParams: 1) { $0.part($1, $2) },
        IRCCommand("TOPIC", minParams: 1) { $0.topic($1, $2) },
        IRCCommand("NAMES", isQuery: true) { $0.names($1, $2) },
        IRCCommand("LIST", isQuery: true) { $0.list($1, $2) },
        IRCCommand("INVITE", minParams: 2) { $0.invite($1, $2) },
        IRCCommand("KICK", minParams: 2) { $0.kick($1, $2) },
        IRCCommand("MODE", minParams: 1) { $0.mode($1, $2) },
        // Queries
        IRCCommand("WHO", isQuery: true) { $0.who($1, $2) },
        IRCCommand("WHOIS", isQuery: true) { $0.whois($1, $2) },
        IRCCommand("WHOWAS", isQuery: true) { $0.whowas($1, $2) },
        IRCCommand("ISON", minParams: 1) { session, params, _ in session.ison(params) },
        IRCCommand("USERHOST", minParams: 1) { $0.userhost($1, $2) },
        IRCCommand("MOTD") { session, _, _ in session.sendMotd() },
        IRCCommand("LUSERS") { session, _, _ in session.sendLusers() },
        IRCCommand("VERSION") { session, _, _ in session.version() },
        IRCCommand("TIME") { session, _, _ in session.time() },
        IRCCommand("INFO") { session, _, _ in session.info() },
        // Operators
        IRCCommand("OPER", minParams: 2) { $0.oper($1, $2) },
        IRCCommand("KILL", minParams: 1, operatorOnly: true) { $0.kill($1, $2) },
        IRCCommand("WALLOPS", minParams: 1, operatorOnly: true) { $0.wallops($1, $2) },
        IRCCommand("REHASH", operatorOnly: true) { session, _, user in session.rehash(user) },
    ]

    static let byName: [String: IRCCommand] = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })

    /// Lowercase, as plugin command names are: these names are reserved.
    static var names: [String] { rows.map { $0.name.lowercased() } + ["tagmsg", "error"] }
}

extension IRCSession {
    /// Runs one command; returns what it weighs against the fakelag (queries weigh more).
    func dispatch(_ message: IRCMessage) -> LineWeight {
        let name = message.command.uppercased()
        guard let command = IRCCommandTable.byName[name] else {
            guard let user else {
                numeric("451", "You have not registered")
                return .normal
            }
            let arguments = message.params.joined(separator: " ")
            if services.pluginCommands?.runCommand(name.lowercased(), arguments: arguments, caller: user, room: nil) != true {
                numeric("421", name, "Unknown command")
            }
            return .normal
        }
        run(command, message)
        return command.isQuery ? .heavy : .normal
    }

    private func run(_ command: IRCCommand, _ message: IRCMessage) {
        guard user != nil || command.beforeRegistration else { return numeric("451", "You have not registered") }
        guard user == nil || !command.registrationOnly else { return numeric("462", "You may not reregister") }
        guard message.params.count >= command.minParams else { return numeric("461", command.name, "Not enough parameters") }
        if command.operatorOnly && user?.isServerOperator != true {
            return numeric("481", "Permission Denied- You're not an IRC operator")
        }
        command.run(self, message)
    }
}
