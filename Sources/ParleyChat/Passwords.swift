import CParleyCrypt

/// Operator passwords are stored as crypt(3) hashes (yescrypt); the plain text never is.
public func hashPassword(_ password: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 512)
    guard parley_crypt_hash(password, &buffer, buffer.count) == 0 else { return nil }
    return String(cChars: buffer)
}

public func verifyPassword(_ password: String, hash: String) -> Bool {
    parley_crypt_verify(password, hash) == 1
}
