import Foundation
import XCTest

/// parley-bench against a real parley: every scenario runs, and its JSON line reports what
/// happened. No figure is asserted beyond correctness: speed belongs to the benchmark itself.
final class BenchToolTests: XCTestCase {
    private var bench: String { TestServer.buildFolder.appendingPathComponent("parley-bench").path }

    private func runBench(_ arguments: [String]) throws -> [String: Any] {
        let (status, output) = try runProcess(bench, arguments)
        XCTAssertEqual(status, 0, "parley-bench \(arguments.joined(separator: " ")) failed:\n\(output)")
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("no JSON line in:\n\(output)")
        }
        return json
    }

    func testFanoutOverBothProtocolsCountsEveryDelivery() throws {
        let server = try TestServer()
        for (proto, port) in [("irc", server.ircPort), ("plain", server.port)] {
            let result = try runBench(["fanout", "--proto", proto, "--port", String(port), "--clients", "6", "--senders", "2",
                                       "--messages", "200", "--server-pid", String(server.pid), "--label", proto])
            XCTAssertEqual(result["sent"] as? Int, 200)
            XCTAssertEqual(result["expected"] as? Int, 200 * 5, proto)
            XCTAssertEqual(result["deliveries"] as? Int, 200 * 5, proto)
            XCTAssertEqual(result["lost"] as? Int, 0, proto)
            XCTAssertEqual(result["duplicated"] as? Int, 0, proto)
            XCTAssertEqual(result["reordered"] as? Int, 0, proto)
            XCTAssertNotNil(result["server_cpu_ns_per_delivery"] as? Double, "server CPU read from /proc")
        }
    }

    func testTLSFanoutAndStormOverBothProtocols() throws {
        let folder = try TestCertificates.selfSigned()
        let server = try TestServer(config: "[limits]\nmax_clients_per_ip = 200\n"
            + TestCertificates.listener("irc", folder: folder) + TestCertificates.listener("plain", folder: folder))
        for proto in ["irc", "plain"] {
            let port = String(try server.tlsPort(proto))
            let fanout = try runBench(["fanout", "--tls", "--proto", proto, "--port", port, "--clients", "6", "--senders", "2",
                                       "--messages", "200", "--server-pid", String(server.pid)])
            XCTAssertEqual(fanout["tls"] as? Bool, true)
            XCTAssertEqual(fanout["deliveries"] as? Int, 200 * 5, proto)
            XCTAssertEqual(fanout["lost"] as? Int, 0, proto)
            XCTAssertEqual(fanout["reordered"] as? Int, 0, proto)
            let storm = try runBench(["storm", "--tls", "--proto", proto, "--port", port, "--clients", "40", "--server-pid", String(server.pid)])
            XCTAssertEqual(storm["tls"] as? Bool, true)
            XCTAssertEqual(storm["registered"] as? Int, 40, proto)
            XCTAssertEqual(storm["failed"] as? Int, 0, proto)
        }
        try server.waitForLog("client connected", "tls=true")
    }

    func testFixedRateSendsEveryMessage() throws {
        let server = try TestServer()
        let result = try runBench(["fanout", "--proto", "irc", "--port", String(server.ircPort), "--clients", "4", "--senders", "2",
                                   "--messages", "40", "--rate", "400"])
        XCTAssertEqual(result["mode"] as? String, "rate")
        XCTAssertEqual(result["deliveries"] as? Int, 40 * 3)
        XCTAssertEqual(result["lost"] as? Int, 0)
    }

    func testFanoutAmongIdleClientsHoldsThemAndLosesNothing() throws {
        let server = try TestServer(config: "[limits]\nmax_clients_per_ip = 200\n")
        for (proto, port) in [("irc", server.ircPort), ("plain", server.port)] {
            for rate in [nil, "400"] as [String?] {
                let result = try runBench(["fanout", "--proto", proto, "--port", String(port), "--clients", "6", "--senders", "2",
                                           "--messages", "60", "--idle", "50", "--server-pid", String(server.pid)]
                                          + (rate.map { ["--rate", $0] } ?? []))
                let what = "\(proto), \(rate ?? "max")"
                XCTAssertEqual(result["idle"] as? Int, 50, what)
                XCTAssertEqual(result["clients"] as? Int, 6, what)
                XCTAssertEqual(result["mode"] as? String, rate == nil ? "max" : "rate", what)
                XCTAssertEqual(result["deliveries"] as? Int, 60 * 5, "idle clients are not in the busy room: \(what)")
                XCTAssertEqual(result["lost"] as? Int, 0, what)
                XCTAssertEqual(result["duplicated"] as? Int, 0, what)
                XCTAssertNotNil(result["server_cpu_ns_per_delivery"] as? Double, what)
            }
        }
        // Without --idle the line has the same shape, with idle 0.
        let plain = try runBench(["fanout", "--proto", "irc", "--port", String(server.ircPort), "--clients", "3", "--messages", "10"])
        XCTAssertEqual(plain["idle"] as? Int, 0)
    }

    func testStormRegistersEveryoneAndIdleHoldsThem() throws {
        let server = try TestServer(config: "[limits]\nmax_clients_per_ip = 200\n")
        let storm = try runBench(["storm", "--proto", "irc", "--port", String(server.ircPort), "--clients", "50",
                                  "--server-pid", String(server.pid)])
        XCTAssertEqual(storm["registered"] as? Int, 50)
        XCTAssertNotNil(storm["server_cpu_us_per_registration"] as? Double)
        let idle = try runBench(["idle", "--proto", "irc", "--port", String(server.ircPort), "--clients", "30", "--hold", "0.2",
                                 "--server-pid", String(server.pid)])
        XCTAssertEqual(idle["clients"] as? Int, 30)
        XCTAssertGreaterThan(idle["rss_after_kib"] as? Int ?? 0, 0)
    }

    func testStormReportsRefusedClientsWithoutWaitingForThem() throws {
        let server = try TestServer(config: "[limits]\nmax_clients_per_ip = 10\n")
        let (status, output) = try runProcess(bench, ["storm", "--proto", "irc", "--port", String(server.ircPort), "--clients", "25",
                                                      "--seconds", "60"])
        XCTAssertEqual(status, 2, "not everyone registered: exit 2\n\(output)")
        let json = try XCTUnwrap(output.split(separator: "\n").first.flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        })
        XCTAssertEqual(json["registered"] as? Int, 10)
        XCTAssertEqual(json["failed"] as? Int, 15)
        XCTAssertLessThan(json["seconds"] as? Double ?? 60, 30, "refused clients were waited for until the deadline")
    }

    func testFloodKeepsTheFlooderToItsFakelagAndTheOthersLoseNothing() throws {
        // In 1.5 s at most the burst plus 1.5 s of the rate reach the room: 5 + 20 * 1.5.
        let server = try TestServer(config: "[flood]\nburst = 5\nlines_per_second = 20\nrecvq_bytes = 1048576\n")
        for (proto, port) in [("irc", server.ircPort), ("plain", server.port)] {
            let result = try runBench(["flood", "--proto", proto, "--port", String(port), "--clients", "6", "--senders", "2",
                                       "--flood-rate", "500", "--seconds", "1.5", "--server-pid", String(server.pid)])
            XCTAssertGreaterThan(result["flooder_sent"] as? Int ?? 0, 100, proto)
            let delivered = result["flooder_delivered"] as? Int ?? -1
            XCTAssertGreaterThan(delivered, 5, "\(proto): the steady rate follows the burst")
            XCTAssertLessThanOrEqual(delivered, 35, "\(proto): no more than the fakelag allows")
            XCTAssertLessThanOrEqual(result["flooder_lines_per_second"] as? Double ?? 99, 35 / 1.5, proto)
            XCTAssertEqual(result["flooder_reordered"] as? Int, 0, proto)
            XCTAssertTrue(result["flooder_dropped_after_seconds"] is NSNull, "\(proto): 1 MiB of recvq holds 1.5 s of this flood")
            XCTAssertEqual(result["lost"] as? Int, 0, proto)
            XCTAssertEqual(result["deliveries"] as? Int, (result["sent"] as? Int ?? 0) * 4, "\(proto): each of 4 others gets each message")
            XCTAssertNotNil(result["latency_us"] as? [String: Any], proto)
        }
        // As fast as its socket takes lines, into a 16 KiB recvq: Excess Flood, and still only the fakelag's share.
        let strict = try TestServer(config: "[flood]\nburst = 5\nlines_per_second = 20\nrecvq_bytes = 16384\n")
        let result = try runBench(["flood", "--proto", "irc", "--port", String(strict.ircPort), "--clients", "4", "--senders", "1",
                                   "--seconds", "1"])
        XCTAssertEqual(result["excess_flood"] as? Bool, true)
        XCTAssertNotNil(result["flooder_dropped_after_seconds"] as? Double)
        XCTAssertLessThanOrEqual(result["flooder_delivered"] as? Int ?? 99, 25)
        XCTAssertEqual(result["lost"] as? Int, 0)
        try strict.waitForLog("excess flood")
    }

    func testBadArgumentsAreRefusedWithAReason() throws {
        let (status, output) = try runProcess(bench, ["fanout", "--proto", "smtp"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("smtp") && output.contains("'plain'") && output.contains("'irc'"), output)
        let (idleStatus, idleOutput) = try runProcess(bench, ["fanout", "--idle=-1"])
        XCTAssertNotEqual(idleStatus, 0)
        XCTAssertTrue(idleOutput.contains("--idle cannot be negative"), idleOutput)
        let (floodStatus, floodOutput) = try runProcess(bench, ["flood", "--clients", "2"])
        XCTAssertNotEqual(floodStatus, 0)
        XCTAssertTrue(floodOutput.contains("--clients must be at least 3"), floodOutput)
    }
}
