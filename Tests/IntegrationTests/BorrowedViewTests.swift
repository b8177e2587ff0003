import Foundation
import XCTest

/// A Swift plugin that keeps the views the server lends it (a Message from a hook, a
/// CommandCall from a command) and uses them later, with no unsafe code, gets a thrown error
/// that names the misuse, and the log says it too: the server never reads freed memory and
/// keeps serving everyone. Text the server refuses throws the server's reason.
final class BorrowedViewTests: XCTestCase {
    private func startProbe() throws -> TestServer {
        let folder = PluginFolder()
        try folder.compileSwiftPlugin(["borrow_probe.swift"], as: "BorrowProbe")
        // glibc fills freed memory with this byte, so a view read after its call would crash
        // the server (or show garbage) instead of passing by luck.
        let server = try TestServer(config: "plugins = [\"BorrowProbe\"]\n", arguments: folder.arguments,
                                     environment: ["MALLOC_PERTURB_": "165"])
        try server.waitForLog("plugin loaded", "plugin=BorrowProbe")
        return server
    }

    func testKeptViewsThrowAfterTheirCallAndTheServerKeepsServing() throws {
        let server = try startProbe()
        let alice = try server.register("alice")
        let bob = try server.register("bob")

        try alice.send("hello there\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> hello there")
        try server.waitForLog("probe: kept a message from alice")

        // A kept Message: every use throws, the plugin can catch it, the log names it.
        let expired = "Message.text used after its hook returned: a Message is borrowed for that call only; copy what you keep while it runs"
        try bob.send("/peek\n")
        try bob.expect("-!- peek caught: \(expired)")
        try server.waitForLog("error", "plugin=BorrowProbe", expired)
        // Left uncaught, it reaches the caller as the command's error.
        try bob.send("/peekuncaught\n")
        try bob.expect("-!- error: \(expired)")
        // From a timer, long after any call.
        try bob.send("/timerpeek\n")
        try bob.expect("-!- timer set")
        try server.waitForLog("probe: the timer caught \(expired)")

        // A kept CommandCall: a late reply throws and reaches nobody.
        try alice.send("/keep\n")
        try alice.expect("-!- kept")
        try bob.send("/late\n")
        try bob.expect("-!- late caught: CommandCall.reply used after its command returned")
        try server.waitForLog("CommandCall.reply used after its command returned", "plugin=BorrowProbe")

        // A live view, read from another thread.
        try bob.send("/thread\n")
        try bob.expect("-!- thread caught: CommandCall.callerNick used from another thread")

        // Nothing read freed memory, nothing reached the wrong user, and everyone is served.
        try alice.send("still here\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> still here")
        try bob.send("me too\n")
        XCTAssertEqual(try alice.nextMessage(), "<bob> me too", "alice got the late reply or lost her place: \(alice.received.suffix(5))")
        XCTAssertFalse(alice.received.contains { $0.contains("late reply") })
        XCTAssertFalse(bob.received.contains { $0.contains("late reply") || $0.contains("late: the kept call replied") })
        XCTAssertTrue(server.process.isRunning)
        XCTAssertEqual(server.logLines.filter { $0.contains("crashed") }, [])
    }

    /// reply and notice that the server refuses throw its reason, which the plugin can report;
    /// the log says the same, naming the plugin, and nothing is sent.
    func testRefusedTextThrowsTheServersReason() throws {
        let server = try startProbe()
        let alice = try server.register("alice")

        try alice.send("/multiline\n")
        try alice.expect("-!- multiline caught: reply refused: the text contains a line break or a NUL")
        try server.waitForLog("reply refused: the text contains a line break or a NUL; nothing was sent", "plugin=BorrowProbe")

        try alice.send("/huge\n")
        let huge = try alice.expect("-!- huge caught: reply refused: the text is 100000 bytes, over the limit of ")
        try server.waitForLog("reply refused: the text is 100000 bytes, over the limit of", "plugin=BorrowProbe")

        try alice.send("/noticecr\n")
        try alice.expect("-!- notice caught: notice refused: the text contains a line break or a NUL")
        try server.waitForLog("notice refused: the text contains a line break or a NUL; nothing was sent", "plugin=BorrowProbe")

        // Uncaught, the SDK replies the error on one line.
        try alice.send("/multilineuncaught\n")
        try alice.expect("-!- error: reply refused: the text contains a line break or a NUL")
        try server.waitForLog("reply refused", "plugin=BorrowProbe", count: 3)

        XCTAssertFalse(alice.received.contains { $0.hasPrefix("lines") || $0 == "two" || $0.contains("multiline: sent") || $0.contains("hhhhhhhh") },
                       "refused text reached the client: \(alice.received.suffix(8)) after \(huge)")
        try alice.send("/rooms\n")
        try alice.expect("#lobby")
        XCTAssertTrue(server.process.isRunning)
    }
}
