import Foundation
import XCTest

/// irssi, a real terminal IRC client, connecting with -tls and chatting with a plaintext
/// user. irssi runs in a tmux session on a private tmux socket; the test types with
/// send-keys and reads irssi's screen with capture-pane.
final class IrssiTLSTests: XCTestCase {
    func testIrssiConnectsWithTLSAndChatsWithAPlaintextUser() throws {
        try RequiredTool.irssi.require()
        try RequiredTool.tmux.require()
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: TestCertificates.listener("irc", folder: folder))
        let terminal = try Tmux()
        defer { terminal.stop() }

        try terminal.start("irssi --home=\(TestFiles.temporaryDirectory()) -n tlsfan")
        try terminal.waitForScreen(containing: "Irssi v")
        // irssi 1.4 does not verify the certificate unless told to (-tls_verify).
        try terminal.type("/connect -tls 127.0.0.1 \(try server.tlsPort("irc"))")
        try server.waitForLog("registered", "nick=tlsfan")
        try server.waitForLog("client connected", "tls=true")
        try terminal.waitForScreen(containing: "Welcome to the Parley Network, tlsfan")

        let plain = try IRCTestClient.registered(server, "plainpal")
        try plain.join("#secure")
        try terminal.type("/join #secure")
        try plain.expect(":tlsfan!")
        try terminal.type("hello from irssi over TLS")
        try plain.expect("PRIVMSG #secure :hello from irssi over TLS")
        try plain.send("PRIVMSG #secure :hello back in the clear")
        try terminal.waitForScreen(containing: "hello back in the clear")
        try plain.send("WHOIS tlsfan")
        try plain.expect(" 671 plainpal tlsfan :is using a secure connection")
    }
}

/// A tmux server of the test's own (its own socket), so nothing else's sessions are touched.
private final class Tmux {
    private let socketName = "parley-test-\(UUID().uuidString.prefix(8))"

    init() throws {}

    /// new-session forks the tmux server, which would inherit (and hold open for its whole
    /// life) the descriptors Foundation uses to see a child exit: launched through a Python
    /// line that closes everything above stderr first, the server holds none of them.
    func start(_ command: String) throws {
        let detach = "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"
        let (status, output) = try runProcess("/usr/bin/env", ["python3", "-c", detach, "tmux", "-L", socketName,
                                                               "new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command])
        guard status == 0 else { throw TestFailure("tmux new-session failed: \(output)") }
    }

    func type(_ text: String) throws {
        try run(["send-keys", "-t", "t", "-l", text])
        try run(["send-keys", "-t", "t", "Enter"])
    }

    var screen: String { (try? run(["capture-pane", "-p", "-t", "t", "-S", "-200"])) ?? "" }

    /// Looks at the screen until it shows `text`; irssi says nothing else when it draws.
    func waitForScreen(containing text: String, seconds: Double = 15) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !screen.contains(text) {
            guard Date() < deadline else { throw TestFailure("irssi never showed \(text); screen:\n\(screen)") }
            usleep(50_000)
        }
    }

    func stop() {
        _ = try? run(["kill-server"])
    }

    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let (status, output) = try runProcess("/usr/bin/env", ["tmux", "-L", socketName] + arguments)
        guard status == 0 else { throw TestFailure("tmux \(arguments.first ?? ""): \(output)") }
        return output
    }
}
