import CParleySys
import Glibc
import ParleyLoop

/// A bound, listening, non-blocking TCP socket.
public struct ListeningSocket {
    public let fd: Int32
    /// The address actually bound (the kernel's choice when the port was 0).
    public let boundAddress: ListenAddress

    public static func open(_ address: ListenAddress, backlog: Int32 = 4096) throws -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let info = result else {
            throw ListenError(address: address, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }

        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenError(address: address, reason: SystemError("socket").description) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            var zero: Int32 = 0  // accept IPv4 too when bound to ::
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let error = SystemError("bind")
            Glibc.close(fd)
            throw ListenError(address: address, reason: error.description)
        }
        guard listen(fd, backlog) == 0 else {
            let error = SystemError("listen")
            Glibc.close(fd)
            throw ListenError(address: address, reason: error.description)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let bound = PeerAddress(storage: &storage)
        return ListeningSocket(fd: fd, boundAddress: ListenAddress(host: address.host, port: bound.port))
    }

    /// Accepts one pending connection, or nil when none is waiting.
    public func acceptOne() throws(SystemError) -> (fd: Int32, peer: PeerAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                parley_accept_nonblocking(fd, $0, &length)
            }
        }
        if client < 0 {
            let error = SystemError("accept4")
            if error.isWouldBlock || error.errno == ECONNABORTED || error.errno == EINTR { return nil }
            throw error
        }
        return (client, PeerAddress(storage: &storage))
    }

    public func close() {
        Glibc.close(fd)
    }
}

public struct ListenError: Error, CustomStringConvertible {
    public let address: ListenAddress
    public let reason: String
    public var description: String { "cannot listen on \(address): \(reason)" }
}
