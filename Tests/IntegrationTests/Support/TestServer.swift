import Foundation
import XCTest

/// A real `parley` process on a kernel-chosen port, with its log captured line by line.
final class TestServer {
    let process = Process()
    let port: Int
    let ircPort: Int
    let configPath: String?
    private let log = LineCollector()

    /// The folder of the running test bundle, where SwiftPM also puts `parley` and plugins.
    static var buildFolder: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static var binary: String { buildFolder.appendingPathComponent("parley").path }

    /// The cloak secret tests run with unless their config has a `[cloaking]` of its own: a
    /// fixed one, so transcripts can name the host everyone sees (`loopbackCloak`).
    static let cloakSecret = "parley-test-cloak-secret"

    /// Starts the server with `config` (TOML text) written to a temporary file. Core tests run
    /// without plugins (`plugins = []` is added unless the config names its own), so what
    /// they assert is the core alone, and with `cloakSecret`; `embeddedDefaults` runs with no
    /// config file at all (cloaks then change at every start).
    /// Many tests send bursts of lines, so flood control (fakelag) is off unless the config has
    /// a `[flood]` table of its own: tests about flooding turn it on there, explicitly.
    /// (Connection throttling exempts loopback by default; tests about it set `exempt`.)
    /// `environment` adds variables for the server alone (TZ, LD_PRELOAD, MALLOC_PERTURB_):
    /// the test process's own environment is never changed.
    /// `launcher` runs the server through another program (`prlimit --nofile=N:N --`, say),
    /// which must exec it, so the pid stays the server's.
    init(config: String? = nil, embeddedDefaults: Bool = false, arguments: [String] = [],
         environment: [String: String] = [:], launcher: [String] = []) throws {
        if embeddedDefaults {
            configPath = nil
        } else {
            var text = config ?? ""
            if !text.contains("plugins =") { text = "plugins = []\n" + text }
            if !text.contains("cloaking") { text += "\n[cloaking]\nsecret = \"\(Self.cloakSecret)\"\n" }
            if !text.contains("[flood]") { text += "\n[flood]\nenabled = false\n" }
            configPath = TestFiles.temporaryFile(named: "parley.toml", contents: text)
        }
        process.executableURL = URL(fileURLWithPath: Self.binary)
        var args = ["--plain", "127.0.0.1:0", "--irc", "127.0.0.1:0"]
        if let configPath { args += ["--config", configPath] }
        // The suite runs once per readiness backend (scripts/test sets this for the second pass).
        if let backend = ProcessInfo.processInfo.environment["PARLEY_TEST_EVENT_BACKEND"] {
            args += ["--event-backend", backend]
        }
        process.arguments = args + arguments
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [Self.binary] + args + arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        log.start(reading: errors.fileHandleForReading)
        guard let listening = log.waitFor({ $0.contains("listening") && $0.contains("protocol=plain") && !$0.contains("tls=") }, seconds: 20),
              let port = Self.parsePort(listening) else {
            process.terminate()
            throw TestFailure("server did not report its port; log:\n\(log.all.joined(separator: "\n"))")
        }
        self.port = port
        guard let ircLine = log.waitFor({ $0.contains("listening") && $0.contains("protocol=irc") && !$0.contains("tls=") }, seconds: 5),
              let ircPort = Self.parsePort(ircLine) else {
            process.terminate()
            throw TestFailure("server did not report its IRC port")
        }
        self.ircPort = ircPort
    }

    private static func parsePort(_ line: String) -> Int? {
        guard let range = line.range(of: "address=") else { return nil }
        let address = line[range.upperBound...].prefix { $0 != " " }
        return address.split(separator: ":").last.flatMap { Int($0) }
    }

    /// The port of the config's TLS listener for `proto` (the first one, when there are several).
    func tlsPort(_ proto: String) throws -> Int {
        let line = try waitForLog("listening", "protocol=\(proto)", "tls=")
        guard let port = Self.parsePort(line) else { throw TestFailure("no port in: \(line)") }
        return port
    }

    var pid: Int32 { process.processIdentifier }

    func connect() throws -> TestClient { try TestClient(port: port) }

    /// Connects and picks a nickname, waiting until the server confirms it.
    func register(_ nick: String) throws -> TestClient {
        let client = try connect()
        try client.send("\(nick)\n")
        try client.expect("You are now known as \(nick).")
        try client.expect("#lobby has")
        return client
    }

    /// Waits for a log line containing every fragment (the `count`-th such line).
    @discardableResult
    func waitForLog(_ fragments: String..., count: Int = 1, seconds: Double = 10) throws -> String {
        var seen = 0
        guard let line = log.waitFor({ line in
            guard fragments.allSatisfy({ line.contains($0) }) else { return false }
            seen += 1
            return seen >= count
        }, seconds: seconds) else {
            throw TestFailure("no log line with \(fragments); log:\n\(log.all.joined(separator: "\n"))")
        }
        return line
    }

    var logLines: [String] { log.all }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit and returns its status.
    func waitForExit(seconds: Double = 10) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { throw TestFailure("server did not exit within \(seconds) s") }
            usleep(10_000)
        }
        return process.terminationStatus
    }

    /// Open file descriptors of the server, from /proc.
    func openFileDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// Resident memory of the server (VmRSS), in KiB, from /proc.
    func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let value = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) }) else {
            throw TestFailure("no VmRSS in /proc/\(pid)/status")
        }
        return value
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// The host others see for a client on 127.0.0.1 under `TestServer.cloakSecret` (pinned by
/// HostCloakTests too): the cloak's /32, /24 and /16 parts, then the default suffix.
let loopbackCloak = "q52jj6r6.jxkson6k.4f4vzxqf.ip"

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TestFiles {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "parley-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func temporaryFile(named name: String, contents: String) -> String {
        let path = temporaryDirectory() + "/" + name
        try! contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Reads a pipe on a background thread and lets tests wait for a matching line.
final class LineCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [String] = []
    private var finished = false

    func start(reading handle: FileHandle) {
        let thread = Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    condition.lock()
                    lines.append(line)
                    condition.broadcast()
                    condition.unlock()
                }
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    var all: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    func waitFor(_ match: (String) -> Bool, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        var checked = 0
        while true {
            while checked < lines.count {
                if match(lines[checked]) { return lines[checked] }
                checked += 1
            }
            if finished || !condition.wait(until: deadline) { return nil }
        }
    }
}
