import CParleyPlugin
import Glibc

/// The per-image registry behind the C entry points. Plugins run on the loop thread only,
/// so plain globals are safe here.
enum Instances {
    struct Instance {
        let plugin: any Plugin
        let host: Host
        var savedState: UnsafeMutableBufferPointer<UInt8>?
    }

    nonisolated(unsafe) static var type: (any Plugin.Type)?
    nonisolated(unsafe) static var info: UnsafeMutablePointer<parley_plugin_info>?
    nonisolated(unsafe) static var live: [OpaquePointer: Instance] = [:]
    /// Hosts exist from the start of init, before the instance does.
    nonisolated(unsafe) static var hosts: [OpaquePointer: Host] = [:]

    static func host(for handle: OpaquePointer?) -> Host? {
        handle.flatMap { hosts[$0] }
    }

    static func config(_ raw: UnsafePointer<parley_config>?) -> PluginConfig {
        guard let raw, let entries = raw.pointee.entries else { return PluginConfig(entries: []) }
        return PluginConfig(entries: (0..<raw.pointee.count).map { (entries[$0].key.string, entries[$0].value.string) })
    }

    static func fail(_ handle: OpaquePointer?, _ api: UnsafePointer<parley_host_api>?, _ error: any Error) -> Int32 {
        var message = "\(error)"
        message.withParleyStr { api?.pointee.set_error(handle, $0) }
        return 1
    }
}

/// The body of a Swift plugin's export line:
///
///     @_cdecl("parley_plugin_entry")
///     public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(MyPlugin.self, major, minor) }
///
/// The descriptor names the ABI this SDK was built for; a host of another major refuses it
/// and says which two versions differ, so nothing is checked here.
public func export<P: Plugin>(_ type: P.Type, _ hostMajor: UInt32, _ hostMinor: UInt32) -> UnsafeRawPointer? {
    if let info = Instances.info { return UnsafeRawPointer(info) }
    Instances.type = type
    let info = UnsafeMutablePointer<parley_plugin_info>.allocate(capacity: 1)
    info.initialize(to: parley_plugin_info(
        size: MemoryLayout<parley_plugin_info>.size,
        abi_major: UInt32(PARLEY_ABI_MAJOR),
        abi_minor: UInt32(PARLEY_ABI_MINOR),
        name: UnsafePointer(strdup(P.name)),
        version: UnsafePointer(strdup(P.version)),
        description: UnsafePointer(strdup(P.description)),
        config_check: { handle, api, config in
            do {
                try Instances.type?.checkConfig(Instances.config(config))
                return 0
            } catch {
                return Instances.fail(handle, api, error)
            }
        },
        initialize: { handle, api, config in
            guard let handle, let api, let type = Instances.type else { return 1 }
            let host = Host(handle: handle, api: api)
            Instances.hosts[handle] = host
            do {
                let plugin = try type.init(host: host, config: Instances.config(config))
                Instances.live[handle] = Instances.Instance(plugin: plugin, host: host, savedState: nil)
                return 0
            } catch {
                Instances.hosts[handle] = nil
                host.releaseBoxes()
                return Instances.fail(handle, api, error)
            }
        },
        shutdown: { handle in
            guard let handle, let instance = Instances.live.removeValue(forKey: handle) else { return }
            instance.plugin.shutdown()
            instance.savedState?.deallocate()
            Instances.hosts[handle] = nil
            instance.host.releaseBoxes()
        },
        save_state: { handle in
            guard let handle, var instance = Instances.live[handle], let bytes = instance.plugin.saveState() else {
                return parley_str(ptr: nil, len: 0)
            }
            instance.savedState?.deallocate()
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = buffer.initialize(from: bytes)
            instance.savedState = buffer
            Instances.live[handle] = instance
            return parley_str(ptr: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), len: bytes.count)
        },
        restore_state: { handle, state in
            guard let handle, let instance = Instances.live[handle] else { return }
            let bytes = state.ptr.map { Array(UnsafeRawBufferPointer(start: $0, count: state.len)) } ?? []
            instance.plugin.restoreState(bytes)
        }
    ))
    Instances.info = info
    return UnsafeRawPointer(info)
}

