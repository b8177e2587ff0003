import Glibc

/// A numeric IPv4 or IPv6 address as bytes, for cloaks and per-address limits. An IPv4 address
/// mapped into IPv6 (`::ffff:a.b.c.d`) is the IPv4 address, as the transport counts it.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: &v6) { Array($0) }
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        bytes = all.starts(with: mappedPrefix) ? Array(all[12...]) : all
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The network of the first `prefixLength` bits (the rest zeroed), as in a CIDR block.
    public func masked(to prefixLength: Int) -> IPAddress {
        var result = bytes
        for index in result.indices {
            let bitsKept = max(0, min(8, prefixLength - index * 8))
            result[index] &= bitsKept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsKept))
        }
        return IPAddress(bytes: result)
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        bytes.withUnsafeBytes { raw in
            _ = inet_ntop(isIPv4 ? AF_INET : AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        return String(cChars: buffer)
    }
}
