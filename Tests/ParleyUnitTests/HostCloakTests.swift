import XCTest
@testable import ParleyChat

/// SHA-256 and HMAC-SHA256 against their published test vectors, then the cloaks built on them.
final class HostCloakTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// FIPS 180-2, appendix B (and the empty message).
    func testSHA256MatchesTheFIPSVectors() {
        XCTAssertEqual(hex(SHA256.hash(bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256.hash(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Messages either side of the padding's block boundaries (55/56 and 119/120 bytes), as
    /// Python's hashlib hashes bytes 0, 1, 2, ...
    func testSHA256PadsAtEveryBlockBoundary() {
        let expected: [Int: String] = [
            55: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
            56: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
            63: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
            64: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
            65: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
            119: "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6",
            120: "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c",
        ]
        for (length, digest) in expected {
            XCTAssertEqual(hex(SHA256.hash((0..<length).map { UInt8($0) })), digest, "\(length) bytes")
        }
    }

    /// RFC 4231 test cases 1, 2, 3 and 6 (a key longer than a block is hashed first).
    func testHMACMatchesRFC4231() {
        XCTAssertEqual(hex(SHA256.hmac(key: [UInt8](repeating: 0x0b, count: 20), message: bytes("Hi There"))),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(hex(SHA256.hmac(key: bytes("Jefe"), message: bytes("what do ya want for nothing?"))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(hex(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 20), message: [UInt8](repeating: 0xdd, count: 50))),
                       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
        XCTAssertEqual(hex(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131),
                                       message: bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    /// Pinned against an independent implementation (Python's hmac and base32), so the cloak of
    /// an address cannot change by accident: bans on cloaks would stop matching.
    func testCloaksArePinnedToTheirDefinition() {
        let cloak = HostCloak(secret: "parley-test-cloak-secret", suffix: "ip")
        XCTAssertEqual(cloak.cloak("127.0.0.1"), "q52jj6r6.jxkson6k.4f4vzxqf.ip")
        XCTAssertEqual(cloak.cloak("203.0.113.7"), "gxfzp4p3.jygji5ej.mbdys3kq.ip")
        XCTAssertEqual(cloak.cloak("2001:db8::1"), "nfdydavh.mw7by25l.cyrn2kvp.ip")
        XCTAssertEqual(HostCloak(secret: "another secret of enough length", suffix: "ip").cloak("127.0.0.1"),
                       "l3u3moos.3qb22g6b.xib2jn7z.ip")
    }

    func testNetworksShareTheirPartsSoTheyCanBeBanned() {
        let cloak = HostCloak(secret: "parley-test-cloak-secret", suffix: "users.example")
        let parts = { (host: String) in cloak.cloak(host).split(separator: ".").map(String.init) }
        let one = parts("198.51.100.1"), sameNet = parts("198.51.100.200"), same16 = parts("198.51.7.1"), other = parts("192.0.2.1")
        XCTAssertEqual(one.suffix(2), ["users", "example"])
        XCTAssertNotEqual(one[0], sameNet[0])
        XCTAssertEqual(one[1...], sameNet[1...], "one /24")
        XCTAssertNotEqual(one[1], same16[1])
        XCTAssertEqual(one[2...], same16[2...], "one /16")
        XCTAssertNotEqual(one[2], other[2])
        // IPv6: one /64 (a host's usual share), different addresses in it.
        let v6a = parts("2001:db8:1:2::1"), v6b = parts("2001:db8:1:2:ffff::9"), v6c = parts("2001:db8:1:3::1")
        XCTAssertNotEqual(v6a[0], v6b[0])
        XCTAssertEqual(v6a[1...], v6b[1...])
        XCTAssertNotEqual(v6a[1], v6c[1])
        XCTAssertEqual(v6a[2...], v6c[2...], "one /48")
        // An IPv4 address mapped into IPv6 is the IPv4 address.
        XCTAssertEqual(cloak.cloak("::ffff:198.51.100.1"), cloak.cloak("198.51.100.1"))
        for part in one.prefix(3) {
            XCTAssertEqual(part.count, 8)
            XCTAssertTrue(part.allSatisfy { $0.isLowercase || ("2"..."7").contains($0) }, part)
        }
    }

    func testTheSecretDecidesTheCloakAndNothingElseDoes() {
        let a = HostCloak(secret: "first secret, long enough", suffix: "ip")
        let b = HostCloak(secret: "second secret, long enough", suffix: "ip")
        XCTAssertEqual(a.cloak("192.0.2.55"), a.cloak("192.0.2.55"))
        XCTAssertNotEqual(a.cloak("192.0.2.55"), b.cloak("192.0.2.55"))
        XCTAssertFalse(a.cloak("192.0.2.55").contains("192"))
        // Not an address (a bot's host, or a name): one part for the whole, still no leak.
        let named = a.cloak("host.example.org")
        XCTAssertTrue(named.hasSuffix(".ip") && !named.contains("example"), named)
    }

    func testSuffixRules() {
        XCTAssertNil(HostCloak.suffixProblem("ip"))
        XCTAssertNil(HostCloak.suffixProblem("users.parley-net"))
        XCTAssertNotNil(HostCloak.suffixProblem(""))
        XCTAssertNotNil(HostCloak.suffixProblem(".ip"))
        XCTAssertNotNil(HostCloak.suffixProblem("a..b"))
        XCTAssertNotNil(HostCloak.suffixProblem("has space"))
        XCTAssertNotNil(HostCloak.suffixProblem("ünï"))
    }

    func testIPAddressParsesMasksAndPrints() {
        XCTAssertEqual(IPAddress("10.1.2.3")?.masked(to: 20).description, "10.1.0.0")
        XCTAssertEqual(IPAddress("2001:db8:aaaa:bbbb:cccc::1")?.masked(to: 64).description, "2001:db8:aaaa:bbbb::")
        XCTAssertEqual(IPAddress("::ffff:10.0.0.1")?.isIPv4, true)
        XCTAssertNil(IPAddress("bots.parley"))
        XCTAssertNil(IPAddress("300.1.1.1"))
    }
}
