import Foundation
import Glibc

/// A blocking line client over a real TCP socket. Reads wait for data; the receive
/// timeout only turns a hang into a test failure.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var isClosedByServer = false
    /// Every line read so far, for assertions about what was (not) received.
    private(set) var received: [String] = []

    /// `sourceAddress` binds the client to another loopback address first (all of
    /// 127.0.0.0/8 is loopback), so a test can connect from several "addresses".
    init(port: Int, receiveBufferBytes: Int32? = nil, timeoutSeconds: Int = 10, sourceAddress: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        if let sourceAddress {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(sourceAddress)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw TestFailure("bind to \(sourceAddress) failed: errno \(errno)")
            }
        }
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            close(fd)
            throw TestFailure("connect to port \(port) failed: errno \(errno)")
        }
    }

    private var closed = false

    /// Closes once: closing twice could close a reused fd number under another live socket.
    deinit { shutdownAndClose() }

    func send(_ text: String) throws {
        try send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += written
        }
    }

    /// The next line (without CRLF), or nil once the server has closed the connection.
    func readLine() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == 0x0D { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                received.append(text)
                lastLineBytes = line
                return text
            }
            if isClosedByServer { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
            } else if count == 0 || errno == ECONNRESET {
                isClosedByServer = true
            } else {
                throw TestFailure("no data from server within the timeout (errno \(errno)); last lines: \(received.suffix(5))")
            }
        }
    }

    /// The raw bytes of the last line read.
    private(set) var lastLineBytes: [UInt8] = []

    /// Reads until a line contains `fragment`; returns that line.
    @discardableResult
    func expect(_ fragment: String) throws -> String {
        try expect { $0.contains(fragment) }
    }

    @discardableResult
    func expect(_ match: (String) -> Bool) throws -> String {
        while let line = try readLine() {
            if match(line) { return line }
        }
        throw TestFailure("connection closed before the expected line; last lines: \(received.suffix(5))")
    }

    /// The next line that is a chat message (not a `-!-` notice).
    func nextMessage() throws -> String? {
        while let line = try readLine() {
            if !line.hasPrefix("-!-") { return line }
        }
        return nil
    }

    /// Reads everything until the server closes the connection.
    func readUntilClosed() throws -> [String] {
        var lines: [String] = []
        while let line = try readLine() { lines.append(line) }
        return lines
    }

    /// Closes with RST instead of FIN, like a crashed client or a dead network path.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdownAndClose()
    }

    func shutdownAndClose() {
        guard !closed else { return }
        closed = true
        close(fd)
    }
}
