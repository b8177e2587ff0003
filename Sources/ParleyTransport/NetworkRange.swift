import Glibc
import ParleyBytes

/// An IP address as 128 bits, IPv4 as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`), so one
/// comparison serves both families.
public struct IPAddressBits: Hashable, Sendable {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A numeric IPv4 or IPv6 address, as `PeerAddress.host` holds it; nil for anything else.
    public init?(parsing text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(UInt32(bigEndian: v4.s_addr)))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        self.init(high: bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) },
                  low: bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
    }

    public var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The first `bits` bits (of the 128), the rest zero.
    public func prefix(_ bits: Int) -> IPAddressBits {
        IPAddressBits(high: high & Self.mask(bits), low: low & Self.mask(bits - 64))
    }

    /// A mask of the top `bits` bits of one 64-bit half (clamped to 0...64).
    private static func mask(_ bits: Int) -> UInt64 {
        bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits))
    }
}

/// A CIDR block such as `10.0.0.0/8`, `2001:db8::/32`, or one address (`192.0.2.7`, `::1`).
public struct NetworkRange: Equatable, Sendable, CustomStringConvertible {
    public let description: String
    private let network: IPAddressBits
    /// Prefix length in the 128-bit form (an IPv4 /8 is /104 there).
    private let bits: Int

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAnAddress(String)
        case badPrefix(String, most: Int)
        case hostBitsSet(String, suggestion: String)

        public var description: String {
            switch self {
            case .notAnAddress(let text): return "'\(text)' is not an IP address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)"
            case .badPrefix(let text, let most): return "'\(text)': the prefix length must be 0 to \(most)"
            case .hostBitsSet(let text, let suggestion): return "'\(text)' has bits set past its prefix; did you mean \(suggestion)?"
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddressBits(parsing: String(parts[0])) else { throw .notAnAddress(text) }
        let most = address.isIPv4 ? 32 : 128
        var length = most
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...most).contains(given), parts[1].allSatisfy(\.isNumber) else {
                throw .badPrefix(text, most: most)
            }
            length = given
        }
        bits = address.isIPv4 ? 96 + length : length
        network = address.prefix(bits)
        guard network == address else {
            throw .hostBitsSet(text, suggestion: "\(Self.format(network, v4: address.isIPv4))/\(length)")
        }
        description = text
    }

    public func contains(_ address: IPAddressBits) -> Bool {
        address.prefix(bits) == network
    }

    /// Whether a peer's numeric host is in this block ("unknown" never is).
    public func contains(host: String) -> Bool {
        IPAddressBits(parsing: host).map(contains) ?? false
    }

    private static func format(_ address: IPAddressBits, v4: Bool) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if v4 {
            var raw = in_addr(s_addr: UInt32(truncatingIfNeeded: address.low).bigEndian)
            inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
        } else {
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { bytes in
                for index in 0..<8 {
                    bytes[index] = UInt8(truncatingIfNeeded: address.high >> UInt64(56 - 8 * index))
                    bytes[8 + index] = UInt8(truncatingIfNeeded: address.low >> UInt64(56 - 8 * index))
                }
            }
            inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
        }
        return String(cChars: buffer)
    }
}

extension Array where Element == NetworkRange {
    /// Whether any block holds the peer's numeric host.
    public func contains(host: String) -> Bool {
        guard !isEmpty, let address = IPAddressBits(parsing: host) else { return false }
        return contains { $0.contains(address) }
    }
}
