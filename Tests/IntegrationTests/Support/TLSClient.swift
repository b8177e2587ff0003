import Foundation

/// Test certificates: `parley cert --self-signed` for the server's, Python's cryptography
/// for what that command does not make (expired ones, client certificates).
enum TestCertificates {
    /// A folder holding parley.crt and parley.key, made as a user would make them.
    static func selfSigned(name: String = "localhost") throws -> String {
        let folder = TestFiles.temporaryDirectory()
        let (status, output) = try runParley(["cert", "--self-signed", "--name", name, folder])
        guard status == 0 else { throw TestFailure("parley cert failed: \(output)") }
        return folder
    }

    /// Makes `kind` (expired or client) in `folder`; returns the certificate's SHA-256.
    @discardableResult
    static func make(_ kind: String, in folder: String) throws -> String {
        try RequiredTool.pythonCryptography.require()
        let (status, output) = try runProcess("/usr/bin/env", ["python3", PluginFolder.fixturesFolder + "/make_test_certificates.py", kind, folder])
        guard status == 0 else { throw TestFailure("make_test_certificates.py \(kind) failed: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A [[listen]] section serving `proto` over TLS on a free port.
    static func listener(_ proto: String, folder: String) -> String {
        """
        [[listen]]
        protocol = "\(proto)"
        host = "127.0.0.1"
        port = 0
        tls = true
        tls_certificate = "\(folder)/parley.crt"
        tls_key = "\(folder)/parley.key"

        """
    }
}

/// A real TLS client: Python's ssl module, as a one-connection proxy (Fixtures/tls_proxy.py).
/// The test talks plaintext to the proxy through a `TestClient`; the proxy speaks TLS to the
/// server, so every line the test sees crossed a real TLS session.
final class TLSClient {
    let socket: TestClient
    /// What the handshake agreed, e.g. "TLSv1.3".
    let version: String
    /// The SHA-256 of the certificate the server presented.
    let serverFingerprint: String
    private let process = Process()

    /// `maxVersion` "1.2" keeps the client to TLS 1.2.
    init(port: Int, certificate: String? = nil, key: String? = nil, maxVersion: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", PluginFolder.fixturesFolder + "/tls_proxy.py", "--server-port", "\(port)"]
        if let certificate, let key { arguments += ["--cert", certificate, "--key", key] }
        if let maxVersion { arguments += ["--max-version", maxVersion] }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let lines = ProxyLines(output.fileHandleForReading)
        guard let portLine = lines.next(), portLine.hasPrefix("PORT "), let proxyPort = Int(portLine.dropFirst(5)) else {
            throw TestFailure("tls_proxy.py did not start")
        }
        socket = try TestClient(port: proxyPort)
        guard let handshake = lines.next() else { throw TestFailure("tls_proxy.py said nothing after connecting") }
        let words = handshake.split(separator: " ").map(String.init)
        guard words.first == "TLS", words.count == 4 else { throw TestFailure("TLS handshake failed: \(handshake)") }
        version = words[1]
        serverFingerprint = words[3]
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// Reads the proxy's status lines one byte at a time, so nothing past a line is consumed.
private struct ProxyLines {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        var bytes: [UInt8] = []
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte[byte.startIndex] == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte[byte.startIndex])
        }
    }
}
