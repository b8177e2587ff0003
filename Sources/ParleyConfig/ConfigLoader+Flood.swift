/// `[flood]` (fakelag) and `[throttle]` (connections per address).
extension ConfigLoader {
    static func readFlood(_ reader: TOMLTableReader?, into flood: inout Config.Flood) {
        guard let reader else { return }
        if let value = reader.bool("enabled") { flood.enabled = value }
        if let value = reader.int("burst", in: 1...10_000) { flood.burst = value }
        if let value = reader.number("lines_per_second", in: 0.1...100_000) { flood.linesPerSecond = value }
        if let value = reader.int("query_cost", in: 1...100) { flood.queryCost = value }
        if let value = reader.int("registration_lines", in: 8...100_000) { flood.registrationLines = value }
        if let value = reader.int("recvq_bytes", in: 16_384...1_073_741_824) { flood.recvqBytes = value }
        if let value = reader.networkRanges("exempt") { flood.exempt = value }
        reader.finish()
    }

    static func readThrottle(_ reader: TOMLTableReader?, into throttle: inout Config.Throttle) {
        guard let reader else { return }
        if let value = reader.bool("enabled") { throttle.enabled = value }
        if let value = reader.int("connections", in: 1...1_000_000) { throttle.connections = value }
        if let value = reader.int("window_seconds", in: 1...86_400) { throttle.windowSeconds = value }
        if let value = reader.int("unregistered_per_ip", in: 1...1_000_000) { throttle.unregisteredPerIP = value }
        if let value = reader.networkRanges("exempt") { throttle.exempt = value }
        reader.finish()
    }
}
