/// The host other users see in place of a client's IP address: keyed hashes of the address
/// and of its networks, as InspIRCd's partial cloaks do, so a room operator can ban one address
/// or a whole network without ever learning either.
///
///     203.0.113.7   ->  <hash of /32>.<hash of /24>.<hash of /16>.<suffix>
///     2001:db8::1   ->  <hash of /128>.<hash of /64>.<hash of /48>.<suffix>
///
/// Each part is HMAC-SHA256 keyed with the server's secret: without it, a cloak cannot be
/// turned back into its address, not even by hashing every IPv4 address.
public struct HostCloak: Equatable, Sendable {
    public let secret: [UInt8]
    public let suffix: String

    /// Characters of each part (5 bits each: 40 bits per part).
    static let partLength = 8

    public init(secret: String, suffix: String) {
        self.secret = Array(secret.utf8)
        self.suffix = suffix
    }

    /// The cloak of `host`: an IP address gets one part per network size; anything else (a
    /// name, should hostnames ever be looked up) one part for the whole of it.
    public func cloak(_ host: String) -> String {
        guard let address = IPAddress(host) else {
            return part(Array("name".utf8) + Array(host.utf8)) + "." + suffix
        }
        let prefixLengths = address.isIPv4 ? [32, 24, 16] : [128, 64, 48]
        let parts = prefixLengths.map { length in
            // The family and the prefix length are hashed too, so no two networks share a part.
            part([address.isIPv4 ? 4 : 6, UInt8(length)] + address.masked(to: length).bytes)
        }
        return (parts + [suffix]).joined(separator: ".")
    }

    private func part(_ message: [UInt8]) -> String {
        let digest = SHA256.hmac(key: secret, message: message)
        return Self.base32(digest, characters: Self.partLength)
    }

    /// Lower-case RFC 4648 base32 of the first bits of `bytes`: letters and digits only, so
    /// every part is a valid host label.
    static func base32(_ bytes: [UInt8], characters: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var result = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes where result.count < characters {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 && result.count < characters {
                bits -= 5
                result.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1f)])
            }
        }
        return result
    }

    /// Why `suffix` cannot end a host name, or nil: labels of letters, digits and `-`.
    public static func suffixProblem(_ suffix: String) -> String? {
        let labels = suffix.split(separator: ".", omittingEmptySubsequences: false)
        guard !suffix.isEmpty, suffix.utf8.count <= 32 else { return "must be 1 to 32 characters" }
        for label in labels {
            if label.isEmpty { return "must not start or end with a dot or have two dots in a row" }
            if !label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                return "may contain only ASCII letters, digits, '-' and '.'"
            }
        }
        return nil
    }
}
