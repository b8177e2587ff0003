import CParleyPlugin
import CParleySys
import Glibc
import Logging
import ParleyChat
import ParleyConfig
import ParleyLoop

/// Loads plugins, keeps the chain in config order, dispatches hooks, and reloads.
/// Everything here runs on the loop thread.
public final class PluginHost {
    struct MessageHook {
        let owner: LoadedPlugin
        let function: parley_message_hook
        let userdata: UnsafeMutableRawPointer?
    }

    struct EventHook {
        let owner: LoadedPlugin
        let function: parley_event_hook
        let userdata: UnsafeMutableRawPointer?
    }

    package let loop: EventLoop
    /// The loop's wake-up, for plugins' post() from any thread.
    let poster: LoopPoster
    package let chat: ChatServer
    /// The running config; the server sets the fresh one before `reload()`.
    public var config: Config {
        didSet { hookBudgetNanoseconds = UInt64(config.plugins.hookBudgetMilliseconds) * 1_000_000 }
    }
    /// Read on every hook call, so kept apart from the config.
    private(set) var hookBudgetNanoseconds: UInt64
    let logger: Logger
    /// Names the front-ends handle themselves; no plugin may register them.
    public var reservedCommandNames: Set<String> = []
    public let directory: String
    /// The running generation of each plugin, in chain order.
    var active: [LoadedPlugin] = []
    /// Every generation ever created: handles must stay valid for the life of the process.
    var allGenerations: [LoadedPlugin] = []
    private var images: [String: PluginImage] = [:]
    var generationCounter = 0
    private let copyDirectory: String
    let loopThread = pthread_self()

    var messageHooks: [[MessageHook]] = Array(repeating: [], count: 4)
    var eventHooks: [UInt32: [EventHook]] = [:]
    var commands: [String: PluginCommand] = [:]
    var pendingBotMessages: [ChatMessage] = []
    var drainingBotMessages = false
    var currentMessage: MessageCall?
    var currentEvent: EventCall?
    var currentCommand: CommandCall?
    var nextTimerID: UInt64 = 0

    /// The longest text a plugin may hand back for a message line.
    var maxTextBytes: Int { config.limits.maxLineBytes }

