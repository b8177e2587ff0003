import CParleyCrypt

/// SHA-256 and HMAC-SHA256, from OpenSSL's libcrypto (linked for TLS already): host cloaks
/// hash a few bytes once per registration.
public enum SHA256 {
    public static let digestBytes = 32

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestBytes)
        parley_sha256(bytes, bytes.count, &digest)
        return digest
    }

    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestBytes)
        parley_hmac_sha256(key, key.count, message, message.count, &digest)
        return digest
    }
}
