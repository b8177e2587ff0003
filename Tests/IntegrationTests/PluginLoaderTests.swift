import Foundation
import XCTest

/// Loading failures, permissions, hot reload and the operator commands, with real .so files.
final class PluginLoaderTests: XCTestCase {
    func testEachLoadFailureIsOneClearLogLineAndTheServerGoesOn() throws {
        let folder = PluginFolder()
        try folder.compile("wrong_abi.c", as: "WrongABI")
        try folder.compile("no_entry.c", as: "NoEntry")
        try folder.compile("init_fails.c", as: "InitFails")
        try folder.compile("config_rejects.c", as: "ConfigRejects")
        try folder.compile("versioned.c", as: "Versioned")
        let server = try TestServer(config: """
            plugins = ["WrongABI", "NoEntry", "InitFails", "ConfigRejects", "Missing", "Versioned"]
            [plugin.ConfigRejects]
            ok = "no"
            """, arguments: folder.arguments)
        let dir = folder.path
        try server.waitForLog("plugin load failed", "plugin=WrongABI", "file=\(dir)/libWrongABI.so",
                              "ABI major mismatch: the plugin was built for ABI 99.7, this server speaks 1.1")
        try server.waitForLog("plugin load failed", "plugin=NoEntry", "missing entry symbol parley_plugin_entry")
        try server.waitForLog("plugin load failed", "plugin=InitFails", "initialize failed: database unreachable")
        try server.waitForLog("plugin load failed", "plugin=ConfigRejects", "config rejected by the plugin: needs ok = \\\"yes\\\"")
        // Nothing it tried to create during config_check exists: each call was refused.
        try server.waitForLog("plugin=ConfigRejects", "during config_check: bot=0 timer=0 hook=-2 command=-2")
        try server.waitForLog("plugin load failed", "plugin=Missing", "no such file",
                              "available in \(dir): ConfigRejects, InitFails, NoEntry, Versioned, WrongABI")
        try server.waitForLog("plugin loaded", "plugin=Versioned")
        XCTAssertEqual(server.logLines.filter { $0.contains("plugin load failed") }.count, 5)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("still serving\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> still serving (v1)")
        try alice.send("/msg Sneaky hi\n")
        try alice.expect("error: no user is called Sneaky")
        try alice.send("/sneaky\n")
        try alice.expect("error: unknown command /sneaky; type /help for the list")
    }

