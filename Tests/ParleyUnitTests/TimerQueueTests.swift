import XCTest
@testable import ParleyLoop

final class TimerQueueTests: XCTestCase {
    func testDueTimersRunAndCancelledOnesNever() {
        let timers = TimerQueue()
        var fired: [Int] = []
        timers.schedule(afterMilliseconds: 0) { fired.append(1) }
        let cancelled = timers.schedule(afterMilliseconds: 0) { fired.append(99) }
        timers.schedule(afterMilliseconds: 0) { fired.append(2) }
        timers.schedule(afterMilliseconds: 60_000) { fired.append(3) }
        timers.cancel(cancelled)
        timers.runDue()
        XCTAssertEqual(fired.sorted(), [1, 2])
        XCTAssertGreaterThan(timers.nanosecondsUntilNextDue(), 50_000_000_000)
        XCTAssertEqual(timers.activeCount, 1)
    }
}
