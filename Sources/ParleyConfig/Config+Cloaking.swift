import ParleyChat

extension Config {
    /// `[cloaking]`: what other users see in place of a client's IP address.
    public struct Cloaking: Equatable, Sendable {
        public var enabled = true
        /// The key of the cloaks' hash. Unset: a random one is made at each start, so cloaks
        /// (and bans on them) change across restarts; the server warns about it.
        public var secret: String?
        /// The last labels of every cloaked host.
        public var suffix = "ip"

        public static let minimumSecretLength = 16
    }
}

extension ConfigLoader {
    static func readCloaking(_ reader: TOMLTableReader?, into cloaking: inout Config.Cloaking) {
        guard let reader else { return }
        if let enabled = reader.bool("enabled") { cloaking.enabled = enabled }
        if let secret = reader.string("secret", check: { secret in
            secret.utf8.count >= Config.Cloaking.minimumSecretLength ? nil
                : "must be at least \(Config.Cloaking.minimumSecretLength) characters (make one with `openssl rand -base64 32`)"
        }) {
            cloaking.secret = secret
        }
        if let suffix = reader.string("suffix", check: HostCloak.suffixProblem) { cloaking.suffix = suffix }
        reader.finish()
    }
}
