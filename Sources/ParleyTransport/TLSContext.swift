import CParleyTLS

/// Why a certificate and key could not be used, naming the file and the problem.
public struct TLSError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A certificate and key loaded into OpenSSL, shared by the sessions it starts. Sessions hold
/// their own reference inside OpenSSL, so replacing a listener's context on reload leaves the
/// connections already open untouched.
public final class TLSContext {
    let pointer: OpaquePointer
    /// The certificate's subject and expiry, as the log shows them.
    public let subject: String
    public let notAfter: String

    /// A server context: TLS 1.2 and later, any client certificate accepted for its fingerprint.
    public init(certificate: String, key: String) throws(TLSError) {
        pointer = try Self.make { parley_tls_server_context(certificate, key, $0, $1) }
        (subject, notAfter) = Self.describe(pointer)
    }

    /// A client context that does not verify the server; with a certificate, it presents one.
    public init(clientCertificate certificate: String? = nil, key: String? = nil) throws(TLSError) {
        pointer = try Self.make { parley_tls_client_context(certificate, key, $0, $1) }
        (subject, notAfter) = certificate == nil ? ("", "") : Self.describe(pointer)
    }

    deinit { parley_tls_context_free(pointer) }

    private static func make(_ body: (UnsafeMutablePointer<CChar>, Int) -> OpaquePointer?) throws(TLSError) -> OpaquePointer {
        var error = [CChar](repeating: 0, count: 512)
        let made = error.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard let made else { throw TLSError(cString(error)) }
        return made
    }

    private static func describe(_ pointer: OpaquePointer) -> (String, String) {
        var subject = [CChar](repeating: 0, count: 256)
        var notAfter = [CChar](repeating: 0, count: 64)
        parley_tls_context_describe(pointer, &subject, subject.count, &notAfter, notAfter.count)
        return (cString(subject), cString(notAfter))
    }

    /// The SHA-256 of a PEM certificate file, as `[[operator]] certfp` and WHOIS write it.
    public static func fingerprint(ofCertificateFile path: String) throws(TLSError) -> String {
        var hex = [CChar](repeating: 0, count: 65)
        guard parley_tls_file_fingerprint(path, &hex) == 1 else { throw TLSError("certificate \(path): cannot read a PEM certificate from it") }
        return cString(hex)
    }

    /// Writes a self-signed certificate for `commonName` (also valid for localhost and
    /// 127.0.0.1) and its private key, readable by the owner only.
    public static func makeSelfSigned(certificate: String, key: String, commonName: String, days: Int) throws(TLSError) {
        var error = [CChar](repeating: 0, count: 512)
        guard parley_tls_make_self_signed(certificate, key, commonName, Int32(days), &error, error.count) == 0 else {
            throw TLSError(cString(error))
        }
    }
}

/// One connection's TLS state on a non-blocking socket.
public final class TLSSession {
    public enum Step: Equatable {
        case done
        case wantRead
        case wantWrite
        case failed(String)
    }

    private let pointer: OpaquePointer
    private var error = [CChar](repeating: 0, count: 256)
    public private(set) var isEstablished = false
    /// The SHA-256 of the client's certificate (64 lowercase hex digits), once established.
    public private(set) var peerFingerprint: String?

    init?(accepting fd: Int32, with context: TLSContext) {
        guard let pointer = parley_tls_accept(context.pointer, fd) else { return nil }
        self.pointer = pointer
    }

    /// The client end, for parley-bench and tests.
    public init?(connecting fd: Int32, with context: TLSContext) {
        guard let pointer = parley_tls_connect(context.pointer, fd) else { return nil }
        self.pointer = pointer
    }

    deinit { parley_tls_session_free(pointer) }

    public var version: String { String(cString: parley_tls_version(pointer)) }
    public var cipher: String { String(cString: parley_tls_cipher(pointer)) }

    public func handshake() -> Step {
        switch parley_tls_handshake(pointer, &error, error.count) {
        case Int32(PARLEY_TLS_DONE):
            isEstablished = true
            var hex = [CChar](repeating: 0, count: 65)
            if parley_tls_peer_fingerprint(pointer, &hex) == 1 { peerFingerprint = cString(hex) }
            return .done
        case Int32(PARLEY_TLS_WANT_READ): return .wantRead
        case Int32(PARLEY_TLS_WANT_WRITE): return .wantWrite
        default: return .failed(cString(error))
        }
    }

    /// Like recv: a count, 0 when the peer closed, or -1 with `lastError` (nil: try again later).
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        result(parley_tls_read(pointer, buffer, count, &error, error.count))
    }

    /// Like write: a count, or -1 with `lastError` (nil: the socket is full, try again later
    /// with at least the same bytes).
    public func write(_ buffer: UnsafeRawPointer, count: Int) -> Int {
        result(parley_tls_write(pointer, buffer, count, &error, error.count))
    }

    public private(set) var lastError: String?

    private func result(_ value: Int) -> Int {
        if value >= 0 { return value }
        lastError = value == Int(PARLEY_TLS_ERROR) ? cString(error) : nil
        return -1
    }

    /// Input OpenSSL already holds: socket readiness will not announce it.
    public var hasPendingInput: Bool { parley_tls_pending(pointer) > 0 }

    public func closeNotify() { parley_tls_close_notify(pointer) }
}

/// The text of a NUL-terminated buffer the C side filled.
private func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
