import Logging
import ParleyChat
import ParleyLoop
import ParleyTransport

public enum ListenerProtocol: String, Sendable, CaseIterable {
    case plain
    case irc
}

/// The whole server configuration, with the embedded defaults used when no file is given.
/// `parley.example.toml` documents every key; a test keeps the two in step.
public struct Config: Equatable, Sendable {
    public struct Server: Equatable, Sendable {
        public var name = "parley.local"
        public var description = "A Parley chat server"
        public var network = "Parley"
        /// The message of the day, shown to every client on connect; one entry per line.
        public var motd: [String] = [
            "Welcome to Parley.",
            "Type /help for commands. You start in the default room.",
        ]
        public var defaultRoom = "#lobby"
        /// Masks (`nick!user@host`, a bare nick meaning `nick!*@*`) of those made operators of
        /// the default room when they join it; nobody else is, however early they come.
        public var defaultRoomOperators: [String] = []
        /// IRC's PASS: a crypt(3) hash every IRC client must match, or nil for none.
        public var passwordHash: String?
        /// Where the loop's readiness comes from: poll (the default) or epoll, whose waits
        /// cost nothing per idle connection. Needs a restart to change.
        public var eventBackend: EventBackend = .poll
    }

    public struct Listener: Equatable, Sendable {
        public var proto: ListenerProtocol
        public var address: ListenAddress
        /// The certificate and key of a TLS listener; nil for plaintext.
        public var tls: TLSFiles?

        public init(proto: ListenerProtocol, address: ListenAddress, tls: TLSFiles? = nil) {
            self.proto = proto
            self.address = address
            self.tls = tls
        }

        /// What a reload cannot change without a restart: the socket and whether it speaks TLS.
        /// The certificate files themselves are re-read on every reload.
        public var socketIdentity: (ListenerProtocol, ListenAddress, Bool) { (proto, address, tls != nil) }
    }

    /// PEM files, as absolute paths (relative ones are resolved against the config file's folder).
    public struct TLSFiles: Equatable, Sendable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// IRCv3 strict transport security: tells IRC clients to come back over TLS, and stay.
    public struct STS: Equatable, Sendable {
        /// The TLS port plaintext clients are sent to.
        public var port: Int
        /// How long a client keeps to TLS after seeing the policy on a TLS connection.
        public var durationSeconds: Int
        /// Whether the server agrees to be on clients' preload lists.
        public var preload: Bool
    }

    public struct Limits: Equatable, Sendable {
        public var maxClients = 10_000
        public var maxClientsPerIP = 32
        /// The longest line a plain client may send, in bytes, without its line ending.
        public var maxLineBytes = 512
        /// Output queued for one client before it is dropped as a slow consumer.
        public var sendqBytes = 262_144
        public var nickLength = 30
        public var roomLength = 50
        public var topicLength = 390
        /// How long a new connection may take to choose a nickname.
        public var registrationTimeoutSeconds = 60
        /// IRC clients quiet this long are sent a PING...
        public var pingIntervalSeconds = 120
        /// ...and dropped when no reply comes this long after it.
        public var pingTimeoutSeconds = 60
        /// How long output may wait so that messages arriving close together share one write.
        public var writeCoalesceMicroseconds = 0
        /// How long a client on a TLS listener may take to finish the handshake.
        public var tlsHandshakeTimeoutSeconds = 10
    }

    /// Fakelag: how fast each registered client's lines are processed (`[flood]`).
    public struct Flood: Equatable, Sendable {
        public var enabled = true
        /// Lines processed at once after a quiet spell.
        public var burst = 5
        /// Lines per second after the burst.
        public var linesPerSecond = 2.0
        /// What WHO, WHOIS, WHOWAS, LIST and NAMES (plain: /who, /rooms) count as, in lines.
        public var queryCost = 4
        /// Lines allowed before registering, which are not fakelagged; past it, Excess Flood.
        public var registrationLines = 64
        /// Input that may wait behind the fakelag before the client is dropped (Excess Flood).
        public var recvqBytes = 32_768
        /// Networks whose clients are never fakelagged.
        public var exempt: [NetworkRange] = []

        /// The policy for a client from `host`: nil when flood control is off or it is exempt.
        public func policy(forHost host: String) -> FloodPolicy? {
            guard enabled, !exempt.contains(host: host) else { return nil }
            return FloodPolicy(linesPerSecond: linesPerSecond, burst: burst, heavyLineCost: queryCost, recvqBytes: recvqBytes,
                               registrationLines: registrationLines)
        }
    }

