import Glibc
import ParleyBytes

/// A HOST:PORT pair as written on the command line or in the config.
/// IPv6 hosts are bracketed: `[::1]:6667`. Port 0 asks the kernel for a free port.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case malformed(String)
        case badPort(String)

        public var description: String {
            switch self {
            case .malformed(let text): return "'\(text)' is not HOST:PORT (IPv6 as [::1]:PORT)"
            case .badPort(let text): return "'\(text)' is not a port number from 0 to 65535"
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else { throw .malformed(text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw .malformed(text)
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .malformed(text) }
        guard let port = Int(portPart), (0...65535).contains(port) else { throw .badPort(String(portPart)) }
        self.host = String(hostPart)
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// The numeric address of a connected peer; per-IP limits count by `host`.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    init(storage: inout sockaddr_storage) {
        var hostBuffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var serviceBuffer = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let length = socklen_t(storage.ss_family == sa_family_t(AF_INET6)
                               ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &hostBuffer, socklen_t(hostBuffer.count),
                            &serviceBuffer, socklen_t(serviceBuffer.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        if status == 0 {
            var host = String(cChars: hostBuffer)
            // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; count it as a.b.c.d.
            if host.hasPrefix("::ffff:"), host.contains(".") { host.removeFirst(7) }
            self.host = host
            self.port = Int(String(cChars: serviceBuffer)) ?? 0
        } else {
            self.host = "unknown"
            self.port = 0
        }
    }
}
