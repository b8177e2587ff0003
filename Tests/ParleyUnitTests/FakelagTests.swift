import XCTest
@testable import ParleyTransport

/// The token bucket behind fakelag, on a clock the test moves by hand.
final class FakelagTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private let policy = FloodPolicy(linesPerSecond: 2, burst: 5, heavyLineCost: 4, recvqBytes: 32_768)

    /// Lines processed at `now` before the bucket says wait.
    private func drain(_ lag: inout Fakelag, at now: UInt64, weight: LineWeight = .normal) -> Int {
        var lines = 0
        while lag.allowsLine(at: now) && lines < 1000 {
            _ = lag.charge(weight, at: now)
            lines += 1
        }
        return lines
    }

    func testABurstThenTheSteadyRate() {
        let start = 10 * second
        var lag = Fakelag(policy: policy, now: start)
        XCTAssertEqual(drain(&lag, at: start), 5)
        XCTAssertEqual(lag.nanosecondsUntilNextLine(at: start), second / 2)
        XCTAssertEqual(drain(&lag, at: start + second / 2 - 1), 0)
        XCTAssertEqual(drain(&lag, at: start + second / 2), 1)
        // Ten seconds at 2 per second: 20 more lines, never more than the burst at once.
        XCTAssertEqual(drain(&lag, at: start + 10 * second + second / 2), 5)
    }

    func testHeavyLinesRunIntoDebt() {
        var lag = Fakelag(policy: policy, now: 0)
        XCTAssertEqual(drain(&lag, at: 0, weight: .heavy), 2, "5 tokens: a query at 5 and one at 1")
        // 5 - 8 = -3: four tokens to earn before the next line, at 2 per second.
        XCTAssertEqual(lag.nanosecondsUntilNextLine(at: 0), 2 * second)
    }

    func testFreeLinesCostNothingAndNoPolicyLimitsNothing() {
        var lag = Fakelag(policy: policy, now: 0)
        XCTAssertEqual(drain(&lag, at: 0, weight: .free), 1000)
        var open = Fakelag(policy: nil, now: 0)
        XCTAssertFalse(open.isLimited)
        XCTAssertEqual(drain(&open, at: 0), 1000)
        XCTAssertEqual(open.recvqBytes, .max)
    }

    func testANewPolicyKeepsWhatWasEarnedUpToItsBurst() {
        var lag = Fakelag(policy: policy, now: 0)
        XCTAssertEqual(drain(&lag, at: 0), 5)
        lag.setPolicy(FloodPolicy(linesPerSecond: 100, burst: 2, heavyLineCost: 4, recvqBytes: 32_768), now: 0)
        XCTAssertEqual(lag.nanosecondsUntilNextLine(at: 0), second / 100, "the debt is paid at the new rate")
        XCTAssertEqual(drain(&lag, at: 10 * second), 2, "capped at the new burst")
        // From no policy to one: a full bucket.
        var relaxed = Fakelag(policy: nil, now: 0)
        relaxed.setPolicy(policy, now: 0)
        XCTAssertEqual(drain(&relaxed, at: 0), 5)
    }
}
