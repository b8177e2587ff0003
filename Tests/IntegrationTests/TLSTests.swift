import Foundation
import XCTest

/// TLS listeners, driven by a real TLS client (Python's ssl module) against the real server.
final class TLSTests: XCTestCase {
    func testTLSClientsChatWithPlaintextUsersOnBothProtocols() throws {
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: TestCertificates.listener("irc", folder: folder) + TestCertificates.listener("plain", folder: folder))

        let secureIRC = try TLSClient(port: try server.tlsPort("irc"))
        XCTAssertTrue(["TLSv1.2", "TLSv1.3"].contains(secureIRC.version), secureIRC.version)
        let ana = IRCTestClient(socket: secureIRC.socket, nick: "ana")
        try ana.register()
        try ana.join("#tls")
        let bob = try IRCTestClient.registered(server, "bob")
        try bob.join("#tls")
        try ana.send("PRIVMSG #tls :over TLS")
        try bob.expect(":ana!~ana@\(loopbackCloak) PRIVMSG #tls :over TLS")
        try bob.send("PRIVMSG #tls :in the clear")
        try ana.expect("PRIVMSG #tls :in the clear")
        try bob.send("WHOIS ana")
        try bob.expect(" 671 bob ana :is using a secure connection")
        try bob.send("WHOIS bob")
        let bobWhois = try bob.socket.expect(" 318 ")
        XCTAssertFalse(bob.socket.received.contains { $0.contains(" 671 ") && $0.contains(" bob bob ") }, bobWhois)

