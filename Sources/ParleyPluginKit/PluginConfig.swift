/// A plugin's config section (`[plugin.NAME]`), with typed accessors whose errors name the key.
public struct PluginConfig: Sendable {
    /// Key/value pairs; an array in the config appears as several entries with one key.
    public let entries: [(key: String, value: String)]

    public init(entries: [(key: String, value: String)]) {
        self.entries = entries
    }

    public var keys: Set<String> { Set(entries.map(\.key)) }

    /// Every value given for `key` (an array's elements, or one value).
    public func list(_ key: String) -> [String] {
        entries.filter { $0.key == key }.map(\.value)
    }

    public func string(_ key: String) throws -> String? {
        let values = list(key)
        guard values.count <= 1 else { throw PluginError("\(key): expected one value, got a list of \(values.count)") }
        return values.first
    }

    public func string(_ key: String, default fallback: String) throws -> String {
        try string(key) ?? fallback
    }

    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>? = nil) throws -> Int {
        guard let text = try string(key) else { return fallback }
        guard let value = Int(text) else { throw PluginError("\(key): expected an integer, got '\(text)'") }
        if let range, !range.contains(value) {
            throw PluginError("\(key): \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let text = try string(key) else { return fallback }
        switch text {
        case "true": return true
        case "false": return false
        default: throw PluginError("\(key): expected true or false, got '\(text)'")
        }
    }

    /// One of a fixed set of words.
    public func choice(_ key: String, _ options: [String], default fallback: String) throws -> String {
        let value = try string(key, default: fallback)
        guard options.contains(value) else {
            throw PluginError("\(key): '\(value)' is not one of \(options.joined(separator: ", "))")
        }
        return value
    }

    /// Rejects keys the plugin does not know, so a typo in the config is an error, not a no-op.
    public func requireOnly(_ known: Set<String>) throws {
        let unknown = keys.subtracting(known)
        guard unknown.isEmpty else {
            throw PluginError("unknown key\(unknown.count == 1 ? "" : "s") \(unknown.sorted().joined(separator: ", ")) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
