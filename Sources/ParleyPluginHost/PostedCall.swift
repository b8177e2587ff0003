import CParleyPlugin

/// A plugin's `post()` call on its way to the loop thread. It carries only values that never
/// change (the handle's generation, a C function and its userdata), so it may cross threads.
struct PostedCall: @unchecked Sendable {
    let plugin: LoadedPlugin
    let function: parley_posted_fn
    let userdata: UnsafeMutableRawPointer?

    /// Runs on the loop thread; a generation that stopped meanwhile gets nothing.
    func run() {
        guard plugin.state == .running else { return }
        plugin.call("posted") { function(userdata) }
    }
}