    /// Connection throttling per address (an IPv4 address, or an IPv6 /64) (`[throttle]`).
    public struct Throttle: Equatable, Sendable {
        public var enabled = true
        /// New connections one address may open per window...
        public var connections = 10
        public var windowSeconds = 60
        /// ...and how many of its connections may be unregistered at once.
        public var unregisteredPerIP = 5
        /// Networks that are never throttled: loopback by default (local bots and bouncers).
        public var exempt: [NetworkRange] = [try! NetworkRange(parsing: "127.0.0.0/8"), try! NetworkRange(parsing: "::1")]
    }

    /// One `key = value` of a plugin's section; arrays become one setting per element.
    public struct PluginSetting: Equatable, Sendable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public struct Plugins: Equatable, Sendable {
        /// Plugin names in chain order; `X` loads libX.so or X.so from the plugin folder.
        public var chain = ["ProfanityFilter", "Timestamp", "EchoBot", "Dice"]
        /// Plugins whose failure to load stops startup (others are skipped with a log line).
        public var required: [String] = []
        /// Load files or folders writable by group or others. Off: anyone who can write there
        /// could run code inside the server.
        public var allowInsecurePermissions = false
        /// A hook, command or timer that runs longer than this is logged with its plugin and hook.
        public var hookBudgetMilliseconds = 50
        /// `[plugin.NAME]` sections, handed to each plugin as key/value pairs.
        public var sections: [String: [PluginSetting]] = [
            "ProfanityFilter": [
                // Sorted by key, as the loader hands sections to plugins.
                PluginSetting("action", "mask"),
                PluginSetting("words", "darn"), PluginSetting("words", "heck"), PluginSetting("words", "frak"),
            ],
            "Timestamp": [PluginSetting("format", "[%H:%M:%S]"), PluginSetting("timezone", "UTC")],
            "EchoBot": [PluginSetting("nick", "EchoBot"), PluginSetting("rooms", "#lobby")],
        ]
    }

    /// A server operator: may /reload and see /plugins. The password is a crypt(3) hash
    /// (yescrypt from `parley passwd`), never the password itself. With a certificate
    /// fingerprint, OPER also needs a TLS client certificate with that SHA-256; with only a
    /// fingerprint, the certificate alone is the credential.
    public struct Operator: Equatable, Sendable {
        public var name: String
        public var passwordHash: String?
        /// 64 lowercase hex digits.
        public var certificateFingerprint: String?

        public init(name: String, passwordHash: String?, certificateFingerprint: String? = nil) {
            self.name = name
            self.passwordHash = passwordHash
            self.certificateFingerprint = certificateFingerprint
        }
    }

    public var plugins = Plugins()
    public var operators: [Operator] = []
    public var server = Server()
    public var listeners: [Listener] = [
        Listener(proto: .plain, address: ListenAddress(host: "0.0.0.0", port: 4000)),
        Listener(proto: .irc, address: ListenAddress(host: "0.0.0.0", port: 6667)),
    ]
    public var limits = Limits()
    /// Off unless configured; needs an IRC listener with TLS.
    public var sts: STS?
    public var cloaking = Cloaking()
    public var passwordLimits = PasswordLimits()
    public var flood = Flood()
    public var throttle = Throttle()
    public var logLevel: Logger.Level = .info

    public init() {}

    public static let embeddedDefault = Config()

    /// Things that are valid but probably not meant: shown by --check-config and logged at start.
    public var warnings: [String] {
        plugins.sections.keys.sorted().filter { !plugins.chain.contains($0) }.map { name in
            "[plugin.\(name)] is set but \(name) is not in plugins, so it is not loaded (a typo?)"
        }
    }

    public var nameRules: NameRules {
        NameRules(nickLength: limits.nickLength, roomLength: limits.roomLength, topicLength: limits.topicLength)
    }

    /// Replaces the plaintext listeners of one protocol, as `--plain` and `--irc` do; TLS
    /// listeners stay, since a command-line address has no certificate.
    public mutating func overrideListeners(_ proto: ListenerProtocol, with address: ListenAddress) {
        listeners.removeAll { $0.proto == proto && $0.tls == nil }
        listeners.append(Listener(proto: proto, address: address))
    }
}
