import XCTest
@testable import ParleyTransport

final class NetworkRangeTests: XCTestCase {
    private func range(_ text: String) throws -> NetworkRange { try NetworkRange(parsing: text) }

    func testIPv4Blocks() throws {
        let block = try range("10.0.0.0/8")
        XCTAssertTrue(block.contains(host: "10.0.0.1"))
        XCTAssertTrue(block.contains(host: "10.255.255.255"))
        XCTAssertFalse(block.contains(host: "11.0.0.0"))
        XCTAssertFalse(block.contains(host: "::ffff:11.0.0.1"))
        XCTAssertTrue(block.contains(host: "::ffff:10.1.2.3"), "an IPv4-mapped address is its IPv4 address")
        XCTAssertFalse(block.contains(host: "unknown"))
        XCTAssertTrue(try range("192.0.2.7").contains(host: "192.0.2.7"))
        XCTAssertFalse(try range("192.0.2.7").contains(host: "192.0.2.8"))
        XCTAssertTrue(try range("0.0.0.0/0").contains(host: "203.0.113.9"))
        XCTAssertFalse(try range("0.0.0.0/0").contains(host: "2001:db8::1"), "an IPv4 block holds no IPv6 address")
    }

    func testIPv6Blocks() throws {
        let block = try range("2001:db8::/32")
        XCTAssertTrue(block.contains(host: "2001:db8:ffff::1"))
        XCTAssertFalse(block.contains(host: "2001:db9::1"))
        XCTAssertFalse(block.contains(host: "10.0.0.1"))
        XCTAssertTrue(try range("::1").contains(host: "::1"))
        XCTAssertFalse(try range("::1").contains(host: "::2"))
        XCTAssertTrue(try range("2001:db8:0:1::/64").contains(host: "2001:db8:0:1:abcd::9"))
        XCTAssertFalse(try range("2001:db8:0:1::/64").contains(host: "2001:db8:0:2::9"))
        XCTAssertTrue(try range("::/0").contains(host: "fe80::1"))
    }

    func testBadBlocksSayWhatIsWrong() {
        XCTAssertThrowsError(try range("10.0.0.1/8")) { error in
            XCTAssertEqual("\(error)", "'10.0.0.1/8' has bits set past its prefix; did you mean 10.0.0.0/8?")
        }
        XCTAssertThrowsError(try range("2001:db8::1/32")) { error in
            XCTAssertEqual("\(error)", "'2001:db8::1/32' has bits set past its prefix; did you mean 2001:db8::/32?")
        }
        XCTAssertThrowsError(try range("10.0.0.0/33")) { error in
            XCTAssertEqual("\(error)", "'10.0.0.0/33': the prefix length must be 0 to 32")
        }
        XCTAssertThrowsError(try range("::/129"))
        XCTAssertThrowsError(try range("10.0.0.0/+8"))
        XCTAssertThrowsError(try range("10.0.0.0/"))
        XCTAssertThrowsError(try range("localhost")) { error in
            XCTAssertEqual("\(error)", "'localhost' is not an IP address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)")
        }
    }

    func testAnIPv6AddressKeysByItsPrefix() throws {
        let address = try XCTUnwrap(IPAddressBits(parsing: "2001:db8:1:2:3:4:5:6"))
        XCTAssertEqual(address.prefix(64), IPAddressBits(parsing: "2001:db8:1:2::"))
        XCTAssertEqual(address.prefix(128), address)
        XCTAssertEqual(address.prefix(0), IPAddressBits(high: 0, low: 0))
        XCTAssertTrue(try XCTUnwrap(IPAddressBits(parsing: "127.0.0.1")).isIPv4)
        XCTAssertFalse(address.isIPv4)
    }
}
