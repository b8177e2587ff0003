import Foundation
import XCTest

/// Timestamp's named zones: right in summer and in winter, and worked out without touching
/// the server's environment (setenv is not thread-safe, and TZ is the whole process's).
final class TimestampZoneTests: XCTestCase {
    /// The plugin's own source, compiled with a driver that prints its prefix for given instants.
    private func zoneDriver() throws -> String {
        let output = TestFiles.temporaryDirectory() + "/timestamp-zones"
        try SwiftFixture.compile([PluginFolder.repositoryRoot.appendingPathComponent("Plugins/Timestamp/Timestamp.swift").path,
                                  PluginFolder.fixturesFolder + "/timestamp_zones.swift"],
                                 into: output, arguments: ["-module-name", "TimestampZones"])
        return output
    }

    func testNamedZonesFollowDaylightSavingInSummerAndWinter() throws {
        let driver = try zoneDriver()
        // UTC instants: mid-January, mid-July, a second before and at each zone's switch,
        // and 2040, past the last transition a zone file lists in 32 bits.
        let cases: [(zone: String, instants: [(Int, String)])] = [
            ("Europe/Berlin", [
                (1_736_942_400, "2025-01-15 13:00:00"),  // CET, +01:00
                (1_752_580_800, "2025-07-15 14:00:00"),  // CEST, +02:00
                (1_743_296_399, "2025-03-30 01:59:59"),  // the last second of winter time
                (1_743_296_400, "2025-03-30 03:00:00"),  // clocks forward
                (2_224_756_800, "2040-07-01 14:00:00"),
                (2_210_241_600, "2040-01-15 13:00:00"),
            ]),
            ("America/New_York", [
                (1_736_942_400, "2025-01-15 07:00:00"),  // EST, -05:00
                (1_752_580_800, "2025-07-15 08:00:00"),  // EDT, -04:00
                (1_762_063_199, "2025-11-02 01:59:59"),  // the last second of summer time
                (1_762_063_200, "2025-11-02 01:00:00"),  // clocks back
                (2_224_756_800, "2040-07-01 08:00:00"),
            ]),
            ("Australia/Sydney", [
                (1_736_942_400, "2025-01-15 23:00:00"),  // AEDT in the southern summer, +11:00
                (1_752_580_800, "2025-07-15 22:00:00"),  // AEST, +10:00
                (1_759_593_599, "2025-10-05 01:59:59"),
                (1_759_593_600, "2025-10-05 03:00:00"),
            ]),
            ("Asia/Kolkata", [
                (1_736_942_400, "2025-01-15 17:30:00"),
                (1_752_580_800, "2025-07-15 17:30:00"),
            ]),
        ]
        for (zone, instants) in cases {
            let (status, output) = try runProcess(driver, [zone, "%Y-%m-%d %H:%M:%S"] + instants.map { String($0.0) })
            XCTAssertEqual(status, 0, output)
            XCTAssertEqual(output.split(separator: "\n").map(String.init), instants.map(\.1), zone)
        }
        // The other forms keep their meaning; names outside the tz database are refused.
        let (fixed, fixedOutput) = try runProcess(driver, ["-05:30", "%H:%M", "1736942400"])
        XCTAssertEqual(fixed, 0)
        XCTAssertEqual(fixedOutput, "06:30\n")
        let (utc, utcOutput) = try runProcess(driver, ["UTC", "%H:%M", "1752580800"])
        XCTAssertEqual(utc, 0)
        XCTAssertEqual(utcOutput, "12:00\n")
        for bad in ["Mars/Olympus", "GMT+2", "zone.tab", "../etc/passwd"] {
            let (status, output) = try runProcess(driver, [bad, "%H", "0"])
            XCTAssertNotEqual(status, 0, bad)
            XCTAssertTrue(output.contains("timezone: '\(bad)' is not UTC, local, an offset"), output)
        }
    }

    /// Through the real server: the prefix in a DST zone is the wall clock there now, as the
    /// C library tells it to `date` (run with TZ in its own environment only).
    func testTheServerStampsTheWallClockOfADaylightSavingZone() throws {
        let folder = PluginFolder()
        try folder.addStandard("Timestamp")
        for zone in ["Europe/Berlin", "America/New_York"] {
            let server = try TestServer(config: """
                plugins = ["Timestamp"]
                [plugin.Timestamp]
                format = "%H:%M"
                timezone = "\(zone)"
                """, arguments: folder.arguments)
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            let before = try wallClock(zone)
            try alice.send("hi\n")
            let line = try XCTUnwrap(try bob.nextMessage())
            let after = try wallClock(zone)
            XCTAssertTrue([before, after].contains { line == "\($0) <alice> hi" }, "\(zone): \(line) is not \(before) or \(after)")
        }
    }

    private func wallClock(_ zone: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["date", "+%H:%M"]
        process.environment = ["TZ": zone, "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The plugin image imports none of the calls that change the environment or TZ, and
    /// while the server runs it with a named zone (and "local" beside it), no library calls
    /// them on its behalf: a preloaded shim reports every call, from whichever object.
    func testTimestampNeverChangesTheEnvironmentOrTZ() throws {
        let plugin = TestServer.buildFolder.appendingPathComponent("libTimestamp.so").path
        let (status, symbols) = try runProcess("/usr/bin/env", ["nm", "-D", "--undefined-only", plugin])
        XCTAssertEqual(status, 0, symbols)
        let imported = Set(symbols.split(separator: "\n").compactMap { $0.split(separator: " ").last?.split(separator: "@").first }.map(String.init))
        XCTAssertTrue(imported.contains("gmtime_r"), "nm output not understood:\n\(symbols)")
        XCTAssertEqual(imported.intersection(["setenv", "unsetenv", "putenv", "clearenv", "tzset"]), [])

        let folder = PluginFolder()
        try folder.addStandard("Timestamp")
        try folder.addStandard("Timestamp", as: "LocalTimestamp")
        try folder.compile("env_watch.c", as: "EnvWatch")
        let server = try TestServer(config: """
            plugins = ["Timestamp", "LocalTimestamp"]
            [plugin.Timestamp]
            format = "%H:%M"
            timezone = "Europe/Berlin"
            [plugin.LocalTimestamp]
            timezone = "local"
            """, arguments: folder.arguments,
            environment: ["LD_PRELOAD": "\(folder.path)/libEnvWatch.so", "TZ": "America/New_York"])
        let alice = try server.register("alice")
        let bob = try server.register("bob")
        for text in ["one", "two"] {
            let before = try wallClock("Europe/Berlin")
            try alice.send(text + "\n")
            let line = try XCTUnwrap(try bob.nextMessage())
            let after = try wallClock("Europe/Berlin")
            XCTAssertTrue([before, after].contains { line == "\($0) <alice> \(text)" }, line)
        }
        try server.waitForLog("plugin loaded", "plugin=LocalTimestamp")
        let calls = server.logLines.filter { $0.hasPrefix("envwatch:") }
        XCTAssertEqual(calls, [], "calls that change the environment or TZ")
    }
}
