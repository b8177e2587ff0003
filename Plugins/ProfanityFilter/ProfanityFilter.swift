import Glibc
import ParleyPluginKit

/// Masks (or rejects) listed words: whole words only, case-insensitive, Unicode-aware,
/// so `Darn`, `darn!` and `DARN` match and `darnell` does not.
final class ProfanityFilter: Plugin {
    static let name = "ProfanityFilter"
    static let version = "1.0.0"
    static let description = "Masks or rejects listed words"

    struct Settings {
        enum Action: String { case mask, reject }
        let words: Set<String>
        let action: Action
        let reason: String
        let exempt: Set<String>

        init(_ config: PluginConfig) throws {
            try config.requireOnly(["words", "words_file", "action", "reason", "exempt"])
            var words = config.list("words")
            if let file = try config.string("words_file") {
                guard let text = readFile(file) else { throw PluginError("words_file: cannot read '\(file)'") }
                words += text.split(whereSeparator: \.isNewline).map(String.init)
                    .filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
            }
            let folded = words.map { $0.trimmed.lowercased() }
            if let bad = folded.first(where: { $0.isEmpty || $0.contains(where: { !isWordCharacter($0) }) }) {
                throw PluginError("words: '\(bad)' is not a single word")
            }
            self.words = Set(folded)
            guard let action = Action(rawValue: try config.choice("action", ["mask", "reject"], default: "mask")) else {
                throw PluginError("action: expected mask or reject")
            }
            self.action = action
            self.reason = try config.string("reason", default: "please keep it civil")
            self.exempt = Set(config.list("exempt").map(asciiFold))
        }
    }

    private let settings: Settings

    static func checkConfig(_ config: PluginConfig) throws {
        _ = try Settings(config)
    }

    init(host: Host, config: PluginConfig) throws {
        settings = try Settings(config)
        let phase: Phase = settings.action == .mask ? .transform : .validate
        host.onMessage(phase) { [settings] message in
            guard !settings.words.isEmpty, !settings.exempt.contains(asciiFold(try message.senderNick)) else { return .pass }
            let text = try message.text
            // Most lines contain none of the words anywhere: skip the word-by-word pass for them.
            let lowered = text.lowercased()
            guard settings.words.contains(where: { lowered.contains($0) }) else { return .pass }
            guard let masked = mask(text, words: settings.words) else { return .pass }
            switch settings.action {
            case .reject: return .reject(settings.reason)
            case .mask:
                try message.setText(masked)
                return .pass
            }
        }
    }
}

/// Letters, digits and marks make words; everything else separates them.
func isWordCharacter(_ character: Character) -> Bool {
    character.isLetter || character.isNumber || character.unicodeScalars.allSatisfy { $0.properties.generalCategory == .nonspacingMark }
}

/// The text with every listed word replaced by asterisks (one per character), or nil
/// when nothing matched.
func mask(_ text: String, words: Set<String>) -> String? {
    var output = ""
    var word = ""
    var changed = false
    func flush() {
        guard !word.isEmpty else { return }
        if words.contains(word.lowercased()) {
            output += String(repeating: "*", count: word.count)
            changed = true
        } else {
            output += word
        }
        word = ""
    }
    for character in text {
        if isWordCharacter(character) {
            word.append(character)
        } else {
            flush()
            output.append(character)
        }
    }
    flush()
    return changed ? output : nil
}

func asciiFold(_ nick: String) -> String {
    String(nick.unicodeScalars.map { $0.value >= 65 && $0.value <= 90 ? Character(Unicode.Scalar($0.value + 32)!) : Character($0) })
}

extension String {
    var trimmed: String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return String(slice)
    }
}

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        bytes += chunk[0..<count]
        if count < chunk.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}

@_cdecl("parley_plugin_entry")
public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(ProfanityFilter.self, major, minor) }