        let securePlain = try TLSClient(port: try server.tlsPort("plain"))
        try securePlain.socket.send("cleo\n")
        try securePlain.socket.expect("You are now known as cleo.")
        let dave = try server.register("dave")
        try securePlain.socket.send("hello from TLS\n")
        try dave.expect("<cleo> hello from TLS")
        try dave.send("hello in the clear\n")
        try securePlain.socket.expect("<dave> hello in the clear")
        try dave.send("/whois cleo\n")
        try dave.expect("-!- cleo is using a secure connection (TLS)")
        try server.waitForLog("client connected", "protocol=plain", "tls=true")
    }

    func testTLS12IsServedAndOlderVersionsAreRefused() throws {
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: TestCertificates.listener("irc", folder: folder))
        let port = try server.tlsPort("irc")
        let older = try TLSClient(port: port, maxVersion: "1.2")
        XCTAssertEqual(older.version, "TLSv1.2")
        let ana = IRCTestClient(socket: older.socket, nick: "ana")
        try ana.register()
        // OpenSSL's own client, allowed TLS 1.1 at its lowest security level: the server says no.
        let (_, output) = try runProcess("/usr/bin/env", ["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_1",
                                                          "-cipher", "DEFAULT@SECLEVEL=0"], input: "")
        XCTAssertTrue(output.contains("alert protocol version"), output)
        try server.waitForLog("client disconnected", "reason=\"TLS handshake failed: unsupported protocol\"")
    }

    func testPlaintextOnTheTLSPortIsDroppedWithoutDisturbingOthers() throws {
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: TestCertificates.listener("irc", folder: folder))
        let secure = try TLSClient(port: try server.tlsPort("irc"))
        let ana = IRCTestClient(socket: secure.socket, nick: "ana")
        try ana.register()

        let confused = try TestClient(port: try server.tlsPort("irc"))
        try confused.send("NICK mallory\r\nUSER m 0 * :M\r\n")
        let lines = try confused.readUntilClosed()
        XCTAssertFalse(lines.contains { $0.contains(" 001 ") }, "\(lines)")
        try server.waitForLog("client disconnected", "reason=\"TLS handshake failed: wrong version number\"")

        try ana.send("PING :still-here")
        try ana.expect("PONG parley.local still-here")
    }

    func testAClientThatStallsMidHandshakeIsDroppedAfterTheTimeout() throws {
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: "[limits]\ntls_handshake_timeout_seconds = 1\n" + TestCertificates.listener("irc", folder: folder))
        let staller = try TestClient(port: try server.tlsPort("irc"))
        // The first five bytes of a ClientHello's record, then nothing.
        try staller.send(bytes: [0x16, 0x03, 0x01, 0x02, 0x00])

        // Meanwhile the server serves everyone else.
        let secure = try TLSClient(port: try server.tlsPort("irc"))
        let ana = IRCTestClient(socket: secure.socket, nick: "ana")
        try ana.register()
        let bob = try IRCTestClient.registered(server, "bob")
        try bob.send("PRIVMSG ana :hi")
        try ana.expect(":bob!~bob@\(loopbackCloak) PRIVMSG ana :hi")

        XCTAssertEqual(try staller.readUntilClosed(), [])
        try server.waitForLog("client disconnected", "reason=\"TLS handshake timed out\"")
        try bob.send("PING :after")
        try bob.expect("PONG parley.local after")
    }

    func testSIGHUPReloadsTheCertificateForNewConnectionsAndKeepsItWhenTheNewFileIsBad() throws {
        let live = try TestCertificates.selfSigned(name: "first.example")
        let next = try TestCertificates.selfSigned(name: "second.example")
        let firstFingerprint = try fingerprint(of: live + "/parley.crt")
        let secondFingerprint = try fingerprint(of: next + "/parley.crt")
        let server = try TestServer(config: TestCertificates.listener("irc", folder: live))
        let port = try server.tlsPort("irc")

        let early = try TLSClient(port: port)
        XCTAssertEqual(early.serverFingerprint, firstFingerprint)
        let ana = IRCTestClient(socket: early.socket, nick: "ana")
        try ana.register()
        try ana.join("#r")

        try replace(live, with: next)
        server.signal(SIGHUP)
        try server.waitForLog("tls certificate reloaded", "second.example")
        let late = try TLSClient(port: port)
        XCTAssertEqual(late.serverFingerprint, secondFingerprint)
        let bob = IRCTestClient(socket: late.socket, nick: "bob")
        try bob.register()
        try bob.join("#r")
        // The connection made before the reload goes on with its session.
        try ana.send("PRIVMSG #r :still on the first certificate")
        try bob.expect("PRIVMSG #r :still on the first certificate")

        try "not a certificate\n".write(toFile: live + "/parley.crt", atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        let refusal = try server.waitForLog("tls certificate reload refused", "\(live)/parley.crt")
        XCTAssertTrue(refusal.contains("the previous certificate stays"), refusal)
        XCTAssertEqual(try TLSClient(port: port).serverFingerprint, secondFingerprint)

        // A key that belongs to another certificate is refused the same way.
        let other = try TestCertificates.selfSigned()
        try FileManager.default.removeItem(atPath: live + "/parley.crt")
        try FileManager.default.copyItem(atPath: next + "/parley.crt", toPath: live + "/parley.crt")
        try FileManager.default.removeItem(atPath: live + "/parley.key")
        try FileManager.default.copyItem(atPath: other + "/parley.key", toPath: live + "/parley.key")
        server.signal(SIGHUP)
        let mismatch = try server.waitForLog("tls certificate reload refused", "does not match")
        XCTAssertTrue(mismatch.contains("\(live)/parley.key"), mismatch)
        XCTAssertEqual(try TLSClient(port: port).serverFingerprint, secondFingerprint)
    }

    func testStartupRefusesAMissingExpiredMismatchedOrBrokenCertificateNamingTheFile() throws {
        let good = try TestCertificates.selfSigned()
        let other = try TestCertificates.selfSigned()
        let scratch = TestFiles.temporaryDirectory()
        try TestCertificates.make("expired", in: scratch)
        try "garbage\n".write(toFile: scratch + "/broken.crt", atomically: true, encoding: .utf8)
        let cases: [(certificate: String, key: String, expected: String)] = [
            (scratch + "/missing.crt", good + "/parley.key", "certificate \(scratch)/missing.crt: cannot read it: No such file or directory"),
            (scratch + "/expired.crt", scratch + "/expired.key", "certificate \(scratch)/expired.crt has expired"),
            (good + "/parley.crt", other + "/parley.key", "key \(other)/parley.key does not match certificate \(good)/parley.crt"),
            (scratch + "/broken.crt", good + "/parley.key", "certificate \(scratch)/broken.crt: cannot load a PEM certificate from it"),
        ]
        for (certificate, key, expected) in cases {
            let config = TestFiles.temporaryFile(named: "tls.toml", contents: """
                plugins = []
                [[listen]]
                protocol = "irc"
                host = "127.0.0.1"
                port = 0
                tls = true
                tls_certificate = "\(certificate)"
                tls_key = "\(key)"
                """)
            let (status, output) = try runParley(["--config", config, "--plain", "127.0.0.1:0"])
            XCTAssertEqual(status, 1, output)
            XCTAssertTrue(output.contains("startup failed") && output.contains(expected), "expected \(expected) in:\n\(output)")
            XCTAssertFalse(output.contains("listening"), output)
            let (checkStatus, checkOutput) = try runParley(["--check-config", "--config", config])
            XCTAssertEqual(checkStatus, 1, checkOutput)
            XCTAssertTrue(checkOutput.contains(expected), "expected \(expected) in:\n\(checkOutput)")
        }
    }

    func testTLSKeysAreValidated() throws {
        let config = TestFiles.temporaryFile(named: "tls.toml", contents: """
            [[listen]]
            protocol = "irc"
            port = 6697
            tls = true
            tls_certificate = "cert.pem"

            [[listen]]
            protocol = "plain"
            port = 4000
            tls_key = "key.pem"

            [sts]
            duration_seconds = 60
            """)
        let (status, output) = try runParley(["--check-config", "--config", config])
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("listen[0].tls_key: missing"), output)
        XCTAssertTrue(output.contains("listen[1].tls_key: is set but tls is not"), output)
        XCTAssertTrue(output.contains("sts.port: sts needs an IRC [[listen]] with tls = true"), output)
    }

    func testClientCertificateFingerprintInWhoisAndAsAnOperatorCredential() throws {
        let folder = try TestCertificates.selfSigned()
        let clientFolder = TestFiles.temporaryDirectory()
        let fingerprint = try TestCertificates.make("client", in: clientFolder)
        let colons = stride(from: 0, to: 64, by: 2).map { i -> String in
            let start = fingerprint.index(fingerprint.startIndex, offsetBy: i)
            return String(fingerprint[start..<fingerprint.index(start, offsetBy: 2)]).uppercased()
        }.joined(separator: ":")
        let server = try TestServer(config: TestCertificates.listener("irc", folder: folder) + """
            [[operator]]
            name = "certop"
            certfp = "\(colons)"
            """)
        let port = try server.tlsPort("irc")

        let withCertificate = try TLSClient(port: port, certificate: clientFolder + "/client.crt", key: clientFolder + "/client.key")
        let ana = IRCTestClient(socket: withCertificate.socket, nick: "ana")
        try ana.register()
        try ana.send("WHOIS ana")
        try ana.expect(" 276 ana ana :has client certificate fingerprint \(fingerprint)")
        try ana.expect(" 318 ")

        let bob = try IRCTestClient.registered(server, "bob")
        try bob.send("WHOIS ana")
        try bob.expect(" 318 ")
        XCTAssertFalse(bob.socket.received.contains { $0.contains(" 276 ") }, "\(bob.socket.received)")
        // Without the certificate, the operator entry does not match, whatever the password.
        try bob.send("OPER certop anything")
        try bob.expectNumeric("464")

        try ana.send("OPER certop anything")
        try ana.expectNumeric("381")
        try server.waitForLog("operator login", "operator=certop")

        // The fingerprint identifies a person across nicks: others see it only as operators.
        let second = try TLSClient(port: port, certificate: clientFolder + "/client.crt", key: clientFolder + "/client.key")
        let dora = IRCTestClient(socket: second.socket, nick: "dora")
        try dora.register()
        try bob.send("WHOIS dora")
        try bob.expect(" 671 bob dora ")
        try bob.expect(" 318 ")
        XCTAssertFalse(bob.socket.received.contains { $0.contains(" 276 ") }, "\(bob.socket.received)")
        try ana.send("WHOIS dora")
        try ana.expect(" 276 ana dora :has client certificate fingerprint \(fingerprint)")
    }

    func testPluginsReadTheClientCertificateFingerprint() throws {
        let folder = try TestCertificates.selfSigned()
        let clientFolder = TestFiles.temporaryDirectory()
        let fingerprint = try TestCertificates.make("client", in: clientFolder)
        let plugins = PluginFolder()
        try plugins.compile("certfp_probe.c", as: "CertfpProbe")
        let server = try TestServer(config: "plugins = [\"CertfpProbe\"]\n" + TestCertificates.listener("irc", folder: folder),
                                    arguments: plugins.arguments)
        let secure = try TLSClient(port: try server.tlsPort("irc"), certificate: clientFolder + "/client.crt", key: clientFolder + "/client.key")
        let ana = IRCTestClient(socket: secure.socket, nick: "ana")
        try ana.register()
        try ana.send("CERTFP")
        try ana.expect("certfp \(fingerprint)")
        let bob = try IRCTestClient.registered(server, "bob")
        try bob.send("CERTFP")
        try bob.expect("certfp none (0)")
    }

    func testSTSPolicyIsOfferedOnBothKindsOfConnection() throws {
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: TestCertificates.listener("irc", folder: folder) + "[sts]\nduration_seconds = 2592000\npreload = true\n")
        let tlsPort = try server.tlsPort("irc")
        let plain = try IRCTestClient(port: server.ircPort, nick: "ana")
        try plain.send("CAP LS 302")
        let plainOffer = try plain.expect(" CAP * LS ")
        XCTAssertTrue(plainOffer.contains(" sts=port=\(tlsPort)"), plainOffer)
        XCTAssertFalse(plainOffer.contains("duration"), plainOffer)
        // sts is seen, never requested.
        try plain.send("CAP REQ :sts")
        try plain.expect(" CAP * NAK :sts")
        // Without 302 there are no cap values, so no policy.
        let old = try IRCTestClient(port: server.ircPort, nick: "old")
        try old.send("CAP LS")
        XCTAssertFalse(try old.expect(" CAP * LS ").contains("sts"))

        let secure = try TLSClient(port: tlsPort)
        let bob = IRCTestClient(socket: secure.socket, nick: "bob")
        try bob.send("CAP LS 302")
        let secureOffer = try bob.expect(" CAP * LS ")
        XCTAssertTrue(secureOffer.contains(" sts=duration=2592000,preload"), secureOffer)
        XCTAssertFalse(secureOffer.contains("port="), secureOffer)
    }

    private func fingerprint(of certificate: String) throws -> String {
        let (status, output) = try runProcess("/usr/bin/env", ["openssl", "x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        guard status == 0, let value = output.split(separator: "=").last else { throw TestFailure("openssl x509: \(output)") }
        return value.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ":", with: "").lowercased()
    }

    /// Puts `source`'s certificate and key at `target`'s paths, as a certificate renewal would.
    private func replace(_ target: String, with source: String) throws {
        for name in ["parley.crt", "parley.key"] {
            try FileManager.default.removeItem(atPath: target + "/" + name)
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: target + "/" + name)
        }
    }
}
