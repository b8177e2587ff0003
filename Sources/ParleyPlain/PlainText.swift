import Glibc
import ParleyChat

/// Text rules of the plain protocol: what a line may contain on the way in and out.
enum PlainText {
    /// Decodes a received line: invalid UTF-8 becomes U+FFFD, and control characters
    /// (except TAB) are dropped, so nobody can send terminal escape sequences to others.
    /// Returns the text and whether anything had to be repaired.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> (text: String, repaired: Bool) {
        let decoded = String(decoding: bytes, as: UTF8.self)
        let cleaned = sanitize(decoded)
        let repaired = cleaned.utf8.count != bytes.count || !cleaned.utf8.elementsEqual(bytes)
        return (cleaned, repaired)
    }

    /// Drops C0 controls but TAB, and DEL; text from IRC users passes here before display.
    static func sanitize(_ text: String) -> String {
        guard text.utf8.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { !($0.value < 0x80 && isControl(UInt8($0.value))) }))
    }

    private static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    /// A line of a long reply's chunk, as `say` would send it.
    static func appendLine(_ line: String, to out: inout [UInt8]) {
        out.append(contentsOf: line.utf8)
        out.append(contentsOf: [0x0D, 0x0A])
    }

    static func formatTime(_ seconds: Double) -> String {
        formatUTC(seconds, "%Y-%m-%d %H:%M:%S UTC")
    }
}
