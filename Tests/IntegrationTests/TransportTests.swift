import Foundation
import XCTest

/// What TCP can do to lines, slow consumers and connection limits, through real sockets.
final class TransportTests: XCTestCase {
    func testLineSplitAcrossManyTinyWrites() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        for piece in ["he", "l", "lo ", "wor", "ld", "\r", "\n"] {
            try alice.send(piece)
        }
        XCTAssertEqual(try bob.nextMessage(), "<alice> hello world")
        for byte in Array("one byte at a time\n".utf8) {
            try alice.send(bytes: [byte])
        }
        XCTAssertEqual(try bob.nextMessage(), "<alice> one byte at a time")
    }

    func testCoalescedWritesStillDeliverEverythingInOrder() throws {
        let server = try TestServer(config: "[limits]\nwrite_coalesce_microseconds = 2000\n")
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        for index in 0..<50 { try alice.send("line \(index)\n") }
        for index in 0..<50 { XCTAssertEqual(try bob.nextMessage(), "<alice> line \(index)") }
    }

    func testManyLinesInOneWriteWithMixedLineEndings() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send("first\nsecond\r\nthird\n\nfourth\r\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> first")
        XCTAssertEqual(try bob.nextMessage(), "<alice> second")
        XCTAssertEqual(try bob.nextMessage(), "<alice> third")
        XCTAssertEqual(try bob.nextMessage(), "<alice> fourth")
    }

    func testOverLongLineIsRefusedAndTheStreamStaysInSync() throws {
        let server = try TestServer(config: "[limits]\nmax_line_bytes = 100\n")
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send(String(repeating: "x", count: 101) + "\nafter short\n")
        try alice.expect("error: line too long (the limit is 100 bytes); it was discarded")
        XCTAssertEqual(try bob.nextMessage(), "<alice> after short")
        // Longer than one read buffer, arriving in several reads: still one error, still in sync.
        try alice.send(String(repeating: "y", count: 200_000) + "\nafter huge\n")
        try alice.expect("error: line too long")
        XCTAssertEqual(try bob.nextMessage(), "<alice> after huge")
        // Exactly at the limit is fine, CRLF or not.
        let exact = String(repeating: "z", count: 100 - "".count)
        try alice.send(exact + "\r\n")
        XCTAssertEqual(try bob.nextMessage(), "<alice> " + exact)
        try server.waitForLog("refused input", "nick=alice", "line longer than 100 bytes")
    }

    func testInvalidUTF8IsReplacedAndControlCharactersDropped() throws {
        let server = try TestServer()
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        try alice.send(bytes: Array("caf".utf8) + [0xC3, 0x20, 0xFF, 0xFE] + Array(" ok \u{1B}[2J done\n".utf8))
        let line = try XCTUnwrap(try bob.nextMessage())
        XCTAssertEqual(line, "<alice> caf\u{FFFD} \u{FFFD}\u{FFFD} ok [2J done")
        XCTAssertNotNil(String(validatingCString: bob.lastLineBytes.map { CChar(bitPattern: $0) } + [0]))
        XCTAssertFalse(bob.lastLineBytes.contains(0x1B))
    }

    func testSlowConsumerIsDroppedWithoutStallingOthers() throws {
        let server = try TestServer(config: "[limits]\nsendq_bytes = 16384\n")
        let talker = try server.register("talker")
        let watcher = try server.register("watcher")
        let slow = try TestClient(port: server.port, receiveBufferBytes: 4096)
        try slow.send("slow\n")
        try slow.expect("You are now known as slow.")
        try watcher.expect("-!- slow joined #lobby")
        // From here on `slow` never reads. The watcher reads each line in lockstep, so it is
        // never behind; it must get every line, in order, while slow's queue overflows.
        let payload = String(repeating: "p", count: 400)
        var dropped = false
        var sent = 0
        while !dropped && sent < 20_000 {
            try talker.send("\(sent) \(payload)\n")
            while true {
                let line = try XCTUnwrap(try watcher.readLine())
                if line.hasPrefix("-!- slow quit (SendQ exceeded") {
                    dropped = true
                    continue
                }
                XCTAssertEqual(line, "<talker> \(sent) \(payload)")
                break
            }
            sent += 1
        }
        XCTAssertTrue(dropped, "slow consumer was never dropped after \(sent) messages")
        try server.waitForLog("client disconnected", "nick=slow", "SendQ exceeded")
        try talker.send("still flowing\n")
        XCTAssertEqual(try watcher.nextMessage(), "<talker> still flowing")
    }

    func testMaxClientsAndPerIPLimitsRefuseWithAReason() throws {
        let server = try TestServer(config: "[limits]\nmax_clients = 3\nmax_clients_per_ip = 2\n")
        let first = try server.register("first")
        let second = try server.register("second")
        let third = try server.connect()
        XCTAssertEqual(try third.readUntilClosed(),
                       ["error: too many connections from 127.0.0.1 (max_clients_per_ip = 2)"])
        try server.waitForLog("connection refused", "max_clients_per_ip")
        first.shutdownAndClose()
        try server.waitForLog("client disconnected", "nick=first")
        let again = try server.register("again")
        try second.expect("-!- again joined #lobby")
        withExtendedLifetime(again) {}
    }

    func testServerFullRefusal() throws {
        let server = try TestServer(config: "[limits]\nmax_clients = 1\n")
        let only = try server.register("only")
        let second = try server.connect()
        XCTAssertEqual(try second.readUntilClosed(),
                       ["error: the server is full (max_clients = 1); try again later"])
        try only.send("/who\n")
        try only.expect("#lobby has 1 member: only")
    }

    func testRegistrationTimeoutDropsSilentClients() throws {
        let server = try TestServer(config: "[limits]\nregistration_timeout_seconds = 1\n")
        let silent = try server.connect()
        let lines = try silent.readUntilClosed()
        XCTAssertEqual(lines.last, "-!- Timed out waiting for a nickname")
        try server.waitForLog("client disconnected", "Registration timed out")
    }

    func testThousandConnectCyclesLeakNoFileDescriptors() throws {
        let server = try TestServer(config: "[limits]\nmax_clients_per_ip = 2000\n")
        let watcher = try server.register("watcher")
        let baseline = try server.openFileDescriptorCount()
        for cycle in 0..<1000 {
            let client = try server.connect()
            if cycle % 2 == 0 {
                try client.send("cycle\(cycle)\n")
                try client.expect("You are now known as")
            }
            if cycle % 3 == 0 { client.reset() } else { client.shutdownAndClose() }
        }
        // The server processes the closes asynchronously; wait until its count settles back.
        let deadline = Date().addingTimeInterval(20)
        var count = try server.openFileDescriptorCount()
        while count != baseline && Date() < deadline {
            usleep(20_000)
            count = try server.openFileDescriptorCount()
        }
        XCTAssertEqual(count, baseline, "fds before: \(baseline), after 1000 cycles: \(count)")
        try watcher.send("/who\n")
        try watcher.expect("-!- #lobby has 1 member: watcher")
    }

    /// Out of file descriptors, the server pauses accepting instead of spinning on the
    /// listener: one log line for the episode, everyone connected is still served, and the
    /// connections that waited in the listen queue are taken once others leave.
    func testRunningOutOfFileDescriptorsPausesAcceptingAndResumes() throws {
        try RequiredTool.prlimit.require()
        let server = try TestServer(config: "[limits]\nmax_clients_per_ip = 1000\n",
                                    launcher: ["/usr/bin/prlimit", "--nofile=40:40", "--"])
        try server.waitForLog("open file limit below max_clients", "soft=40", "hard=40")
        let watcher = try server.register("watcher")
        let crowd = try (0..<60).map { _ in try TestClient(port: server.port) }
        try server.waitForLog("accept paused", "Too many open files")
        try watcher.send("/who\n")
        try watcher.expect("-!- #lobby has 1 member: watcher")
        // The first ones were taken before the limit; the last ones wait in the listen queue.
        for client in crowd.prefix(40) {
            try client.expect("-!- Choose a nickname:")
            client.shutdownAndClose()
        }
        try crowd.last!.expect("-!- Choose a nickname:")
        try server.waitForLog("accept resumed")
        let episodes = server.logLines.filter { $0.contains("accept paused") || $0.contains("accept resumed") }
        XCTAssertEqual(episodes.filter { $0.contains("accept paused") }.count, 1, "one line per episode: \(episodes)")
        XCTAssertFalse(server.logLines.contains { $0.contains("accept failed") })
    }
}
