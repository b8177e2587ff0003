import Foundation

/// An IRC client over a real socket, for raw protocol tests.
final class IRCTestClient {
    let socket: TestClient
    private(set) var nick: String

    init(port: Int, nick: String, receiveBufferBytes: Int32? = nil) throws {
        socket = try TestClient(port: port, receiveBufferBytes: receiveBufferBytes)
        self.nick = nick
    }

    /// Over a socket opened elsewhere (a TLS client's, say).
    init(socket: TestClient, nick: String) {
        self.socket = socket
        self.nick = nick
    }

    /// Connects and registers with NICK and USER, waiting for the end of the welcome burst.
    static func registered(_ server: TestServer, _ nick: String, caps: [String] = [],
                           receiveBufferBytes: Int32? = nil) throws -> IRCTestClient {
        let client = try IRCTestClient(port: server.ircPort, nick: nick, receiveBufferBytes: receiveBufferBytes)
        try client.register(caps: caps)
        return client
    }

    func register(caps: [String] = []) throws {
        if !caps.isEmpty {
            try send("CAP LS 302")
            try send("CAP REQ :\(caps.joined(separator: " "))")
            try expect(" ACK ")
        }
        try send("NICK \(nick)")
        try send("USER \(nick) 0 * :\(nick) Tester")
        if !caps.isEmpty { try send("CAP END") }
        try expectNumeric("001")
        try expect { $0.contains(" 376 ") || $0.contains(" 422 ") }
    }

    func send(_ line: String) throws {
        try socket.send(line + "\r\n")
    }

    @discardableResult
    func expect(_ fragment: String) throws -> String { try socket.expect(fragment) }

    @discardableResult
    func expect(_ match: (String) -> Bool) throws -> String { try socket.expect(match) }

    /// The next line carrying numeric `code`; returns its parameters after the target.
    @discardableResult
    func expectNumeric(_ code: String) throws -> String {
        try socket.expect { line in
            let parts = line.split(separator: " ", maxSplits: 2)
            return parts.count >= 2 && parts[0].hasPrefix(":") && parts[1] == code
        }
    }

    /// Joins and waits for the end of NAMES.
    func join(_ channel: String) throws {
        try send("JOIN \(channel)")
        try expect { $0.contains(" 366 ") && $0.contains(channel) }
    }

    /// The next PRIVMSG/NOTICE line, skipping everything else.
    func nextMessage() throws -> String? {
        while let line = try socket.readLine() {
            if line.contains(" PRIVMSG ") || line.contains(" NOTICE ") { return line }
        }
        return nil
    }

    func readUntilClosed() throws -> [String] { try socket.readUntilClosed() }
    var received: [String] { socket.received }
}
