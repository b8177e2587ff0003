import XCTest
@testable import ParleyConfig
@testable import ParleyFrontEnd

/// Per-address pacing of password attempts, on a clock the test moves.
final class PasswordThrottleTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private var limits: Config.PasswordLimits {
        var limits = Config.PasswordLimits()
        limits.failuresPerIP = 4
        limits.delayMilliseconds = 100
        limits.cooldownSeconds = 60
        return limits
    }

    func testEachFailureDoublesTheWaitThenTheAddressCoolsDown() {
        var throttle = PasswordThrottle(limits: limits)
        var now: UInt64 = 1000 * second
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now), .now)
        XCTAssertNil(throttle.record("192.0.2.1", matched: false, now: now))
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now), .after(milliseconds: 100))
        now += second / 10
        XCTAssertNil(throttle.record("192.0.2.1", matched: false, now: now))
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now), .after(milliseconds: 200))
        now += second / 5
        XCTAssertNil(throttle.record("192.0.2.1", matched: false, now: now))
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now), .after(milliseconds: 400))
        now += 2 * second / 5
        XCTAssertEqual(throttle.record("192.0.2.1", matched: false, now: now), 60, "the fourth failure starts the cool-down")
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now), .refused(retryAfterSeconds: 60))
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now + 59 * second + 1), .refused(retryAfterSeconds: 1))
        // Other addresses are not held up.
        XCTAssertEqual(throttle.admit("192.0.2.2", now: now), .now)
        // Once it is over, the address starts afresh.
        XCTAssertEqual(throttle.admit("192.0.2.1", now: now + 60 * second), .now)
    }

    func testAttemptsInParallelAreSpacedAndCountAsFailuresToCome() {
        var throttle = PasswordThrottle(limits: limits)
        let now: UInt64 = 1000 * second
        // Four connections from one address try at once: each waits longer than the one before.
        XCTAssertEqual(throttle.admit("192.0.2.9", now: now), .now)
        XCTAssertEqual(throttle.admit("192.0.2.9", now: now), .after(milliseconds: 100))
        XCTAssertEqual(throttle.admit("192.0.2.9", now: now), .after(milliseconds: 300))
        XCTAssertEqual(throttle.admit("192.0.2.9", now: now), .after(milliseconds: 700))
        // A fifth could only end in a cool-down: refused at once.
        guard case .refused = throttle.admit("192.0.2.9", now: now) else { return XCTFail("expected a refusal") }
    }

    func testIPv6CountsPerSlash64AndSuccessIsNoFailure() {
        var throttle = PasswordThrottle(limits: limits)
        let now: UInt64 = 1000 * second
        XCTAssertEqual(throttle.admit("2001:db8:1:2::1", now: now), .now)
        XCTAssertNil(throttle.record("2001:db8:1:2::1", matched: false, now: now))
        XCTAssertEqual(throttle.admit("2001:db8:1:2:ffff::7", now: now), .after(milliseconds: 100), "same /64")
        XCTAssertEqual(throttle.admit("2001:db8:1:3::1", now: now), .now, "another /64")
        XCTAssertNil(throttle.record("2001:db8:1:3::1", matched: true, now: now))
        XCTAssertEqual(throttle.admit("2001:db8:1:3::1", now: now), .now)
    }

    func testQuietAddressesAreForgottenSoMemoryStaysBounded() {
        var throttle = PasswordThrottle(limits: limits)
        var now: UInt64 = 1000 * second
        for index in 0..<5000 {
            let address = "10.0.\(index / 256).\(index % 256)"
            _ = throttle.admit(address, now: now)
            _ = throttle.record(address, matched: false, now: now)
            now += second
        }
        XCTAssertLessThanOrEqual(throttle.trackedAddresses, 1024, "addresses quiet for a cool-down (60 s) were swept")
        for index in 0..<(PasswordThrottle.maxEntries + 100) {
            _ = throttle.admit("2001:db8:\(index >> 16 & 0xffff):\(index & 0xffff)::1", now: now)
            _ = throttle.record("2001:db8:\(index >> 16 & 0xffff):\(index & 0xffff)::1", matched: false, now: now)
        }
        XCTAssertLessThanOrEqual(throttle.trackedAddresses, PasswordThrottle.maxEntries, "never more than the cap, even when all are live")
    }
}
