import CParleyPlugin
import CParleySys
import Glibc
import Logging
import ParleyChat
import ParleyConfig
import ParleyLoop

extension PluginHost {
    // MARK: Reload

    /// Applies the current config's plugin list: rebuilt files and changed settings get a
    /// new generation (state handed over), removed plugins stop, new ones load. A plugin
    /// whose new generation fails keeps its old generation running. Returns what happened.
    @discardableResult
    public func reload() -> [String] {
        let plugins = config.plugins
        var report: [String] = []
        var next: [LoadedPlugin] = []
        for name in plugins.chain {
            let settings = plugins.sections[name] ?? []
            let current = active.first { $0.name == name }
            if let current, !needsNewGeneration(current, settings: settings) {
                next.append(current)
                continue
            }
            let candidate: LoadedPlugin
            do {
                candidate = try prepare(name: name, settings: settings)
            } catch {
                report.append(keepOrSkip(current, error))
                if let current { next.append(current) }
                continue
            }
            let saved = current.flatMap(saveState)
            if let current { stop(current, reason: "Plugin reloading") }
            do {
                try start(candidate, state: saved)
                next.append(candidate)
                report.append("\(name): generation \(candidate.generation) running (\(candidate.image.version))")
                logger.notice("plugin reloaded", metadata: ["plugin": "\(name)", "generation": "\(candidate.generation)",
                                                           "version": "\(candidate.image.version)"])
            } catch {
                report.append(keepOrSkip(current, error))
                if let revived = current.flatMap({ revive($0, state: saved) }) { next.append(revived) }
            }
        }
        for plugin in active where !plugins.chain.contains(plugin.name) {
            stop(plugin, reason: "Plugin unloaded")
            report.append("\(plugin.name): unloaded")
            logger.notice("plugin unloaded", metadata: ["plugin": "\(plugin.name)"])
        }
        active = next
        rebuildHookOrder()
        return report
    }

    private func needsNewGeneration(_ plugin: LoadedPlugin, settings: [Config.PluginSetting]) -> Bool {
        guard plugin.state == .running, plugin.settings == settings,
              let path = try? PluginImage.locate(plugin.name, in: directory) else { return true }
        return PluginImage.identity(of: path) != plugin.image.identity || path != plugin.image.sourcePath
    }

    private func keepOrSkip(_ current: LoadedPlugin?, _ error: PluginLoadError) -> String {
        let kept = current.map { "; the running version (\($0.image.version), generation \($0.generation)) keeps running" } ?? ""
        logger.error("plugin reload failed", metadata: ["plugin": "\(error.plugin)", "file": "\(error.file ?? "-")",
                                                       "reason": "\(error.reason)\(kept)"])
        return "\(error.plugin): reload failed: \(error.reason)\(kept)"
    }

    private func saveState(_ plugin: LoadedPlugin) -> [UInt8]? {
        guard plugin.state == .running, let save = plugin.info.save_state else { return nil }
        let state = plugin.call("save_state") { save(plugin.handle) }
        guard let pointer = state.ptr, state.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: state.len))
    }

    /// The new generation failed after the old one was shut down: start the old image again
    /// with its old settings and the saved state, so the operator loses nothing.
    private func revive(_ old: LoadedPlugin, state: [UInt8]?) -> LoadedPlugin? {
        generationCounter += 1
        let again = LoadedPlugin(name: old.name, image: old.image, generation: generationCounter,
                                 settings: old.settings, host: self)
        allGenerations.append(again)
        do {
            try start(again, state: state)
            return again
        } catch {
            logger.error("plugin revive failed", metadata: ["plugin": "\(old.name)", "reason": "\(error.reason)"])
            return nil
        }
    }

    public func shutdownAll() {
        for plugin in active.reversed() { stop(plugin, reason: "Server shutting down") }
        active = []
        removeCopyFolder()
    }
}
