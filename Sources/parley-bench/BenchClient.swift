import Glibc

/// One load-generator connection: non-blocking socket, line reader, pending output.
final class BenchClient {
    let fd: Int32
    let nick: String
    var registered = false
    var joined = false
    private var input: [UInt8] = []
    private var inputStart = 0
    private var output: [UInt8] = []
    /// When the latest read returned: every line it delivered arrived by then.
    private(set) var lastReadAt: UInt64 = 0
    private var tls: BenchTLSSession?

    init(port: Int, host: String, nick: String, tls context: BenchTLS? = nil) throws {
        self.nick = nick
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 || errno == EINPROGRESS else { throw BenchError("connect: errno \(errno)") }
        if let context {
            guard let session = BenchTLSSession(context, fd: fd) else { throw BenchError("TLS: cannot make a session") }
            tls = session
        }
    }

    deinit {
        tls?.free()
        close(fd)
    }

    /// Queued output, or a handshake waiting to write; output waits for the handshake.
    var wantsWrite: Bool {
        if let tls, !tls.isEstablished { return tls.wantsWrite }
        return !output.isEmpty
    }

    /// Whether bytes may flow: moves a TLS handshake on first. False when the handshake failed.
    private func establish() -> Bool? {
        guard tls != nil, !tls!.isEstablished else { return true }
        guard tls!.handshake() else { return false }
        return tls!.isEstablished ? true : nil
    }

    /// Bytes queued and not yet taken by the socket.
    var pendingBytes: Int { output.count }

    func queue(_ bytes: [UInt8]) {
        output.append(contentsOf: bytes)
    }

    /// Writes what the socket takes. Returns false when the connection failed.
    func flush() -> Bool {
        guard let ready = establish() else { return true }
        guard ready else { return false }
        while !output.isEmpty {
            if let tls {
                switch output.withUnsafeBytes({ tls.write($0) }) {
                case .bytes(let written): output.removeFirst(written)
                case .wait: return true
                case .closed: return false
                }
                continue
            }
            let written = output.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN }
            output.removeFirst(written)
        }
        return true
    }

    /// recv, or a TLS read: a count, 0 at the end, -1 when nothing is there now, -2 on failure.
    private func receive(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let tls else {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2 }
            return count
        }
        switch tls.read(buffer) {
        case .bytes(let count): return count
        case .wait: return -1
        case .closed: return 0
        }
    }

    /// Reads what is there and hands out complete lines (without CR LF). Returns false on EOF or error.
    func read(_ buffer: UnsafeMutableRawBufferPointer, _ onLine: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let ready = establish() else { return true }
        guard ready else { return false }
        while true {
            let count = receive(buffer)
            if count == 0 || count == -2 { return false }
            if count < 0 { return true }
            lastReadAt = monotonicNanoseconds()
            input.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            input.withUnsafeBytes { bytes in
                var start = inputStart
                while let newline = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) {
                    var end = UnsafeRawPointer(newline) - bytes.baseAddress!
                    let next = end + 1
                    if end > start && bytes[end - 1] == 0x0D { end -= 1 }
                    onLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                    start = next
                }
                inputStart = start
            }
            if inputStart == input.count {
                input.removeAll(keepingCapacity: true)
                inputStart = 0
            } else if inputStart > 65536 {
                input.removeFirst(inputStart)
                inputStart = 0
            }
            // A TLS read returns one record at most: it goes on until the session has no more.
            if tls == nil && count < buffer.count { return true }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

extension UnsafeRawBufferPointer {
    func contains(_ needle: StaticString) -> Bool {
        firstRange(of: needle) != nil
    }

    /// Offset of the first occurrence of `needle` (memchr for its first byte, then memcmp).
    func firstRange(of needle: StaticString) -> Int? {
        let length = needle.utf8CodeUnitCount
        guard length > 0, count >= length, let base = baseAddress else { return nil }
        let first = Int32(needle.utf8Start.pointee)
        var offset = 0
        while offset + length <= count {
            guard let hit = memchr(base + offset, first, count - offset - length + 1) else { return nil }
            let position = UnsafeRawPointer(hit) - base
            if memcmp(hit, needle.utf8Start, length) == 0 { return position }
            offset = position + 1
        }
        return nil
    }
}
