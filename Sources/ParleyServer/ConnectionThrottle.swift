import Logging
import ParleyConfig
import ParleyTransport

/// Connection throttling per address (`[throttle]`): at most `connections` new connections per
/// window from one address, and at most `unregistered_per_ip` of its connections still
/// registering at once. An address is an IPv4 address, or the /64 of an IPv6 one (what one
/// IPv6 subscriber usually gets). Windows are fixed, as Ergo's are: the first connection
/// opens one, and the address is refused once it is full, until it ends.
final class ConnectionThrottle {
    /// Addresses tracked at most (100,000 by default, a few MiB). Entries expire with their
    /// window; past this many (a flood from very many addresses at once, where per-address
    /// limits mean little and max_clients still holds) new addresses go uncounted until
    /// windows expire, logged once per episode.
    let maxTrackedAddresses: Int

    var settings: Config.Throttle
    private let logger: Logger
    private struct Window {
        var start: UInt64
        var count: Int
    }
    private var windows: [IPAddressBits: Window] = [:]
    private var unregistered: [IPAddressBits: Int] = [:]
    /// Connections counted as unregistered, by id, with their address.
    private var pending: [UInt64: IPAddressBits] = [:]
    private var nextSweep: UInt64 = 0
    private var lastSweep: UInt64 = 0
    private var tableFull = false

    init(settings: Config.Throttle, logger: Logger, maxTrackedAddresses: Int = 100_000) {
        self.settings = settings
        self.logger = logger
        self.maxTrackedAddresses = maxTrackedAddresses
    }

    /// Addresses with an open window (for tests of the table's bound).
    var trackedAddresses: Int { windows.count }

    /// Why a new connection from `host` is refused, or nil; an admitted one is counted in its
    /// address's window.
    func refusal(forHost host: String, now: UInt64) -> String? {
        guard let key = key(for: host) else { return nil }
        if let waiting = unregistered[key], waiting >= settings.unregisteredPerIP {
            return "too many unregistered connections from your address (throttle.unregistered_per_ip = \(settings.unregisteredPerIP)); try again once they have registered"
        }
        let length = UInt64(settings.windowSeconds) * 1_000_000_000
        sweep(now: now, windowLength: length)
        var window = windows[key] ?? Window(start: now, count: 0)
        if now &- window.start >= length { window = Window(start: now, count: 0) }
        if window.count >= settings.connections {
            let retry = (window.start + length - now + 999_999_999) / 1_000_000_000
            return "too many new connections from your address (throttle.connections = \(settings.connections) per \(settings.windowSeconds) seconds); try again in \(retry) \(retry == 1 ? "second" : "seconds")"
        }
        window.count += 1
        if windows[key] != nil || windows.count < maxTrackedAddresses {
            windows[key] = window
        } else if !tableFull {
            tableFull = true
            logger.warning("throttle table full", metadata: ["reason": "\(maxTrackedAddresses) addresses opened connections within throttle.window_seconds; new addresses go uncounted until windows expire"])
        }
        return nil
    }

    /// A connection from `host` opened: it counts as unregistered until `registered` or `closed`.
    func opened(_ id: UInt64, host: String) {
        guard let key = key(for: host) else { return }
        pending[id] = key
        unregistered[key, default: 0] += 1
    }

    func registered(_ id: UInt64) {
        guard let key = pending.removeValue(forKey: id) else { return }
        let left = unregistered[key, default: 1] - 1
        unregistered[key] = left > 0 ? left : nil
    }

    func closed(_ id: UInt64) {
        registered(id)
    }

    /// The address `host` counts under, or nil when it is not throttled (off, exempt, or no
    /// numeric address).
    private func key(for host: String) -> IPAddressBits? {
        guard settings.enabled, !settings.exempt.contains(host: host),
              let address = IPAddressBits(parsing: host) else { return nil }
        return address.isIPv4 ? address : address.prefix(64)
    }

    /// Forgets ended windows once per window length, or once a second while the table is full
    /// (never per connection: that would make a full table cost O(n) per accept).
    private func sweep(now: UInt64, windowLength: UInt64) {
        let full = windows.count >= maxTrackedAddresses
        guard now >= nextSweep || (full && now >= lastSweep + 1_000_000_000) else { return }
        windows = windows.filter { now &- $0.value.start < windowLength }
        lastSweep = now
        nextSweep = now + windowLength
        if tableFull && windows.count < maxTrackedAddresses {
            tableFull = false
            logger.notice("throttle table has room again", metadata: ["reason": "ended windows expired"])
        }
    }
}
