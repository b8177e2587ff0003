import CParleyTLS

/// The server under test: where it listens, the protocol and transport to speak, and its pid
/// (for its CPU time and memory from /proc). Every scenario takes one.
struct BenchServer {
    var host = "127.0.0.1"
    var port = 4000
    var proto = BenchProtocol.plain
    /// Set with --tls: every connection speaks TLS.
    var tls: BenchTLS?
    var pid: Int32?
}

/// `--tls`: every generator connection speaks TLS (TLS 1.2+, the server's certificate not
/// verified: benchmarks run against self-signed test certificates on loopback).
final class BenchTLS {
    let context: OpaquePointer

    init() throws {
        var error = [CChar](repeating: 0, count: 256)
        guard let context = parley_tls_client_context(nil, nil, &error, error.count) else {
            throw BenchError("TLS: " + error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        self.context = context
    }

    deinit { parley_tls_context_free(context) }
}

/// One connection's TLS session: the handshake, then reads and writes in place of recv and send.
struct BenchTLSSession {
    enum Outcome {
        case bytes(Int)
        case wait
        case closed
    }

    let session: OpaquePointer
    private(set) var isEstablished = false
    /// What the handshake waits for: writability first (the ClientHello, once connected).
    private(set) var wantsWrite = true

    init?(_ tls: BenchTLS, fd: Int32) {
        guard let session = parley_tls_connect(tls.context, fd) else { return nil }
        self.session = session
    }

    func free() { parley_tls_session_free(session) }

    /// Moves the handshake on; false when it failed.
    mutating func handshake() -> Bool {
        switch parley_tls_handshake(session, nil, 0) {
        case Int32(PARLEY_TLS_DONE): isEstablished = true
        case Int32(PARLEY_TLS_WANT_READ): wantsWrite = false
        case Int32(PARLEY_TLS_WANT_WRITE): wantsWrite = true
        default: return false
        }
        return true
    }

    func read(_ buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        outcome(parley_tls_read(session, buffer.baseAddress, buffer.count, nil, 0))
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        outcome(parley_tls_write(session, bytes.baseAddress, bytes.count, nil, 0))
    }

    private func outcome(_ value: Int) -> Outcome {
        if value > 0 { return .bytes(value) }
        if value == Int(PARLEY_TLS_WANT_READ) || value == Int(PARLEY_TLS_WANT_WRITE) { return .wait }
        return .closed
    }
}
