/// One thing wrong with a config file, located as precisely as we can.
public struct ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based; from the TOML library for syntax errors, found by key otherwise.
    public var line: Int?
    /// Dotted key path such as `limits.max_clients`; nil for syntax errors.
    public var key: String?
    public var message: String

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}

/// Every problem found in one config file; startup and reload refuse the whole file.
public struct ConfigError: Error, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public var description: String {
        problems.map { "config error: \($0)" }.joined(separator: "\n")
    }
}
