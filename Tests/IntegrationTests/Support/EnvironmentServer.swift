import Foundation
import XCTest

/// A real `parley` process like TestServer's, but with extra environment variables for the
/// server alone (MALLOC_PERTURB_, LD_PRELOAD, TZ): the test process's own environment is
/// never changed.
final class EnvironmentServer {
    let process = Process()
    let port: Int
    private let log = LineCollector()

    init(config: String, environment: [String: String], arguments: [String] = []) throws {
        let configPath = TestFiles.temporaryFile(named: "parley.toml", contents: config)
        process.executableURL = URL(fileURLWithPath: TestServer.binary)
        process.arguments = ["--plain", "127.0.0.1:0", "--irc", "127.0.0.1:0", "--config", configPath] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        log.start(reading: errors.fileHandleForReading)
        guard let listening = log.waitFor({ $0.contains("listening") && $0.contains("protocol=plain") }, seconds: 20),
              let range = listening.range(of: "address="),
              let port = listening[range.upperBound...].prefix(while: { $0 != " " }).split(separator: ":").last.flatMap({ Int($0) })
        else {
            process.terminate()
            throw TestFailure("server did not report its port; log:\n\(log.all.joined(separator: "\n"))")
        }
        self.port = port
    }

    var logLines: [String] { log.all }

    /// Waits for a log line containing every fragment.
    @discardableResult
    func waitForLog(_ fragments: String..., seconds: Double = 10) throws -> String {
        guard let line = log.waitFor({ line in fragments.allSatisfy { line.contains($0) } }, seconds: seconds) else {
            throw TestFailure("no log line with \(fragments); log:\n\(log.all.joined(separator: "\n"))")
        }
        return line
    }

    /// Connects and picks a nickname, waiting until the server confirms it.
    func register(_ nick: String) throws -> TestClient {
        let client = try TestClient(port: port)
        try client.send("\(nick)\n")
        try client.expect("You are now known as \(nick).")
        try client.expect("#lobby has")
        return client
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
