import CParleyPlugin
import CParleySys
import Glibc
import Logging
import ParleyChat
import ParleyConfig
import ParleyLoop

extension PluginHost {
    // MARK: Reporting

    /// What /plugins shows: versions, the resolved chain per phase, and time per hook.
    public func describe() -> [String] {
        var lines: [String] = []
        if active.isEmpty { return ["No plugins loaded (plugin folder: \(directory))"] }
        lines.append("Chain order: " + active.map { "\($0.name) \($0.image.version)" }.joined(separator: ", "))
        let phaseNames = ["validate", "transform", "annotate", "observe"]
        for (index, phase) in phaseNames.enumerated() {
            let names = messageHooks[index].map(\.owner.name)
            lines.append("  \(phase): " + (names.isEmpty ? "-" : names.joined(separator: " -> ")))
        }
        for plugin in active {
            lines.append("\(plugin.name) \(plugin.image.version) (ABI \(plugin.image.abiVersion), generation \(plugin.generation), \(plugin.image.sourcePath))")
            for (hook, stats) in plugin.stats {
                lines.append("  \(hook): \(stats.calls) calls, total \(milliseconds(stats.totalNanoseconds)) ms, max \(milliseconds(stats.maxNanoseconds)) ms")
            }
            if !plugin.commandNames.isEmpty {
                lines.append("  commands: " + plugin.commandNames.map { "/\($0)" }.joined(separator: " "))
            }
        }
        return lines
    }
}
