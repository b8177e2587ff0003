import ParleyChat
import ParleyConfig

/// Failed password attempts per IP address (IPv6 per /64: one host owns that many), across
/// connections: each failure makes the address wait longer before its next check, and after
/// `failures_per_ip` failures its attempts are refused for the cool-down without being
/// checked. Memory stays bounded: an address is forgotten once quiet for a cool-down, and the
/// table never holds more than `maxEntries` addresses. Times are monotonic nanoseconds.
public struct PasswordThrottle {
    public enum Admission: Equatable {
        case now
        case after(milliseconds: UInt64)
        case refused(retryAfterSeconds: Int)
    }

    private struct Entry {
        var failures = 0
        /// Attempts admitted and not answered yet; each counts as a failure to come.
        var pending = 0
        /// When the next attempt may start.
        var nextSlot: UInt64 = 0
        var lastSeen: UInt64 = 0
        var blockedUntil: UInt64?
    }

    public var limits: Config.PasswordLimits
    private var entries: [String: Entry] = [:]
    /// Expired entries are swept when the table reaches this size, which then follows it.
    private var sweepAt = 1024
    static let maxEntries = 65_536

    public init(limits: Config.PasswordLimits) {
        self.limits = limits
    }

    public var trackedAddresses: Int { entries.count }

    public static func key(for address: String) -> String {
        guard let ip = IPAddress(address) else { return address }
        return ip.isIPv4 ? ip.description : ip.masked(to: 64).description + "/64"
    }

    /// Whether an attempt from `address` may be checked now, later, or not at all.
    public mutating func admit(_ address: String, now: UInt64) -> Admission {
        let key = Self.key(for: address)
        var entry = entries[key] ?? Entry()
        if let until = entry.blockedUntil {
            if now < until { return .refused(retryAfterSeconds: Self.wholeSeconds(until - now)) }
            entry = Entry()
        }
        if entry.failures + entry.pending >= limits.failuresPerIP {
            // Enough attempts are running to end in a cool-down: wait for their answers.
            return .refused(retryAfterSeconds: Self.wholeSeconds(max(entry.nextSlot, now) - now))
        }
        let start = max(now, entry.nextSlot)
        entry.pending += 1
        entry.nextSlot = start + delay(afterFailures: entry.failures + entry.pending)
        entry.lastSeen = now
        store(entry, at: key, now: now)
        return start > now ? .after(milliseconds: (start - now) / 1_000_000) : .now
    }

    /// Records an admitted attempt's answer; returns the cool-down in seconds when this failure
    /// started one.
    public mutating func record(_ address: String, matched: Bool, now: UInt64) -> Int? {
        let key = Self.key(for: address)
        guard var entry = entries[key] else { return nil }
        entry.pending = max(0, entry.pending - 1)
        entry.lastSeen = now
        var cooldown: Int?
        if matched {
            // The slot it held as a failure to come is given back.
            entry.nextSlot = min(entry.nextSlot, now + delay(afterFailures: entry.failures + entry.pending))
        } else {
            entry.failures += 1
            entry.nextSlot = max(entry.nextSlot, now + delay(afterFailures: entry.failures))
            if entry.failures >= limits.failuresPerIP && entry.blockedUntil == nil {
                entry.blockedUntil = now + UInt64(limits.cooldownSeconds) * 1_000_000_000
                cooldown = limits.cooldownSeconds
            }
        }
        entries[key] = entry
        return cooldown
    }

    /// The wait after `failures` failures: none at first, then the configured delay doubling
    /// with each failure, never longer than the cool-down.
    private func delay(afterFailures failures: Int) -> UInt64 {
        guard failures > 0 else { return 0 }
        let first = UInt64(limits.delayMilliseconds) * 1_000_000
        let ceiling = UInt64(limits.cooldownSeconds) * 1_000_000_000
        var wait = min(first, ceiling)
        for _ in 1..<failures where wait < ceiling { wait = min(wait * 2, ceiling) }
        return wait
    }

    private mutating func store(_ entry: Entry, at key: String, now: UInt64) {
        if entries[key] == nil && entries.count >= sweepAt {
            let memory = UInt64(limits.cooldownSeconds) * 1_000_000_000
            entries = entries.filter { _, old in
                old.pending > 0 || (old.blockedUntil.map { now < $0 } ?? false) || now - old.lastSeen < memory
            }
            if entries.count >= Self.maxEntries {
                // Full of live addresses (a spread-out attack): the quietest eighth goes at once,
                // so the next sweep is thousands of new addresses away.
                let idle = entries.filter { $0.value.pending == 0 }.sorted { $0.value.lastSeen < $1.value.lastSeen }
                for (oldKey, _) in idle.prefix(Self.maxEntries / 8) { entries[oldKey] = nil }
            }
            sweepAt = max(1024, min(entries.count * 2, Self.maxEntries))
        }
        entries[key] = entry
    }

    private static func wholeSeconds(_ nanoseconds: UInt64) -> Int {
        max(1, Int((nanoseconds + 999_999_999) / 1_000_000_000))
    }
}
