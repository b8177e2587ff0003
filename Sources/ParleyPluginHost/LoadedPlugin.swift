import CParleyPlugin
import CParleySys
import Glibc
import ParleyChat
import ParleyConfig
import ParleyLoop
import Synchronization

/// Time spent in one kind of hook of one plugin.
public struct HookStats: Sendable {
    public var calls = 0
    public var totalNanoseconds: UInt64 = 0
    public var maxNanoseconds: UInt64 = 0

    mutating func record(_ elapsed: UInt64) {
        calls += 1
        totalNanoseconds += elapsed
        maxNanoseconds = max(maxNanoseconds, elapsed)
    }
}

/// One generation of one plugin: its image, its handle, and everything it registered, so
/// the host can remove all of it when the plugin goes.
final class LoadedPlugin {
    enum State: Equatable {
        case checking
        case initializing
        case running
        /// Shut down or replaced. The object stays alive forever, so a stale handle that a
        /// plugin still holds gets PARLEY_ERR_STATE instead of a crash.
        case retired
    }

    let name: String
    let image: PluginImage
    let generation: Int
    let settings: [Config.PluginSetting]
    unowned let host: PluginHost
    var state: State = .checking {
        didSet { acceptsPosts.store(state == .initializing || state == .running, ordering: .releasing) }
    }
    /// The stage, as other threads may read it: post() is refused (PARLEY_ERR_STATE) during
    /// config_check and once retired, like every other call the stage does not allow.
    let acceptsPosts = Atomic<Bool>(false)
    /// The reason set by the plugin with host->set_error, for the operator.
    var lastError: String?
    /// Why the plugin's last refused host call was refused, for host->last_error. The buffer
    /// is never freed, so what last_error handed out stays readable (it may be overwritten
    /// by a later call); cleared as every call but log, set_error and last_error starts.
    private let refusalBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: LoadedPlugin.refusalCapacity)
    private var refusalLength = 0
    static let refusalCapacity = 512
    var timers: [UInt64: TimerID] = [:]
    var bots: [UInt64: ChatUser] = [:]
    var commandNames: [String] = []
    /// Keyed by the hook label's address: no string is built on the message path.
    private var statsByHook: [UnsafeRawPointer: (label: StaticString, stats: HookStats)] = [:]

    /// Time per kind of hook, by label, for /plugins.
    var stats: [(hook: String, stats: HookStats)] {
        statsByHook.values.map { ("\($0.label)", $0.stats) }.sorted { $0.hook < $1.hook }
    }
    /// NUL-terminated copy of the name for crash breadcrumbs; never freed.
    let crumbName: UnsafeMutablePointer<CChar>

    init(name: String, image: PluginImage, generation: Int, settings: [Config.PluginSetting], host: PluginHost) {
        self.name = name
        self.image = image
        self.generation = generation
        self.settings = settings
        self.host = host
        self.crumbName = strdup(name)
    }

    /// The opaque `parley_plugin *` the plugin gets. The host keeps every LoadedPlugin alive,
    /// so the pointer never dangles.
    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> LoadedPlugin? {
        guard let handle else { return nil }
        return Unmanaged<LoadedPlugin>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    var info: parley_plugin_info { image.info.pointee }

    var refusal: parley_str {
        parley_str(ptr: UnsafeRawPointer(refusalBytes).assumingMemoryBound(to: CChar.self), len: refusalLength)
    }

    /// Keeps `reason` for last_error, cut on a character boundary to fit.
    func setRefusal(_ reason: String) {
        var bytes = Array(reason.utf8.prefix(Self.refusalCapacity))
        if bytes.count < reason.utf8.count {
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        }
        bytes.withUnsafeBufferPointer { refusalBytes.update(from: $0.baseAddress!, count: $0.count) }
        refusalLength = bytes.count
    }

    func clearRefusal() {
        refusalLength = 0
    }

    /// Calls into the plugin with timing and a crash breadcrumb.
    /// `detail` names what ran in the over-budget log line (the command, say); the stats stay by kind.
    func call<T>(_ hook: StaticString, detail: String? = nil, _ body: () -> T) -> T {
        parley_breadcrumb_set(crumbName, UnsafeRawPointer(hook.utf8Start).assumingMemoryBound(to: CChar.self))
        let start = monotonicNanoseconds()
        let result = body()
        let key = UnsafeRawPointer(hook.utf8Start)
        let elapsed = monotonicNanoseconds() - start
        if statsByHook[key] == nil { statsByHook[key] = (hook, HookStats()) }
        statsByHook[key]!.stats.record(elapsed)
        parley_breadcrumb_set(nil, nil)
        if elapsed > host.hookBudgetNanoseconds { host.reportOverBudget(self, hook, detail: detail, elapsed) }
        return result
    }
}
