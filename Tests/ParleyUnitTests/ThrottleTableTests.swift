import Logging
import XCTest
@testable import ParleyConfig
@testable import ParleyServer
@testable import ParleyTransport

/// The per-address connection table behind `[throttle]`, on a clock the test moves by hand.
final class ThrottleTableTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000

    private func throttle(connections: Int = 3, window: Int = 60, unregistered: Int = 100, exempt: [String] = [],
                          maxTracked: Int = 100_000) -> ConnectionThrottle {
        var settings = Config.Throttle()
        settings.connections = connections
        settings.windowSeconds = window
        settings.unregisteredPerIP = unregistered
        settings.exempt = exempt.map { try! NetworkRange(parsing: $0) }
        return ConnectionThrottle(settings: settings, logger: Logger(label: "test"), maxTrackedAddresses: maxTracked)
    }

    func testAFullWindowRefusesWithTheTimeLeftUntilItEnds() {
        let table = throttle()
        let start = 1000 * second
        for _ in 0..<3 { XCTAssertNil(table.refusal(forHost: "192.0.2.1", now: start)) }
        XCTAssertEqual(table.refusal(forHost: "192.0.2.1", now: start + 23 * second),
                       "too many new connections from your address (throttle.connections = 3 per 60 seconds); try again in 37 seconds")
        XCTAssertEqual(table.refusal(forHost: "192.0.2.1", now: start + 59 * second + 1)?.hasSuffix("try again in 1 second"), true)
        XCTAssertNil(table.refusal(forHost: "192.0.2.2", now: start), "each address has its own window")
        XCTAssertNil(table.refusal(forHost: "192.0.2.1", now: start + 60 * second), "a new window")
    }

    func testIPv6CountsByItsSlash64() {
        let table = throttle(connections: 1)
        XCTAssertNil(table.refusal(forHost: "2001:db8:0:1::1", now: 0))
        XCTAssertNotNil(table.refusal(forHost: "2001:db8:0:1::ffff", now: 0), "same /64")
        XCTAssertNil(table.refusal(forHost: "2001:db8:0:2::1", now: 0))
    }

    func testExemptAndDisabledAreNeverCounted() {
        let table = throttle(connections: 1, unregistered: 1, exempt: ["10.0.0.0/8"])
        for id in 0..<5 as Range<UInt64> {
            XCTAssertNil(table.refusal(forHost: "10.1.2.3", now: 0))
            table.opened(id, host: "10.1.2.3")
        }
        XCTAssertEqual(table.trackedAddresses, 0)
        table.settings.enabled = false
        for _ in 0..<5 { XCTAssertNil(table.refusal(forHost: "192.0.2.1", now: 0)) }
    }

    func testUnregisteredConnectionsAreCountedUntilTheyRegisterOrClose() {
        let table = throttle(connections: 100, unregistered: 2)
        table.opened(1, host: "192.0.2.1")
        table.opened(2, host: "192.0.2.1")
        XCTAssertEqual(table.refusal(forHost: "192.0.2.1", now: 0),
                       "too many unregistered connections from your address (throttle.unregistered_per_ip = 2); try again once they have registered")
        table.registered(1)
        XCTAssertNil(table.refusal(forHost: "192.0.2.1", now: 0))
        table.opened(3, host: "192.0.2.1")
        table.closed(2)
        table.closed(1)  // registered already: counted once only
        XCTAssertNil(table.refusal(forHost: "192.0.2.1", now: 0))
    }

    func testEndedWindowsExpireSoTheTableStaysBounded() {
        let table = throttle(window: 10, maxTracked: 50)
        for index in 0..<50 { XCTAssertNil(table.refusal(forHost: "198.51.100.\(index)", now: 0)) }
        XCTAssertEqual(table.trackedAddresses, 50)
        // Full: a new address is admitted but not tracked.
        XCTAssertNil(table.refusal(forHost: "203.0.113.1", now: second))
        XCTAssertEqual(table.trackedAddresses, 50)
        // Once the windows have ended, the next connection sweeps them out.
        XCTAssertNil(table.refusal(forHost: "203.0.113.2", now: 11 * second))
        XCTAssertEqual(table.trackedAddresses, 1)
    }
}
