extension Config {
    /// `[password_limits]`: failed password attempts (PASS, OPER) counted per IP address across
    /// connections; each connection also ends after three failures.
    public struct PasswordLimits: Equatable, Sendable {
        /// Failures from one address before its attempts are refused for the cool-down.
        public var failuresPerIP = 10
        /// The wait before the attempt after the first failure; it doubles with each failure,
        /// up to the cool-down.
        public var delayMilliseconds = 500
        /// How long an address that failed too often is refused, and how long failures are
        /// remembered after the last one.
        public var cooldownSeconds = 600
    }
}

extension ConfigLoader {
    static func readPasswordLimits(_ reader: TOMLTableReader?, into limits: inout Config.PasswordLimits) {
        guard let reader else { return }
        if let value = reader.int("failures_per_ip", in: 1...1000) { limits.failuresPerIP = value }
        if let value = reader.int("delay_milliseconds", in: 0...60_000) { limits.delayMilliseconds = value }
        if let value = reader.int("cooldown_seconds", in: 1...86_400) { limits.cooldownSeconds = value }
        reader.finish()
    }
}
