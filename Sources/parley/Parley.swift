import ArgumentParser
import Glibc
import Logging
import ParleyConfig
import ParleyLoop
import ParleyServer
import ParleyTransport

@main
struct Parley: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "A multi-user chat server: plain text (nc, telnet) and IRC on one event loop, extended by plugins.",
        discussion: """
        With no --config, parley runs on embedded defaults: plain text on 0.0.0.0:4000, IRC on \
        0.0.0.0:6667, default room #lobby, and the standard plugins (ProfanityFilter, Timestamp, \
        EchoBot, Dice) on. SIGHUP reloads the config file; SIGINT and SIGTERM shut down gracefully.

        The loop waits with poll() by default. Choose epoll ([server] event_backend = "epoll", or \
        --event-backend epoll) for servers with thousands of connections: a poll() wait looks at \
        every socket, so beside 10,000 idle clients a busy room costs poll() 6x the CPU per \
        delivered message at full speed (and saturates it at 1,000 messages/s), while epoll costs \
        about the same as with no idle clients. docs/BENCHMARKS.md has the figures.

        Config keys are documented in docs/CONFIG.md and parley.example.toml.
        """,
        subcommands: [Passwd.self, Cert.self, PluginTools.self]
    )

    @Option(name: .long, help: ArgumentHelp("The TOML config file. Without it, embedded defaults are used.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("plugin-dir"),
            help: ArgumentHelp("Where plugins (libNAME.so or NAME.so) are loaded from. Default: the folder holding the parley executable, where `swift build` puts the bundled plugins.", valueName: "dir"))
    var pluginDir: String?

    // Parsed by a throwing transform rather than ExpressibleByArgument's failable init, so a
    // bad address is refused with the parser's reason instead of "invalid value".
    @Option(name: .long, help: ArgumentHelp("Serve the plain-text protocol here instead of the config's plaintext plain listeners (TLS listeners stay). Port 0 picks a free port (the log says which).", valueName: "host:port"),
            transform: ListenAddress.init(parsing:))
    var plain: ListenAddress?

    @Option(name: .long, help: ArgumentHelp("Serve IRC here instead of the config's plaintext IRC listeners (TLS listeners stay). Port 0 picks a free port (the log says which).", valueName: "host:port"),
            transform: ListenAddress.init(parsing:))
    var irc: ListenAddress?

    @Option(name: .customLong("event-backend"),
            help: ArgumentHelp("Where the loop's readiness comes from, instead of the config's server.event_backend: poll (default) or epoll (for many connections).", valueName: "poll|epoll"))
    var eventBackend: EventBackend?

    @Flag(name: .customLong("check-config"), help: "Validate the config (and the flags) and exit: 0 when valid, 1 with every problem listed otherwise.")
    var checkConfig = false

    mutating func validate() throws {
        if let pluginDir {
            var status = stat()
            guard stat(pluginDir, &status) == 0 else {
                throw ValidationError("--plugin-dir: '\(pluginDir)' does not exist")
            }
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw ValidationError("--plugin-dir: '\(pluginDir)' is not a directory")
            }
        }
    }

    func run() throws {
        let level = SharedLogLevel(.info)
        LoggingSystem.bootstrap { LineLogHandler(label: $0, level: level) }
        let logger = Logger(label: "parley")

        let loaded: Config
        do {
            loaded = try config.map { try ConfigLoader.load(path: $0) } ?? .embeddedDefault
        } catch let error as ConfigError {
            printToStderr(error.description)
            throw ExitCode(1)
        }
        for warning in loaded.warnings { printToStderr("config warning: \(warning)") }
        if checkConfig {
            // The certificates too: they stop startup just as the config's own problems do.
            let refusals = loaded.listeners.compactMap(\.tls).compactMap { files -> String? in
                do { _ = try TLSContext(certificate: files.certificate, key: files.key) } catch { return "\(error)" }
                return nil
            }
            guard refusals.isEmpty else {
                for refusal in refusals { printToStderr("\(config ?? ""): \(refusal)") }
                throw ExitCode(1)
            }
            print("config OK: \(config ?? "(embedded defaults)")")
            return
        }
        var overrides: [(ListenerProtocol, ListenAddress)] = []
        if let plain { overrides.append((.plain, plain)) }
        if let irc { overrides.append((.irc, irc)) }

        let server: ParleyServer
        do {
            server = try ParleyServer(config: loaded, configPath: config, pluginDirectory: pluginDir ?? executableDirectory(),
                                      listenerOverrides: overrides, eventBackendOverride: eventBackend,
                                      logger: logger, logLevel: level)
            try server.start()
        } catch {
            logger.critical("startup failed", metadata: ["reason": "\(error)"])
            throw ExitCode(1)
        }
        try server.run()
    }
}

func printToStderr(_ text: String) {
    writeToStandardError(text + "\n")
}

/// The folder of the running executable, from /proc/self/exe.
func executableDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return "." }
    let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}

extension EventBackend: ExpressibleByArgument {}
