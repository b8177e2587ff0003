import Foundation
import XCTest

/// The message chain with real .so plugins: order, verdicts, refusals of bad plugin output.
final class PluginChainTests: XCTestCase {
    private func probes(_ folder: PluginFolder) throws {
        try folder.compile("chain_probe.c", as: "ProbeA")
        try folder.compile("chain_probe.c", as: "ProbeB")
    }

    func testChainOrderFollowsTheConfig() throws {
        let folder = PluginFolder()
        try probes(folder)
        for (order, expected) in [(#"["ProbeA", "ProbeB"]"#, "x [A] [B]"), (#"["ProbeB", "ProbeA"]"#, "x [B] [A]")] {
            let server = try TestServer(config: """
                plugins = \(order)
                [plugin.ProbeA]
                tag = "A"
                [plugin.ProbeB]
                tag = "B"
                """, arguments: folder.arguments)
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.send("x\n")
            XCTAssertEqual(try bob.nextMessage(), "<alice> \(expected)")
            try alice.send("/msg bob private x\n")
            XCTAssertEqual(try bob.nextMessage(), "*alice* private \(expected)", "private messages pass the chain too")
            try alice.send("/me x\n")
            XCTAssertEqual(try bob.nextMessage(), "* alice \(expected)", "actions pass the chain too")
        }
    }

    func testDropRejectAndStop() throws {
        let folder = PluginFolder()
        try probes(folder)
        let server = try TestServer(config: """
            plugins = ["ProbeA", "ProbeB"]
            [plugin.ProbeA]
            tag = "A"
            stop = "true"
            [plugin.ProbeB]
            tag = "B"
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")

        try alice.send("drop this\n")
        try alice.send("reject this\n")
        try alice.expect("error: message not sent: no rejects here")
        try alice.send("after\n")
        // DROP is silent and REJECT reaches nobody else: bob's next message is the one after.
        XCTAssertEqual(try bob.nextMessage(), "<alice> after [A] [B]")
        XCTAssertFalse(alice.received.contains { $0.contains("drop this") }, "DROP tells nobody, not even the sender")

        // STOP in ProbeA's transform skips ProbeB's transform, and delivers.
        try alice.send("stop here\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> stop here [A]")
    }

    func testBotsSeeTheTransformedText() throws {
        let folder = PluginFolder()
        try probes(folder)
        try folder.addStandard("EchoBot")
        let server = try TestServer(config: """
            plugins = ["ProbeA", "EchoBot"]
            [plugin.ProbeA]
            tag = "A"
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("!echo hello\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> !echo hello [A]")
        // The bot echoes what it observed (tagged once), and its own message is tagged again.
        XCTAssertEqual(try bob.nextMessage(), "<EchoBot> hello [A] [A]")
        XCTAssertEqual(try alice.nextMessage(), "<EchoBot> hello [A] [A]")
    }

    /// A hook over the budget is logged once per slow call, naming the plugin and the hook.
    func testAHookOverItsBudgetIsLoggedWithPluginAndHook() throws {
        let folder = PluginFolder()
        try folder.compile("slow_hook.c", as: "SlowHook")
        let server = try TestServer(config: "plugins = [\"SlowHook\"]\nplugin_hook_budget_milliseconds = 60\n",
                                    arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("quick\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> quick")
        try alice.send("slow one\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> slow one")
        try server.waitForLog("plugin hook over budget", "plugin=SlowHook", "hook=observe", "budget_milliseconds=60")
        try alice.send("quick again\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> quick again")
        XCTAssertEqual(server.logLines.filter { $0.contains("over budget") }.count, 1, "only the slow call")
        // A command is named, not only its kind.
        try alice.send("/dawdle\n")
        try server.waitForLog("plugin hook over budget", "plugin=SlowHook", "hook=\"command /dawdle\"")
    }

    func testHostRefusesInvalidPluginOutputAndKeepsGoing() throws {
        let folder = PluginFolder()
        try folder.compile("bad_output.c", as: "BadOutput")
        let server = try TestServer(config: "plugins = [\"BadOutput\"]\n", arguments: folder.arguments)
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        for (index, word) in ["invalid", "huge", "newline"].enumerated() {
            try alice.send("\(word) text\n")
            XCTAssertEqual(try bob.nextMessage(), "<alice> \(word) text", "the message keeps its text")
            try server.waitForLog("message_set_text refused", "plugin=BadOutput", count: index + 1)
            try server.waitForLog("set_text returned -1", count: index + 1)
        }
        // A notice the host refuses says why in the log, naming the plugin, and returns the code.
        try alice.send("notice me\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> notice me")
        try server.waitForLog("notice refused: the text contains a line break or a NUL; nothing was sent", "plugin=BadOutput")
        try server.waitForLog("notice returned -1: the text contains a line break or a NUL")
        try alice.send("fine\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> fine")
    }
}

/// The host's loop guard, with bots that would otherwise answer each other forever.
final class BotLoopGuardTests: XCTestCase {
    func testTwoBotsThatAnswerEverythingStopAtTheDepthLimit() throws {
        let folder = PluginFolder()
        try folder.compile("chatty_bot.c", as: "ChattyA")
        try folder.compile("chatty_bot.c", as: "ChattyB")
        let server = try TestServer(config: """
            plugins = ["ChattyA", "ChattyB"]
            [plugin.ChattyA]
            nick = "Ann"
            [plugin.ChattyB]
            nick = "Ben"
            """, arguments: folder.arguments)
        let alice = try server.register("alice")
        try alice.send("hello bots\n")
        // Each bot answers alice (depth 1), then the other bot (2, 3, 4); depth 5 is refused.
        var replies: [String] = []
        while replies.count < 8 { replies.append(try XCTUnwrap(try alice.nextMessage())) }
        XCTAssertEqual(replies.sorted(), ["<Ann> re(1)", "<Ann> re(2)", "<Ann> re(3)", "<Ann> re(4)",
                                          "<Ben> re(1)", "<Ben> re(2)", "<Ben> re(3)", "<Ben> re(4)"])
        try server.waitForLog("bot message dropped", "loop guard: reply depth 5 over 4")
        // Then silence: alice's next line is answered afresh, and nothing older was pending.
        try alice.send("again\n")
        XCTAssertTrue(try XCTUnwrap(try alice.nextMessage()).hasSuffix("re(1)"))
    }
}
