import Glibc
import Logging
import ParleyChat
import ParleyBytes
import ParleyLoop
import ParleyTransport
import TOMLKit

/// Turns a TOML config file into a `Config`, reporting every problem with file, line and key.
public enum ConfigLoader {
    public static func load(path: String) throws(ConfigError) -> Config {
        guard let text = readTextFile(path) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: nil, key: nil,
                                                       message: "cannot read file: \(SystemError("open"))")])
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Config {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(problems: [ConfigProblem(file: file, line: error.source.begin.line, key: nil,
                                                       message: "syntax error: \(error.description)")])
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: file, line: nil, key: nil, message: "\(error)")])
        }
        let context = ConfigParseContext(file: file, text: text)
        let root = TOMLTableReader(table, path: "", context: context)
        var config = Config()
        readServer(root.table("server"), into: &config.server, configFile: file)
        if let listeners = root.arrayOfTables("listen") {
            config.listeners = listeners.compactMap { readListener($0, configFile: file) }
            checkDistinctAddresses(listeners, config.listeners)
            if listeners.isEmpty { root.problem("listen", "at least one [[listen]] is needed") }
        }
        readLimits(root.table("limits"), into: &config.limits)
        if let sts = root.table("sts") { config.sts = readSTS(sts, listeners: config.listeners) }
        readCloaking(root.table("cloaking"), into: &config.cloaking)
        readPasswordLimits(root.table("password_limits"), into: &config.passwordLimits)
        readFlood(root.table("flood"), into: &config.flood)
        readThrottle(root.table("throttle"), into: &config.throttle)
        readPlugins(root, into: &config.plugins)
        if let operators = root.arrayOfTables("operator") {
            config.operators = operators.compactMap(readOperator)
        }
        if let log = root.table("log") {
            if let level = log.choice("level", logLevels) { config.logLevel = level }
            log.finish()
        }
        root.finish()
        if let reason = config.nameRules.roomProblem(config.server.defaultRoom) {
            context.report(key: "server.default_room", message: reason)
        }
        let motdBytes = config.server.motd.reduce(0) { $0 + $1.utf8.count + 6 }
        if motdBytes * 2 > config.limits.sendqBytes {
            context.report(key: "server.motd", message: "the MOTD (\(motdBytes) bytes as sent) must be under half of limits.sendq_bytes (\(config.limits.sendqBytes)), or every client would be dropped on connect")
        }
        if config.flood.recvqBytes < config.limits.maxLineBytes + 2 {
            context.report(key: "flood.recvq_bytes", message: "\(config.flood.recvqBytes) cannot hold one line of limits.max_line_bytes (\(config.limits.maxLineBytes)) and its CR LF: one waiting line would drop the client")
        }
        guard context.problems.isEmpty else {
            // Stable sort: file order first, problems without a line last.
            let ordered = context.problems.enumerated().sorted { lhs, rhs in
                (lhs.element.line ?? Int.max, lhs.offset) < (rhs.element.line ?? Int.max, rhs.offset)
            }.map(\.element)
            throw ConfigError(problems: ordered)
        }
        return config
    }

    static let logLevels: [String: Logger.Level] = Dictionary(
        uniqueKeysWithValues: Logger.Level.allCases.map { ($0.rawValue, $0) })

    private static func readServer(_ reader: TOMLTableReader?, into server: inout Config.Server, configFile: String) {
        guard let reader else { return }
        if let name = reader.string("name", check: serverNameProblem) { server.name = name }
        if let description = reader.string("description") { server.description = description }
        if let network = reader.string("network", check: serverNameProblem) { server.network = network }
        let inline = reader.string("motd")
        let file = reader.string("motd_file")
        if inline != nil && file != nil {
            reader.problem("motd_file", "give either motd or motd_file, not both")
        } else if let inline {
            server.motd = motdLines(inline)
        } else if let file {
            let path = resolve(file, against: configFile)
            if let text = readTextFile(path) {
                server.motd = motdLines(text)
            } else {
                reader.problem("motd_file", "cannot read '\(path)': \(SystemError("open"))")
            }
        }
        if let room = reader.string("default_room") { server.defaultRoom = room }
        if let masks = reader.stringArray("default_room_operators", check: { mask in
            mask.isEmpty || mask.contains(" ") ? "'\(mask)' is not a mask: nick, or nick!user@host with * and ?" : nil
        }) {
            server.defaultRoomOperators = masks.map(Mask.normalize)
        }
        if let backend = reader.choice("event_backend", Dictionary(uniqueKeysWithValues: EventBackend.allCases.map { ($0.rawValue, $0) })) {
            server.eventBackend = backend
        }
        if let hash = reader.string("password_hash", check: { $0.hasPrefix("$") ? nil : "must be a crypt(3) hash from `parley passwd`" }) {
            server.passwordHash = hash
        }
        reader.finish()
    }

    private static func serverNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.contains(where: { $0 == " " || $0.asciiValue.map { $0 < 0x20 } == true }) {
            return "must not contain spaces or control characters"
        }
        return nil
    }

    private static func motdLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    private static func readListener(_ reader: TOMLTableReader, configFile: String) -> Config.Listener? {
        let proto = reader.choice("protocol", Dictionary(uniqueKeysWithValues:
            ListenerProtocol.allCases.map { ($0.rawValue, $0) }))
        let host = reader.string("host") { $0.isEmpty ? "must not be empty" : nil }
        let port = reader.int("port", in: 0...65535)
        let tls = reader.bool("tls") ?? false
        let notEmpty: (String) -> String? = { $0.isEmpty ? "must not be empty" : nil }
        let certificate = reader.string("tls_certificate", check: notEmpty).map { resolve($0, against: configFile) }
        let key = reader.string("tls_key", check: notEmpty).map { resolve($0, against: configFile) }
        reader.finish()
        if reader.table["protocol"] == nil { reader.problem("protocol", "missing (plain or irc)") }
        if reader.table["port"] == nil { reader.problem("port", "missing") }
        var files: Config.TLSFiles?
        if tls {
            if reader.table["tls_certificate"] == nil { reader.problem("tls_certificate", "missing: a TLS listener needs a PEM certificate (see `parley cert --help`)") }
            if reader.table["tls_key"] == nil { reader.problem("tls_key", "missing: a TLS listener needs the certificate's PEM private key") }
            if let certificate, let key { files = Config.TLSFiles(certificate: certificate, key: key) }
        } else {
            for key in ["tls_certificate", "tls_key"] where reader.table[key] != nil {
                reader.problem(key, "is set but tls is not: add tls = true to serve TLS on this listener")
            }
        }
        guard let proto, let port else { return nil }
        return Config.Listener(proto: proto, address: ListenAddress(host: host ?? "0.0.0.0", port: port), tls: files)
    }

    private static func resolve(_ path: String, against configFile: String) -> String {
        path.hasPrefix("/") ? path : directory(of: configFile) + "/" + path
    }

    private static func readSTS(_ reader: TOMLTableReader, listeners: [Config.Listener]) -> Config.STS? {
        let tlsPorts = listeners.filter { $0.proto == .irc && $0.tls != nil }.map(\.address.port)
        let port = reader.int("port", in: 1...65535)
        let duration = reader.int("duration_seconds", in: 0...(10 * 365 * 86_400))
        let preload = reader.bool("preload") ?? false
        reader.finish()
        if reader.table["duration_seconds"] == nil { reader.problem("duration_seconds", "missing: how long clients keep to TLS (for example 2592000, 30 days)") }
        guard let chosen = port ?? tlsPorts.first else {
            reader.problem("port", "sts needs an IRC [[listen]] with tls = true to send clients to")
            return nil
        }
        if !tlsPorts.contains(chosen) {
            reader.problem("port", "\(chosen) is not the port of an IRC [[listen]] with tls = true")
        }
        guard let duration else { return nil }
        if preload && duration == 0 { reader.problem("preload", "needs a duration_seconds above 0") }
        return Config.STS(port: chosen, durationSeconds: duration, preload: preload)
    }

    private static func checkDistinctAddresses(_ readers: [TOMLTableReader], _ listeners: [Config.Listener]) {
        guard readers.count == listeners.count else { return }
        for (index, listener) in listeners.enumerated() where listener.address.port != 0 {
            if listeners[..<index].contains(where: { $0.address == listener.address }) {
                readers[index].problem("port", "\(listener.address) is already used by an earlier [[listen]]")
            }
        }
    }

    private static func readLimits(_ reader: TOMLTableReader?, into limits: inout Config.Limits) {
        guard let reader else { return }
        if let value = reader.int("max_clients", in: 1...1_000_000) { limits.maxClients = value }
        if let value = reader.int("max_clients_per_ip", in: 1...1_000_000) { limits.maxClientsPerIP = value }
        if let value = reader.int("max_line_bytes", in: 64...65_536) { limits.maxLineBytes = value }
        if let value = reader.int("sendq_bytes", in: 1024...1_073_741_824) { limits.sendqBytes = value }
        if let value = reader.int("nick_length", in: 9...64) { limits.nickLength = value }
        if let value = reader.int("room_length", in: 2...200) { limits.roomLength = value }
        if let value = reader.int("topic_length", in: 1...4096) { limits.topicLength = value }
        if let value = reader.int("registration_timeout_seconds", in: 1...3600) {
            limits.registrationTimeoutSeconds = value
        }
        if let value = reader.int("ping_interval_seconds", in: 1...3600) { limits.pingIntervalSeconds = value }
        if let value = reader.int("ping_timeout_seconds", in: 1...3600) { limits.pingTimeoutSeconds = value }
        if let value = reader.int("write_coalesce_microseconds", in: 0...5000) { limits.writeCoalesceMicroseconds = value }
        if let value = reader.int("tls_handshake_timeout_seconds", in: 1...300) { limits.tlsHandshakeTimeoutSeconds = value }
        reader.finish()
    }

    private static func readPlugins(_ root: TOMLTableReader, into plugins: inout Config.Plugins) {
        let nameCheck: (String) -> String? = { name in
            name.isEmpty || name.contains("/") || name.hasPrefix(".") ? "'\(name)' is not a plugin name" : nil
        }
        if let chain = root.stringArray("plugins", check: nameCheck) {
            plugins.chain = chain
            var seen: Set<String> = []
            for name in chain where !seen.insert(name).inserted {
                root.problem("plugins", "\(name) is listed twice")
            }
        }
        if let required = root.stringArray("required_plugins", check: nameCheck) {
            plugins.required = required
            for name in required where !plugins.chain.contains(name) {
                root.problem("required_plugins", "\(name) is required but not in plugins")
            }
        }
        if let allow = root.bool("insecure_plugin_permissions") { plugins.allowInsecurePermissions = allow }
        if let budget = root.int("plugin_hook_budget_milliseconds", in: 1...60_000) { plugins.hookBudgetMilliseconds = budget }
        if let sections = root.table("plugin") {
            plugins.sections = [:]
            for name in sections.table.keys {
                guard let section = sections.table(name) else { continue }
                plugins.sections[name] = section.pluginSettings()
            }
        } else {
            // The built-in settings apply to the built-in plugins that are switched on.
            plugins.sections = plugins.sections.filter { plugins.chain.contains($0.key) }
        }
    }

    private static func readOperator(_ reader: TOMLTableReader) -> Config.Operator? {
        let name = reader.string("name") { $0.isEmpty || $0.contains(" ") ? "must be one word" : nil }
        let hash = reader.string("password_hash") { hash in
            hash.hasPrefix("$") ? nil : "must be a crypt(3) hash such as `parley passwd` prints, never a plain password"
        }
        let fingerprint = reader.string("certfp") { normalizedFingerprint($0) == nil
            ? "must be a SHA-256 fingerprint: 64 hex digits, colons allowed (openssl x509 -noout -fingerprint -sha256)" : nil
        }.flatMap(normalizedFingerprint)
        reader.finish()
        if reader.table["name"] == nil { reader.problem("name", "missing") }
        if reader.table["password_hash"] == nil && reader.table["certfp"] == nil {
            reader.problem("password_hash", "missing (make one with `parley passwd`), or give a client certificate's certfp")
        }
        guard let name, hash != nil || fingerprint != nil else { return nil }
        return Config.Operator(name: name, passwordHash: hash, certificateFingerprint: fingerprint)
    }

    /// 64 lowercase hex digits from a fingerprint written with or without colons, any case.
    public static func normalizedFingerprint(_ text: String) -> String? {
        let digits = text.lowercased().filter { $0 != ":" }
        return digits.count == 64 && digits.allSatisfy(\.isHexDigit) ? digits : nil
    }

    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Reads a whole file as UTF-8 (invalid sequences repaired), or nil with errno set.
public func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count { break }
    }
    if ferror(file) != 0 { return nil }
    return String(decoding: bytes, as: UTF8.self)
}
