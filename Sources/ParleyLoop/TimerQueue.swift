import Glibc

/// Monotonic time in nanoseconds.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

public struct TimerID: Hashable, Sendable {
    fileprivate let raw: UInt64
}

/// Timers run on the loop thread. A min-heap on deadline; cancellation is lazy (a cancelled
/// entry is skipped when it reaches the top), which keeps cancel O(1).
public final class TimerQueue {
    private struct Entry {
        let deadline: UInt64
        let id: UInt64
    }
    private var heap: [Entry] = []
    private var actions: [UInt64: (interval: UInt64?, action: () -> Void)] = [:]
    private var nextID: UInt64 = 1

    public var activeCount: Int { actions.count }

    public init() {}

    @discardableResult
    public func schedule(afterMilliseconds delay: UInt64, repeating: Bool = false,
                         _ action: @escaping () -> Void) -> TimerID {
        schedule(afterNanoseconds: delay * 1_000_000, repeating: repeating, action)
    }

    @discardableResult
    public func schedule(afterNanoseconds interval: UInt64, repeating: Bool = false,
                         _ action: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        actions[id] = (repeating ? max(interval, 1_000_000) : nil, action)
        push(Entry(deadline: monotonicNanoseconds() + interval, id: id))
        return TimerID(raw: id)
    }

    public func cancel(_ timer: TimerID) {
        actions[timer.raw] = nil
    }

    /// How long until the next timer is due; -1 when none is scheduled.
    func nanosecondsUntilNextDue() -> Int64 {
        dropCancelledTop()
        guard let top = heap.first else { return -1 }
        let now = monotonicNanoseconds()
        if top.deadline <= now { return 0 }
        return Int64(min(top.deadline - now, UInt64(Int64.max)))
    }

    package func runDue() {
        let now = monotonicNanoseconds()
        while let top = heap.first, top.deadline <= now {
            popTop()
            guard let entry = actions[top.id] else { continue }
            if let interval = entry.interval {
                push(Entry(deadline: now + interval, id: top.id))
            } else {
                actions[top.id] = nil
            }
            entry.action()
        }
    }

    private func dropCancelledTop() {
        while let top = heap.first, actions[top.id] == nil { popTop() }
    }

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