    /// Listeners are bound before any plugin runs: a port in use stops startup with no plugin
    /// initialized (so none is left without its shutdown) and no bot created.
    func testAPortInUseStopsStartupBeforeAnyPluginRuns() throws {
        let folder = PluginFolder()
        try folder.addStandard("EchoBot")
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(taken) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(taken, raw, length) == 0 && listen(taken, 1) == 0 && getsockname(taken, raw, &length) == 0
            }
        }
        XCTAssertTrue(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let config = TestFiles.temporaryFile(named: "p.toml", contents: "plugins = [\"EchoBot\"]\n")
        let (status, log) = try runParley(["--config", config, "--plain", "127.0.0.1:\(port)", "--irc", "127.0.0.1:0"]
                                          + folder.arguments)
        XCTAssertEqual(status, 1, log)
        XCTAssertTrue(log.contains("startup failed") && log.contains("127.0.0.1:\(port)") && log.contains("in use"), log)
        XCTAssertFalse(log.contains("plugin loaded"), log)
        XCTAssertFalse(log.contains("bot created"), log)
    }

    func testARequiredPluginThatFailsStopsStartup() throws {
        let folder = PluginFolder()
        try folder.compile("init_fails.c", as: "InitFails")
        let config = TestFiles.temporaryFile(named: "p.toml", contents: """
            plugins = ["InitFails"]
            required_plugins = ["InitFails"]
            """)
        let (status, log) = try runParley(["--config", config, "--plain", "127.0.0.1:0", "--irc", "127.0.0.1:0"]
                                          + folder.arguments)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(log.contains("startup failed"), log)
        XCTAssertTrue(log.contains("initialize failed: database unreachable"), log)
        // Listeners are bound before plugins load (a port in use must stop startup first), but
        // the server never starts serving.
        XCTAssertFalse(log.contains("server started"), log)
    }

    func testGroupOrWorldWritablePluginsAreRefusedUnlessAllowed() throws {
        let folder = PluginFolder()
        try folder.compile("versioned.c", as: "Versioned")
        chmod(folder.path + "/libVersioned.so", 0o777)
        let server = try TestServer(config: "plugins = [\"Versioned\"]\n", arguments: folder.arguments)
        try server.waitForLog("plugin load failed", "plugin=Versioned",
                              "the plugin file \(folder.path)/libVersioned.so is writable by group or others (mode 777)")

        chmod(folder.path + "/libVersioned.so", 0o755)
        chmod(folder.path, 0o777)
        let second = try TestServer(config: "plugins = [\"Versioned\"]\n", arguments: folder.arguments)
        try second.waitForLog("plugin load failed", "the plugin folder \(folder.path) is writable by group or others")

        let relaxed = try TestServer(config: "plugins = [\"Versioned\"]\ninsecure_plugin_permissions = true\n",
                                     arguments: folder.arguments)
        try relaxed.waitForLog("plugin loaded", "plugin=Versioned")
        chmod(folder.path, 0o755)
    }

    /// A symlink is judged by what it points at: the real file and every folder on its path.
    func testASymlinkIntoAGroupWritableFolderIsRefused() throws {
        let real = PluginFolder()
        try real.compile("versioned.c", as: "Versioned")
        let links = PluginFolder()
        XCTAssertEqual(symlink(real.path + "/libVersioned.so", links.path + "/libVersioned.so"), 0)

        let safe = try TestServer(config: "plugins = [\"Versioned\"]\n", arguments: links.arguments)
        try safe.waitForLog("plugin loaded", "plugin=Versioned")

        chmod(real.path, 0o775)
        defer { chmod(real.path, 0o755) }
        let unsafe = try TestServer(config: "plugins = [\"Versioned\"]\n", arguments: links.arguments)
        try unsafe.waitForLog("plugin load failed", "plugin=Versioned",
                              "the folder on the plugin's real path \(real.path) is writable by group or others (mode 775)")
    }

    func testHotReloadOfARebuiltPluginKeepsEveryoneConnected() throws {
        let folder = PluginFolder()
        try folder.compile("versioned.c", as: "Versioned", defines: ["GENERATION=1"])
        let server = try TestServer(config: "plugins = [\"Versioned\"]\n[limits]\nmax_clients_per_ip = 100\n"
                                    + (try operatorSection()), arguments: folder.arguments)
        let clients = try (0..<20).map { try server.register("user\($0)") }
        try clients[0].send("before\n")
        for client in clients.dropFirst() { XCTAssertEqual(try client.nextMessage(), "<user0> before (v1)") }

        let admin = clients[19]
        try admin.send("/reload\n")
        try admin.expect("error: /reload is for operators; use /oper name password first")
        try admin.send("/oper admin wrong\n")
        try admin.expect("error: wrong operator name or password")
        try admin.send("/oper admin s3cret\n")
        try admin.expect("-!- You are now a server operator (admin)")

        try folder.compile("versioned.c", as: "Versioned", defines: ["GENERATION=2"])
        try admin.send("/reload\n")
        try admin.expect("-!- Versioned: generation 2 running (2.0)")
        try admin.expect("-!- Reload done")

        try clients[0].send("after\n")
        for client in clients.dropFirst() { XCTAssertEqual(try client.nextMessage(), "<user0> after (v2)") }
        // State handed over: generation 2 continues generation 1's count (2 messages seen).
        try clients[0].send("/generation\n")
        try clients[0].expect("-!- v2 seen 2")
        for client in clients {
            XCTAssertFalse(client.received.contains { $0.contains(" quit ") }, "nobody was dropped")
        }
        XCTAssertEqual(server.logLines.filter { $0.contains("client disconnected") }.count, 0)

        // A reload whose new file is broken keeps generation 2 running and says why.
        try folder.compile("wrong_abi.c", as: "Versioned")
        try admin.send("/reload\n")
        let failure = try admin.expect("-!- Versioned: reload failed: ABI major mismatch")
        XCTAssertTrue(failure.hasSuffix("the running version (2.0, generation 2) keeps running"), failure)
        try clients[0].send("still\n")
        XCTAssertEqual(try clients[1].nextMessage(), "<user0> still (v2)")

        // SIGHUP reloads too: a fixed file is picked up without any command.
        try folder.compile("versioned.c", as: "Versioned", defines: ["GENERATION=3"])
        server.signal(SIGHUP)
        try server.waitForLog("plugin reloaded", "plugin=Versioned", "version=3.0")
        try clients[0].send("hup\n")
        XCTAssertEqual(try clients[1].nextMessage(), "<user0> hup (v3)")
    }

    func testReloadOfSwiftPluginsHandsOverAndStaysUsable() throws {
        let folder = PluginFolder()
        try folder.addStandard("ProfanityFilter")
        try folder.addStandard("EchoBot")
        let server = try TestServer(config: """
            plugins = ["ProfanityFilter", "EchoBot"]
            [plugin.EchoBot]
            nick = "Echo"
            """ + "\n" + (try operatorSection()), arguments: folder.arguments)
        let alice = try server.register("alice")
        try alice.send("/oper admin s3cret\n")
        try alice.expect("You are now a server operator")
        let path = try XCTUnwrap(server.configPath)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "nick = \"Echo\"", with: "nick = \"Parrot\"\n[plugin.ProfanityFilter]\nwords = [\"gosh\"]")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // A rebuilt EchoBot (a new file): a second Swift image is loaded from a new copy.
        try folder.addStandard("EchoBot")
        try alice.send("/reload\n")
        try alice.expect("-!- ProfanityFilter: generation")
        try alice.expect("-!- EchoBot: generation")
        try alice.expect("-!- Reload done")
        try alice.send("!echo oh gosh\n")
        XCTAssertEqual(try alice.nextMessage(), "<Parrot> oh ****")
        try server.waitForLog("plugin reloaded", "plugin=EchoBot", "generation=")
        XCTAssertEqual(server.logLines.filter { $0.contains("plugin reloaded") }.count, 2)
        try alice.send("/plugins\n")
        try alice.expect("-!- Chain order: ProfanityFilter 1.0.0, EchoBot 1.0.0")
        try alice.expect("-!-   transform: ProfanityFilter")
        try alice.expect("-!-   observe: EchoBot")
        try alice.expect { $0.hasPrefix("-!-   transform: ") && $0.contains(" calls, total ") && $0.contains(" ms, max ") }
    }
}
