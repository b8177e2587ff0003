import Foundation
import XCTest

/// Connection throttling per address through real sockets. All of 127.0.0.0/8 is loopback, so
/// clients bound to 127.0.0.2, .3 and so on are different addresses to the server. Loopback is
/// exempt by default, so each test sets `exempt` itself.
final class ConnectionThrottleTests: XCTestCase {
    /// The refusal's "try again in N seconds", or nil.
    private func retrySeconds(_ line: String) -> Int? {
        guard let range = line.range(of: "try again in ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    func testNewConnectionsPastTheWindowAreRefusedWithARetryTime() throws {
        let server = try TestServer(config: "[throttle]\nconnections = 3\nwindow_seconds = 60\nexempt = [\"127.0.0.9\"]\n")
        var clients: [TestClient] = []
        for index in 0..<3 {
            let client = try TestClient(port: server.port, sourceAddress: "127.0.0.2")
            try client.expect("Choose a nickname")
            try client.send("user\(index)\n")
            try client.expect("You are now known as")
            clients.append(client)
        }
        let refused = try TestClient(port: server.port, sourceAddress: "127.0.0.2")
        let line = try XCTUnwrap(refused.readUntilClosed().last)
        XCTAssertTrue(line.hasPrefix("error: too many new connections from your address (throttle.connections = 3 per 60 seconds); try again in "), line)
        let retry = try XCTUnwrap(retrySeconds(line), line)
        XCTAssertTrue((50...60).contains(retry), "the window opened moments ago: \(line)")
        try server.waitForLog("connection refused", "peer=127.0.0.2:", "throttle.connections")

        // IRC counts in the same window, with IRC's refusal line.
        let irc = try TestClient(port: server.ircPort, sourceAddress: "127.0.0.2")
        let ircLine = try XCTUnwrap(irc.readUntilClosed().last)
        XCTAssertTrue(ircLine.hasPrefix("ERROR :Closing Link: 127.0.0.2 (too many new connections from your address"), ircLine)
        XCTAssertNotNil(retrySeconds(ircLine), ircLine)

        // Another address has a window of its own; an exempt one has none.
        let other = try TestClient(port: server.port, sourceAddress: "127.0.0.3")
        try other.expect("Choose a nickname")
        for _ in 0..<6 {
            let exempt = try TestClient(port: server.port, sourceAddress: "127.0.0.9")
            try exempt.expect("Choose a nickname")
        }
        // Clients already in are not touched.
        try clients[0].send("/who\n")
        try clients[0].expect("#lobby has")
    }

    func testUnregisteredConnectionsPerAddressHaveALimitOfTheirOwn() throws {
        let server = try TestServer(config: "[throttle]\nconnections = 100\nunregistered_per_ip = 2\nexempt = []\n")
        let first = try TestClient(port: server.port, sourceAddress: "127.0.0.4")
        try first.expect("Choose a nickname")
        // Another address's unregistered connections are its own.
        let elsewhere = try TestClient(port: server.port, sourceAddress: "127.0.0.5")
        try elsewhere.expect("Choose a nickname")
        let second = try TestClient(port: server.port, sourceAddress: "127.0.0.4")
        try second.expect("Choose a nickname")
        let refused = try TestClient(port: server.port, sourceAddress: "127.0.0.4")
        let line = try XCTUnwrap(refused.readUntilClosed().last)
        XCTAssertEqual(line, "error: too many unregistered connections from your address (throttle.unregistered_per_ip = 2); try again once they have registered")

        // Registering frees a place...
        try first.send("reggie\n")
        try first.expect("You are now known as reggie")
        let fourth = try TestClient(port: server.port, sourceAddress: "127.0.0.4")
        try fourth.expect("Choose a nickname")
        // ...and so does leaving.
        fourth.shutdownAndClose()
        try server.waitForLog("client disconnected", "peer=127.0.0.4:")
        let fifth = try TestClient(port: server.port, sourceAddress: "127.0.0.4")
        try fifth.expect("Choose a nickname")
    }
}