    public init(loop: EventLoop, chat: ChatServer, config: Config, logger: Logger, directory: String) throws {
        self.loop = loop
        self.poster = loop.poster
        self.chat = chat
        self.config = config
        self.hookBudgetNanoseconds = UInt64(config.plugins.hookBudgetMilliseconds) * 1_000_000
        self.logger = logger
        self.directory = directory
        let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(temporary)/parley-plugins-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError("mkdtemp") }
        copyDirectory = String(cString: made)
        parley_install_crash_reporter()
    }

    /// Removes the private folder that held the copies (each copy is unlinked once mapped).
    public func removeCopyFolder() {
        rmdir(copyDirectory)
    }

    // MARK: Loading

    /// Loads the configured chain at startup. A failing plugin is logged and skipped,
    /// unless it is required: then startup stops with that error.
    public func loadConfigured() throws(PluginLoadError) {
        let plugins = config.plugins
        for name in plugins.chain {
            do {
                let plugin = try prepare(name: name, settings: plugins.sections[name] ?? [])
                try start(plugin, state: nil)
                active.append(plugin)
                logger.notice("plugin loaded", metadata: ["plugin": "\(name)", "version": "\(plugin.image.version)",
                                                         "file": "\(plugin.image.sourcePath)"])
            } catch {
                logger.error("plugin load failed", metadata: ["plugin": "\(name)", "file": "\(error.file ?? "-")",
                                                             "reason": "\(error.reason)"])
                if plugins.required.contains(name) { throw error }
            }
        }
        rebuildHookOrder()
    }

    /// Finds, checks, loads (or reuses) the image and runs config_check.
    func prepare(name: String, settings: [Config.PluginSetting]) throws(PluginLoadError) -> LoadedPlugin {
        let path = try PluginImage.locate(name, in: directory)
        if !config.plugins.allowInsecurePermissions {
            try PluginImage.checkPermissions(of: path, plugin: name)
        }
        guard let identity = PluginImage.identity(of: path) else {
            throw PluginLoadError(plugin: name, file: path, reason: "cannot stat: \(SystemError("stat"))")
        }
        generationCounter += 1
        let image: PluginImage
        if let cached = images[path], cached.identity == identity {
            image = cached
        } else {
            image = try PluginImage.load(name: name, path: path, identity: identity,
                                         copyDirectory: copyDirectory, generation: generationCounter)
            images[path] = image
        }
        let plugin = LoadedPlugin(name: name, image: image, generation: generationCounter, settings: settings, host: self)
        allGenerations.append(plugin)
        if let check = image.info.pointee.config_check {
            let status = withCConfig(settings) { config in
                plugin.call("config_check") { check(plugin.handle, HostAPITable.pointer, config) }
            }
            if status != 0 {
                plugin.state = .retired
                throw PluginLoadError(plugin: name, file: path,
                                      reason: "config rejected by the plugin: \(plugin.lastError ?? "no reason given")")
            }
        }
        return plugin
    }

    /// Runs initialize (and restore_state when handing over). On failure everything the
    /// plugin registered so far is removed.
    func start(_ plugin: LoadedPlugin, state: [UInt8]?) throws(PluginLoadError) {
        plugin.state = .initializing
        let initialize = plugin.info.initialize!
        let status = withCConfig(plugin.settings) { config in
            plugin.call("initialize") { initialize(plugin.handle, HostAPITable.pointer, config) }
        }
        guard status == 0 else {
            removeEverything(of: plugin)
            throw PluginLoadError(plugin: plugin.name, file: plugin.image.sourcePath,
                                  reason: "initialize failed: \(plugin.lastError ?? "no reason given")")
        }
        plugin.state = .running
        if let state, let restore = plugin.info.restore_state {
            state.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    plugin.call("restore_state") {
                        restore(plugin.handle, parley_str(ptr: chars.baseAddress, len: chars.count))
                    }
                }
            }
        }
    }

    /// Shuts a generation down and removes its hooks, commands, timers and bots.
    func stop(_ plugin: LoadedPlugin, reason: String) {
        guard plugin.state == .running else { return }
        if let shutdown = plugin.info.shutdown {
            plugin.call("shutdown") { shutdown(plugin.handle) }
        }
        removeEverything(of: plugin, botReason: reason)
    }

    func removeEverything(of plugin: LoadedPlugin, botReason: String = "Plugin unloaded") {
        plugin.state = .retired
        for timer in plugin.timers.values { loop.timers.cancel(timer) }
        plugin.timers = [:]
        for bot in plugin.bots.values { chat.quit(bot, reason: botReason) }
        plugin.bots = [:]
        for name in plugin.commandNames where commands[name]?.owner === plugin { commands[name] = nil }
        plugin.commandNames = []
        for phase in messageHooks.indices { messageHooks[phase].removeAll { $0.owner === plugin } }
        for kind in eventHooks.keys { eventHooks[kind]?.removeAll { $0.owner === plugin } }
    }

    /// Hooks run in phase order, and within a phase in chain (config) order.
    func rebuildHookOrder() {
        let order = Dictionary(uniqueKeysWithValues: active.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
        let rank: (LoadedPlugin) -> Int = { order[ObjectIdentifier($0)] ?? Int.max }
        for phase in messageHooks.indices {
            messageHooks[phase].sort { rank($0.owner) < rank($1.owner) }
        }
        for kind in eventHooks.keys {
            eventHooks[kind]?.sort { rank($0.owner) < rank($1.owner) }
        }
    }

}

/// Nanoseconds as milliseconds with three decimals, without Foundation.
func milliseconds(_ nanoseconds: UInt64) -> String {
    let micros = (nanoseconds + 500) / 1000
    let fraction = String(micros % 1000)
    return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

/// Copies settings into C strings for the duration of one call.
func withCConfig<T>(_ settings: [Config.PluginSetting], _ body: (UnsafePointer<parley_config>) -> T) -> T {
    var storage: [UnsafeMutablePointer<CChar>] = []
    defer { storage.forEach { free($0) } }
    var entries: [parley_config_entry] = []
    for setting in settings {
        let key = strdup(setting.key)!
        let value = strdup(setting.value)!
        storage.append(key)
        storage.append(value)
        entries.append(parley_config_entry(key: parley_str(ptr: key, len: setting.key.utf8.count),
                                           value: parley_str(ptr: value, len: setting.value.utf8.count)))
    }
    return entries.withUnsafeBufferPointer { buffer in
        var config = parley_config(size: MemoryLayout<parley_config>.size, count: buffer.count, entries: buffer.baseAddress)
        return withUnsafePointer(to: &config) { body($0) }
    }
}
