import Foundation
import XCTest
import Yams
@testable import ParleyChat
@testable import ParleyIRC

/// The public ircdocs parser test vectors (CC0), as fixtures: every case must pass.
final class IRCParserVectorTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/irc-parser-tests")

    private func cases(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
        let document = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        return try XCTUnwrap(document["tests"] as? [[String: Any]])
    }

    private func atoms(_ raw: [String: Any]) -> IRCMessage {
        let tags = (raw["tags"] as? [String: Any?] ?? [:]).map { (key: $0.key, value: ($0.value as? String) ?? "") }
        return IRCMessage(tags: tags.sorted { $0.key < $1.key }, source: raw["source"] as? String,
                          command: raw["verb"] as? String ?? "", params: (raw["params"] as? [Any])?.map { "\($0)" } ?? [])
    }

    func testMsgSplit() throws {
        let tests = try cases("msg-split.yaml")
        XCTAssertGreaterThan(tests.count, 30)
        for test in tests {
            let input = try XCTUnwrap(test["input"] as? String)
            var parsed = try IRCMessage.parse(Substring(input))
            parsed.tags.sort { $0.key < $1.key }
            XCTAssertEqual(parsed, atoms(try XCTUnwrap(test["atoms"] as? [String: Any])), input)
        }
    }

    func testMsgJoin() throws {
        let tests = try cases("msg-join.yaml")
        XCTAssertGreaterThan(tests.count, 15)
        for test in tests {
            let message = atoms(try XCTUnwrap(test["atoms"] as? [String: Any]))
            let matches = try XCTUnwrap(test["matches"] as? [String])
            XCTAssertTrue(matches.contains(message.serialized), "\(message.serialized) not in \(matches)")
        }
    }

    func testMaskMatch() throws {
        for test in try cases("mask-match.yaml") {
            let mask = try XCTUnwrap(test["mask"] as? String)
            for text in test["matches"] as? [String] ?? [] { XCTAssertTrue(Mask.matches(mask, text), "\(mask) ~ \(text)") }
            for text in test["fails"] as? [String] ?? [] { XCTAssertFalse(Mask.matches(mask, text), "\(mask) !~ \(text)") }
        }
    }

    func testLimits() {
        XCTAssertThrowsError(try IRCMessage.parse(Substring("PRIVMSG #a :" + String(repeating: "x", count: 510))))
        XCTAssertNoThrow(try IRCMessage.parse(Substring("PRIVMSG #a :" + String(repeating: "x", count: 498))))
        XCTAssertThrowsError(try IRCMessage.parse(Substring("@" + String(repeating: "t", count: 8191) + " PING x")))
        XCTAssertThrowsError(try IRCMessage.parse("   "))
        XCTAssertThrowsError(try IRCMessage.parse("@a=b "))
    }

    /// Pathological tag sets: as many distinct keys as fit, the same key over and over, and
    /// escapes everywhere. A later duplicate wins and stands where it came last.
    func testPathologicalTagSets() throws {
        var keys: [String] = []
        var size = 1
        while size + 8 < 8191 {
            let key = "k\(keys.count)"
            keys.append(key)
            size += key.utf8.count + 1
        }
        let distinct = try IRCMessage.parse(Substring("@" + keys.joined(separator: ";") + " PING x"))
        XCTAssertEqual(distinct.tags.count, keys.count)
        XCTAssertEqual(distinct.tags.first?.key, "k0")

        let repeated = try IRCMessage.parse(Substring("@" + (0..<1000).map { "a=\($0)" }.joined(separator: ";") + ";b=1;a=last PING x"))
        XCTAssertEqual(repeated.tags.map(\.key), ["b", "a"])
        XCTAssertEqual(repeated.tags.last?.value, "last")

        let escapes = try IRCMessage.parse(Substring("@e=" + String(repeating: "\\:\\s\\\\", count: 1300) + " PING x"))
        XCTAssertEqual(escapes.tags.first?.value, String(repeating: "; \\", count: 1300))
    }
}

final class IRCParserBytesTests: XCTestCase {
    func testSpacesSplitEvenBeforeCombiningMarks() throws {
        let message = try IRCMessage.parse("PRIVMSG #a \u{301}b :c")
        XCTAssertEqual(message.params, ["#a", "\u{301}b", "c"])
    }

    /// Found by FuzzIRCTags: a backslash followed by a combining mark is one Character, so a
    /// Character search for the backslash missed it and the escape stayed in the value.
    func testEscapeBeforeCombiningMarkIsUnescaped() throws {
        let message = try IRCMessage.parse("@a=x\\\u{301}y;b=\\\u{301} PING")
        XCTAssertEqual(message.tags.map { Array($0.value.unicodeScalars) }, [["x", "\u{301}", "y"], ["\u{301}"]])
        XCTAssertEqual(IRCMessage.unescapeTagValue("\\\u{301}\\s"), "\u{301} ")
    }

    /// Found by FuzzIRCParser: with spaces before it, a tag section was read as the command,
    /// a message that no rendering could give back (render then parse is a fuzz invariant).
    func testSpacesBeforeTagsAreSkipped() throws {
        let message = try IRCMessage.parse("  @a=1;b COMMAND x")
        XCTAssertEqual(message, IRCMessage(tags: [("a", "1"), ("b", "")], command: "COMMAND", params: ["x"]))
        XCTAssertEqual(try IRCMessage.parse(Substring(message.serialized)), message)
        XCTAssertThrowsError(try IRCMessage.parse("  @a=1 ")) { XCTAssertEqual($0 as? IRCMessage.ParseError, .noCommand) }
        // After an empty tag section, a word starting with '@' is no command for the same reason.
        XCTAssertThrowsError(try IRCMessage.parse("@ @cmd x")) { XCTAssertEqual($0 as? IRCMessage.ParseError, .noCommand) }
        XCTAssertThrowsError(try IRCMessage.parse("@; @cmd")) { XCTAssertEqual($0 as? IRCMessage.ParseError, .noCommand) }
    }
}
