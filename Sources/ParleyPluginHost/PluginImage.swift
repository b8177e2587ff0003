import CParleyPlugin
import Glibc
import ParleyConfig
import ParleyLoop

/// Why a plugin could not be loaded, worded for the operator's log.
public struct PluginLoadError: Error, CustomStringConvertible {
    public let plugin: String
    public let file: String?
    public let reason: String

    public var description: String {
        "\(plugin)" + (file.map { " (\($0))" } ?? "") + ": \(reason)"
    }
}

/// Identity of a plugin file on disk: a rebuilt file differs in at least one of these.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedNanoseconds: Int64
}

/// One dlopen()ed copy of a plugin file. Images are never closed: a Swift image that is
/// dlclose()d crashes the next dynamic cast, so an old generation is only retired.
final class PluginImage {
    let sourcePath: String
    let identity: FileIdentity
    let info: UnsafePointer<parley_plugin_info>

    var version: String { info.pointee.version.map { String(cString: $0) } ?? "?" }
    var abiVersion: String { "\(info.pointee.abi_major).\(info.pointee.abi_minor)" }

    private init(sourcePath: String, identity: FileIdentity, info: UnsafePointer<parley_plugin_info>) {
        self.sourcePath = sourcePath
        self.identity = identity
        self.info = info
    }

    /// Finds `libNAME.so` or `NAME.so` in `directory`.
    static func locate(_ name: String, in directory: String) throws(PluginLoadError) -> String {
        for candidate in ["lib\(name).so", "\(name).so"] {
            let path = directory + "/" + candidate
            if access(path, F_OK) == 0 { return path }
        }
        let available = availablePlugins(in: directory)
        throw PluginLoadError(plugin: name, file: directory + "/lib\(name).so",
                              reason: "no such file (available in \(directory): \(available.isEmpty ? "none" : available.joined(separator: ", ")))")
    }

    static func availablePlugins(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            var raw = entry.pointee.d_name
            let file = withUnsafeBytes(of: &raw) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard file.hasSuffix(".so") else { continue }
            var name = String(file.dropLast(3))
            if name.hasPrefix("lib") { name.removeFirst(3) }
            names.append(name)
        }
        return names.sorted()
    }

    /// Refuses a file or folder that others could write, as sshd's StrictModes does: whoever
    /// can replace the file can run code inside the server.
    /// Refuses a plugin anyone but its owner could replace: the folder it is found in, the
    /// file, and, behind a symlink, the real file and every folder on its real path must not
    /// be writable by group or others (a sticky folder such as /tmp is fine: others cannot
    /// rename or delete what is not theirs there).
    static func checkPermissions(of path: String, plugin: String) throws(PluginLoadError) {
        var targets = [("plugin folder", ConfigLoader.directory(of: path)), ("plugin file", path)]
        guard let resolved = realpath(path, nil) else {
            throw PluginLoadError(plugin: plugin, file: path, reason: "cannot resolve the plugin file's real path: \(SystemError("realpath"))")
        }
        let real = String(cString: resolved)
        free(resolved)
        if real != path {
            targets.append(("real plugin file (behind the symlink)", real))
            var folder = ConfigLoader.directory(of: real)
            while true {
                targets.append(("folder on the plugin's real path", folder))
                if folder == "/" { break }
                folder = ConfigLoader.directory(of: folder)
            }
        }
        for (what, target) in targets {
            var status = stat()
            guard stat(target, &status) == 0 else {
                throw PluginLoadError(plugin: plugin, file: path, reason: "cannot stat \(what) \(target): \(SystemError("stat"))")
            }
            let sticky = status.st_mode & S_IFMT == S_IFDIR && status.st_mode & S_ISVTX != 0
            if status.st_mode & (S_IWGRP | S_IWOTH) != 0 && !sticky {
                let mode = String(status.st_mode & 0o777, radix: 8)
                throw PluginLoadError(plugin: plugin, file: path,
                    reason: "refusing to load: the \(what) \(target) is writable by group or others (mode \(mode)); run chmod go-w on it, or set insecure_plugin_permissions = true if you accept the risk")
            }
        }
    }

    static func identity(of path: String) -> FileIdentity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int64(status.st_size),
                            modifiedNanoseconds: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
    }

    /// Copies the file to a private unique path and loads that copy, so a rebuild that
    /// rewrites the original in place can never corrupt a mapped image.
    static func load(name: String, path: String, identity: FileIdentity, copyDirectory: String,
                     generation: Int) throws(PluginLoadError) -> PluginImage {
        let copy = "\(copyDirectory)/\(name).\(generation).so"
        guard copyFile(from: path, to: copy) else {
            throw PluginLoadError(plugin: name, file: path, reason: "cannot copy to \(copy): \(SystemError("copy"))")
        }
        defer { unlink(copy) }  // The mapping stays valid; nothing is left lying around.
        guard let handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw PluginLoadError(plugin: name, file: path, reason: "dlopen failed: \(reason)")
        }
        guard let symbol = dlsym(handle, PARLEY_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(plugin: name, file: path,
                                  reason: "missing entry symbol \(PARLEY_PLUGIN_ENTRY_SYMBOL): not a Parley plugin")
        }
        let entry = unsafeBitCast(symbol, to: parley_plugin_entry_fn.self)
        guard let info = entry(UInt32(PARLEY_ABI_MAJOR), UInt32(PARLEY_ABI_MINOR)) else {
            throw PluginLoadError(plugin: name, file: path,
                                  reason: "the plugin declined to load (its entry returned no descriptor for host ABI \(PARLEY_ABI_MAJOR).\(PARLEY_ABI_MINOR))")
        }
        guard info.pointee.size >= MemoryLayout<parley_plugin_info>.offset(of: \.shutdown)! else {
            throw PluginLoadError(plugin: name, file: path, reason: "descriptor too small (\(info.pointee.size) bytes)")
        }
        guard info.pointee.abi_major == UInt32(PARLEY_ABI_MAJOR) else {
            throw PluginLoadError(plugin: name, file: path,
                reason: "ABI major mismatch: the plugin was built for ABI \(info.pointee.abi_major).\(info.pointee.abi_minor), this server speaks \(PARLEY_ABI_MAJOR).\(PARLEY_ABI_MINOR); rebuild it against this server's parley_plugin.h")
        }
        guard info.pointee.name != nil, info.pointee.initialize != nil else {
            throw PluginLoadError(plugin: name, file: path, reason: "descriptor has no name or no initialize function")
        }
        return PluginImage(sourcePath: path, identity: identity, info: info)
    }

    private static func copyFile(from source: String, to destination: String) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o700)
        guard output >= 0 else { return false }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count == 0 { return true }
            if count < 0 { return false }
            var offset = 0
            while offset < count {
                let written = buffer[offset..<count].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
                if written <= 0 { return false }
                offset += written
            }
        }
    }
}
