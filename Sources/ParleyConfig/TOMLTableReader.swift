import ParleyBytes
import ParleyTransport
import TOMLKit

/// Reads one TOML table against a schema: typed getters that record a located problem
/// instead of throwing, so one pass reports every mistake, and `finish()` reports unknown keys.
final class TOMLTableReader {
    let table: TOMLTable
    let path: String
    private let context: ConfigParseContext
    private var known: [String] = []

    init(_ table: TOMLTable, path: String, context: ConfigParseContext) {
        self.table = table
        self.path = path
        self.context = context
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func problem(_ key: String?, _ message: String) {
        context.report(key: key.map(keyPath) ?? (path.isEmpty ? nil : path), message: message)
    }

    private func value(_ key: String) -> TOMLValueConvertible? {
        known.append(key)
        return table[key]
    }

    private func wrongType(_ key: String, expected: String, got value: TOMLValueConvertible) {
        problem(key, "expected \(expected), got \(value.type) \(value.tomlValue.debugDescription)")
    }

    func string(_ key: String, check: ((String) -> String?)? = nil) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.string else {
            wrongType(key, expected: "a string", got: value)
            return nil
        }
        if let complaint = check?(text) {
            problem(key, complaint)
            return nil
        }
        return text
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = value(key) else { return nil }
        guard value.type == .int, let number = value.int else {
            wrongType(key, expected: "an integer", got: value)
            return nil
        }
        guard range.contains(number) else {
            problem(key, "\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return number
    }

    /// An integer or a float, as a Double.
    func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double
        switch value.type {
        case .int: number = Double(value.int!)
        case .double: number = value.double!
        default:
            wrongType(key, expected: "a number", got: value)
            return nil
        }
        guard range.contains(number) else {
            let text = { (value: Double) in value == value.rounded() ? String(Int(value)) : String(value) }
            problem(key, "\(text(number)) is out of range: expected \(text(range.lowerBound)) to \(text(range.upperBound))")
            return nil
        }
        return number
    }

    /// An array of CIDR blocks (`"10.0.0.0/8"`, `"2001:db8::/32"`) or single addresses.
    func networkRanges(_ key: String) -> [NetworkRange]? {
        guard let texts = stringArray(key) else { return nil }
        var ranges: [NetworkRange] = []
        for text in texts {
            do {
                ranges.append(try NetworkRange(parsing: text))
            } catch {
                problem(key, error.description)
                return nil
            }
        }
        return ranges
    }

    func choice<T>(_ key: String, _ options: [String: T]) -> T? {
        let listed = options.keys.sorted().joined(separator: ", ")
        guard let text = string(key) else { return nil }
        guard let picked = options[text] else {
            problem(key, "'\(text)' is not one of: \(listed)")
            return nil
        }
        return picked
    }

    func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard value.type == .bool, let flag = value.bool else {
            wrongType(key, expected: "true or false", got: value)
            return nil
        }
        return flag
    }

    func stringArray(_ key: String, check: ((String) -> String?)? = nil) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else {
            wrongType(key, expected: "an array of strings", got: value)
            return nil
        }
        var strings: [String] = []
        for element in array {
            guard let text = element.string else {
                problem(key, "every element must be a string, got \(element.type)")
                return nil
            }
            if let complaint = check?(text) {
                problem(key, complaint)
                return nil
            }
            strings.append(text)
        }
        return strings
    }

    /// A plugin's section as flat key/value strings: the plugin validates the meaning itself.
    func pluginSettings() -> [Config.PluginSetting] {
        var settings: [Config.PluginSetting] = []
        for key in table.keys {
            guard let value = value(key) else { continue }
            if let array = value.array {
                for element in array {
                    if let text = scalarText(element) {
                        settings.append(.init(key, text))
                    } else {
                        problem(key, "array elements must be strings, numbers or booleans, got \(element.type)")
                    }
                }
            } else if let text = scalarText(value) {
                settings.append(.init(key, text))
            } else {
                problem(key, "must be a string, number, boolean or an array of them, got \(value.type)")
            }
        }
        return settings
    }

    private func scalarText(_ value: TOMLValueConvertible) -> String? {
        switch value.type {
        case .string: return value.string
        case .int: return value.int.map { String($0) }
        case .double: return value.double.map { String($0) }
        case .bool: return value.bool.map { $0 ? "true" : "false" }
        default: return nil
        }
    }

    func table(_ key: String) -> TOMLTableReader? {
        guard let value = value(key) else { return nil }
        guard let inner = value.table else {
            wrongType(key, expected: "a table ([\(keyPath(key))])", got: value)
            return nil
        }
        return TOMLTableReader(inner, path: keyPath(key), context: context)
    }

    func arrayOfTables(_ key: String) -> [TOMLTableReader]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else {
            wrongType(key, expected: "an array of tables ([[\(keyPath(key))]])", got: value)
            return nil
        }
        var readers: [TOMLTableReader] = []
        for (index, element) in array.enumerated() {
            guard let inner = element.table else {
                problem(key, "element \(index) should be a table, got \(element.type)")
                continue
            }
            readers.append(TOMLTableReader(inner, path: "\(keyPath(key))[\(index)]", context: context))
        }
        return readers
    }

    /// Reports every key this reader was never asked for.
    func finish() {
        for key in table.keys where !known.contains(key) {
            let expected = known.isEmpty ? "" : " (expected one of: \(known.sorted().joined(separator: ", ")))"
            problem(key, "unknown key\(expected)")
        }
    }
}

/// Collects problems and locates keys in the source text, since TOMLKit gives line numbers
/// only for syntax errors.
final class ConfigParseContext {
    let file: String
    private let lines: [Substring]
    private(set) var problems: [ConfigProblem] = []

    init(file: String, text: String) {
        self.file = file
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    func report(key: String?, message: String) {
        problems.append(ConfigProblem(file: file, line: key.flatMap(nearestLine(of:)), key: key, message: message))
    }

    /// The key's own line, or its table's when the key is missing from the file.
    private func nearestLine(of keyPath: String) -> Int? {
        var path = keyPath
        while true {
            if let found = line(of: path) { return found }
            guard let dot = path.lastIndex(of: ".") else { return nil }
            path = String(path[..<dot])
        }
    }

    /// The line defining a dotted key path such as `limits.sendq_bytes` or `listen[1].port`.
    func line(of keyPath: String) -> Int? {
        var section = ""
        var arrayCounts: [String: Int] = [:]
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: " \t\r")
            if line.hasPrefix("[[") {
                let name = String(line.dropFirst(2).prefix { $0 != "]" }).trimmingCharacters(in: " ")
                let count = arrayCounts[name, default: 0]
                arrayCounts[name] = count + 1
                section = "\(name)[\(count)]"
                if section == keyPath { return index + 1 }
            } else if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" }).trimmingCharacters(in: " ")
                if section == keyPath { return index + 1 }
            } else if let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: " \t\"")
                let full = section.isEmpty ? key : "\(section).\(key)"
                if full == keyPath { return index + 1 }
            }
        }
        return nil
    }
}
