import XCTest

/// Rooms exist while someone is in them: joins refused at the room limit create nothing, and a
/// room its last member leaves is gone, so LIST and LUSERS count only what is really there.
final class RoomLifetimeTests: XCTestCase {
    func testRefusedAndAbandonedJoinsLeaveNoRoomsBehind() throws {
        let server = try TestServer()
        let ana = try IRCTestClient.registered(server, "ana")
        let kept = (0..<100).map { "#r\($0)" }
        try ana.send("JOIN \(kept.joined(separator: ","))")
        try ana.expect(" 366 ana #r99 ")

        // Past the per-client room limit: every one refused, none created.
        let refused = (0..<1000).map { "#x\($0)" }
        for start in stride(from: 0, to: refused.count, by: 50) {
            try ana.send("JOIN \(refused[start..<start + 50].joined(separator: ","))")
        }
        var refusals = 0
        while refusals < refused.count {
            let line = try ana.expect(" 405 ")
            XCTAssertTrue(line.contains(" #x"), line)
            refusals += 1
        }

        // Half the rooms abandoned by their only member.
        try ana.send("PART \(kept.prefix(50).joined(separator: ","))")
        try ana.expect(":ana!~ana@\(loopbackCloak) PART #r49")
        try ana.send("LIST")
        var listed: [String] = []
        while true {
            let line = try ana.expect { $0.contains(" 322 ") || $0.contains(" 323 ") }
            if line.contains(" 323 ") { break }
            listed.append(line.split(separator: " ")[3].description)
        }
        // The 50 rooms still held, and the default room, which always exists.
        XCTAssertEqual(Set(listed), Set(kept.suffix(50) + ["#lobby"]))
        try ana.send("LUSERS")
        try ana.expect(" 254 ana 51 :channels formed")
    }
}
