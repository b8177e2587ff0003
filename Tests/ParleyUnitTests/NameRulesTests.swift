import XCTest
@testable import ParleyChat
@testable import ParleyTransport

final class NameRulesTests: XCTestCase {
    let rules = NameRules(nickLength: 12, roomLength: 10, topicLength: 20)

    func testValidNicks() {
        for nick in ["alice", "A", "[away]", "`tick", "x-1", "_under", "{brace}|", "abcdefghijkl"] {
            XCTAssertNil(rules.nickProblem(nick), nick)
        }
    }

    func testInvalidNicksSayWhy() {
        XCTAssertEqual(rules.nickProblem(""), "a nickname cannot be empty")
        XCTAssertEqual(rules.nickProblem("abcdefghijklm"), "a nickname is at most 12 characters")
        XCTAssertEqual(rules.nickProblem("1abc"), "a nickname must start with a letter or one of [ ] \\ ` _ ^ { | }")
        XCTAssertEqual(rules.nickProblem("-abc"), "a nickname must start with a letter or one of [ ] \\ ` _ ^ { | }")
        XCTAssertTrue(rules.nickProblem("a b")!.hasSuffix("not ' '"))
        XCTAssertTrue(rules.nickProblem("a@b")!.hasSuffix("not '@'"))
        XCTAssertTrue(rules.nickProblem("zoë")!.hasSuffix("not non-ASCII characters"))
    }

    func testRoomNames() {
        XCTAssertNil(rules.roomProblem("#ok"))
        XCTAssertNotNil(rules.roomProblem("ok"))
        XCTAssertNotNil(rules.roomProblem("#"))
        XCTAssertNotNil(rules.roomProblem("#a b"))
        XCTAssertNotNil(rules.roomProblem("#a,b"))
        XCTAssertNotNil(rules.roomProblem("#a:b"))
        XCTAssertNotNil(rules.roomProblem("#a\u{7}b"))
        XCTAssertNotNil(rules.roomProblem("#1234567890"))
        XCTAssertNil(rules.roomProblem("#123456789"))
    }

    func testCasemappingFoldsASCIIOnly() {
        XCTAssertEqual(Casemapping.fold("AlIcE[]"), "alice[]")
        XCTAssertEqual(Casemapping.fold("#LOBBY"), "#lobby")
        XCTAssertEqual(Casemapping.fold("ÄB"), "Äb")
    }

    func testListenAddressParsing() throws {
        XCTAssertEqual(try ListenAddress(parsing: "127.0.0.1:4000"), ListenAddress(host: "127.0.0.1", port: 4000))
        XCTAssertEqual(try ListenAddress(parsing: "[::1]:0"), ListenAddress(host: "::1", port: 0))
        XCTAssertEqual(try ListenAddress(parsing: "localhost:6667").description, "localhost:6667")
        XCTAssertThrowsError(try ListenAddress(parsing: "4000"))
        XCTAssertThrowsError(try ListenAddress(parsing: ":4000"))
        XCTAssertThrowsError(try ListenAddress(parsing: "::1:4000"))
        XCTAssertThrowsError(try ListenAddress(parsing: "host:65536"))
        XCTAssertThrowsError(try ListenAddress(parsing: "host:port"))
    }
}
