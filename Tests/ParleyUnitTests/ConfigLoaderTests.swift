import Foundation
import XCTest
@testable import ParleyConfig
@testable import ParleyTransport

final class ConfigLoaderTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testExampleConfigDocumentsExactlyTheEmbeddedDefaults() throws {
        let path = Self.repositoryRoot.appendingPathComponent("parley.example.toml").path
        XCTAssertEqual(try ConfigLoader.load(path: path), Config.embeddedDefault)
    }

    func testEmptyFileMeansDefaults() throws {
        XCTAssertEqual(try ConfigLoader.parse("", file: "empty.toml"), Config.embeddedDefault)
    }

    func testValuesAreRead() throws {
        let config = try ConfigLoader.parse("""
            [server]
            name = "chat.example"
            motd = "one\\ntwo\\n"
            default_room = "#main"
            [[listen]]
            protocol = "plain"
            host = "::"
            port = 4001
            [[listen]]
            protocol = "irc"
            port = 0
            [limits]
            sendq_bytes = 4096
            [log]
            level = "debug"
            """, file: "c.toml")
        XCTAssertEqual(config.server.name, "chat.example")
        XCTAssertEqual(config.server.motd, ["one", "two"])
        XCTAssertEqual(config.server.defaultRoom, "#main")
        XCTAssertEqual(config.listeners, [
            Config.Listener(proto: .plain, address: ListenAddress(host: "::", port: 4001)),
            Config.Listener(proto: .irc, address: ListenAddress(host: "0.0.0.0", port: 0)),
        ])
        XCTAssertEqual(config.limits.sendqBytes, 4096)
        XCTAssertEqual(config.logLevel, .debug)
    }

    func testEveryProblemIsReportedWithLineAndKey() {
        let text = """
            [server]
            name = 42
            [limits]
            nick_length = 3
            bogus = true
            [[listen]]
            protocol = "plain"
            port = 5000
            [[listen]]
            protocol = "plain"
            port = 5000
            """
        XCTAssertThrowsError(try ConfigLoader.parse(text, file: "x.toml")) { error in
            let problems = (error as! ConfigError).problems.map(\.description)
            XCTAssertEqual(problems, [
                "x.toml:2: server.name: expected a string, got integer 42",
                "x.toml:4: limits.nick_length: 3 is out of range: expected 9 to 64",
                "x.toml:5: limits.bogus: unknown key (expected one of: max_clients, max_clients_per_ip, max_line_bytes, nick_length, ping_interval_seconds, ping_timeout_seconds, registration_timeout_seconds, room_length, sendq_bytes, tls_handshake_timeout_seconds, topic_length, write_coalesce_microseconds)",
                "x.toml:11: listen[1].port: 0.0.0.0:5000 is already used by an earlier [[listen]]",
            ])
        }
    }

    func testMissingListenerKeysPointAtTheTable() {
        XCTAssertThrowsError(try ConfigLoader.parse("[[listen]]\nhost = \"::\"\n", file: "x.toml")) { error in
            let problems = (error as! ConfigError).problems.map(\.description)
            XCTAssertEqual(problems, ["x.toml:1: listen[0].protocol: missing (plain or irc)", "x.toml:1: listen[0].port: missing"])
        }
    }

    func testNoListenersIsAnError() {
        XCTAssertThrowsError(try ConfigLoader.parse("listen = []\n", file: "x.toml")) { error in
            XCTAssertEqual((error as! ConfigError).problems.map(\.description),
                           ["x.toml:1: listen: at least one [[listen]] is needed"])
        }
    }

    func testMotdAndMotdFileAreExclusiveAndFileIsRead() throws {
        let dir = NSTemporaryDirectory() + "parley-motd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "from a file\nline two\n".write(toFile: dir + "/motd.txt", atomically: true, encoding: .utf8)
        let config = try ConfigLoader.parse("[server]\nmotd_file = \"motd.txt\"\n", file: dir + "/p.toml")
        XCTAssertEqual(config.server.motd, ["from a file", "line two"])
        XCTAssertThrowsError(try ConfigLoader.parse("[server]\nmotd = \"a\"\nmotd_file = \"motd.txt\"\n", file: dir + "/p.toml"))
        XCTAssertThrowsError(try ConfigLoader.parse("[server]\nmotd_file = \"absent.txt\"\n", file: dir + "/p.toml"))
    }
    func testCloakingPasswordLimitsAndDefaultRoomOperatorsAreReadAndChecked() throws {
        let config = try ConfigLoader.parse("""
            [server]
            default_room_operators = ["boss", "*!*@203.0.113.7", "*@198.51.100.*"]
            [cloaking]
            enabled = false
            secret = "sixteen chars ok"
            suffix = "users.example"
            [password_limits]
            failures_per_ip = 4
            delay_milliseconds = 0
            cooldown_seconds = 30
            """, file: "c.toml")
        XCTAssertEqual(config.server.defaultRoomOperators, ["boss!*@*", "*!*@203.0.113.7", "*!*@198.51.100.*"])
        XCTAssertEqual(config.cloaking, Config.Cloaking(enabled: false, secret: "sixteen chars ok", suffix: "users.example"))
        XCTAssertEqual(config.passwordLimits, Config.PasswordLimits(failuresPerIP: 4, delayMilliseconds: 0, cooldownSeconds: 30))

        XCTAssertThrowsError(try ConfigLoader.parse("""
            [server]
            default_room_operators = ["a b"]
            [cloaking]
            secret = "short"
            suffix = "bad..suffix"
            [password_limits]
            cooldown_seconds = 0
            """, file: "x.toml")) { error in
            XCTAssertEqual((error as! ConfigError).problems.map(\.description), [
                "x.toml:2: server.default_room_operators: 'a b' is not a mask: nick, or nick!user@host with * and ?",
                "x.toml:4: cloaking.secret: must be at least 16 characters (make one with `openssl rand -base64 32`)",
                "x.toml:5: cloaking.suffix: must not start or end with a dot or have two dots in a row",
                "x.toml:7: password_limits.cooldown_seconds: 0 is out of range: expected 1 to 86400",
            ])
        }
    }

    func testFloodAndThrottleAreRead() throws {
        let config = try ConfigLoader.parse("""
            [flood]
            enabled = true
            burst = 8
            lines_per_second = 0.5
            query_cost = 3
            recvq_bytes = 65536
            exempt = ["10.0.0.0/8", "2001:db8::/32"]
            [throttle]
            enabled = false
            connections = 4
            window_seconds = 30
            unregistered_per_ip = 2
            exempt = []
            """, file: "f.toml")
        XCTAssertEqual(config.flood.burst, 8)
        XCTAssertEqual(config.flood.linesPerSecond, 0.5)
        XCTAssertEqual(config.flood.queryCost, 3)
        XCTAssertEqual(config.flood.recvqBytes, 65536)
        XCTAssertEqual(config.flood.exempt.map(\.description), ["10.0.0.0/8", "2001:db8::/32"])
        XCTAssertNil(config.flood.policy(forHost: "10.9.9.9"), "exempt")
        XCTAssertEqual(config.flood.policy(forHost: "192.0.2.1"),
                       FloodPolicy(linesPerSecond: 0.5, burst: 8, heavyLineCost: 3, recvqBytes: 65536))
        XCTAssertEqual(config.throttle.enabled, false)
        XCTAssertEqual(config.throttle.connections, 4)
        XCTAssertEqual(config.throttle.windowSeconds, 30)
        XCTAssertEqual(config.throttle.unregisteredPerIP, 2)
        XCTAssertEqual(config.throttle.exempt, [])
        XCTAssertEqual(try ConfigLoader.parse("[flood]\nlines_per_second = 3\n", file: "f.toml").flood.linesPerSecond, 3)
        XCTAssertNil(try ConfigLoader.parse("[flood]\nenabled = false\n", file: "f.toml").flood.policy(forHost: "192.0.2.1"))
    }

    func testBadFloodAndThrottleValuesAreExplained() {
        let text = """
            [limits]
            max_line_bytes = 30000
            [flood]
            lines_per_second = 0
            burst = "many"
            recvq_bytes = 20000
            exempt = ["10.0.0.1/8"]
            [throttle]
            window_seconds = 0
            exempt = ["example.org"]
            """
        XCTAssertThrowsError(try ConfigLoader.parse(text, file: "f.toml")) { error in
            XCTAssertEqual((error as! ConfigError).problems.map(\.description), [
                "f.toml:4: flood.lines_per_second: 0 is out of range: expected 0.1 to 100000",
                "f.toml:5: flood.burst: expected an integer, got string \"many\"",
                "f.toml:6: flood.recvq_bytes: 20000 cannot hold one line of limits.max_line_bytes (30000) and its CR LF: one waiting line would drop the client",
                "f.toml:7: flood.exempt: '10.0.0.1/8' has bits set past its prefix; did you mean 10.0.0.0/8?",
                "f.toml:9: throttle.window_seconds: 0 is out of range: expected 1 to 86400",
                "f.toml:10: throttle.exempt: 'example.org' is not an IP address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)",
            ])
        }
    }
}
