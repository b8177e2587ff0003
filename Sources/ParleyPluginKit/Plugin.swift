import CParleyPlugin

/// What a Parley plugin written in Swift implements: one type, plus one export line.
///
///     final class Shout: Plugin {
///         static let name = "Shout"
///         static let version = "1.0.0"
///         init(host: Host, config: PluginConfig) throws {
///             host.onMessage(.transform) { message in
///                 try message.setText(try message.text.uppercased())
///                 return .pass
///             }
///         }
///     }
///
///     @_cdecl("parley_plugin_entry")
///     public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(Shout.self, major, minor) }
///
/// Everything runs on the server's loop thread: hooks must be quick and must not block.
public protocol Plugin: AnyObject {
    static var name: String { get }
    static var version: String { get }
    static var description: String { get }

    /// Validates the config before `init`, and again before a reload; must not change state.
    /// Throw `PluginError` (or any error) with a message for the operator to reject it.
    static func checkConfig(_ config: PluginConfig) throws

    /// Registers hooks, commands, bots and timers with `host`. Throwing fails the load.
    init(host: Host, config: PluginConfig) throws

    /// Called before the host removes everything the plugin registered.
    func shutdown()

    /// Reload hand-over: bytes for the next generation's `restoreState`, or nil for none.
    func saveState() -> [UInt8]?
    func restoreState(_ state: [UInt8])
}

extension Plugin {
    public static var description: String { "" }
    public static func checkConfig(_ config: PluginConfig) throws {}
    public func shutdown() {}
    public func saveState() -> [UInt8]? { nil }
    public func restoreState(_ state: [UInt8]) {}
}

/// An error with a message for the operator (config problems) or the user (command errors).
public struct PluginError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public typealias UserID = UInt64

public enum Phase: Sendable {
    /// May reject (the sender is told why) or drop.
    case validate
    /// May rewrite the text with `Message.setText`, drop or reject.
    case transform
    /// May attach metadata with `Message.annotate`; cannot drop.
    case annotate
    /// Read-only, once the message is accepted for delivery (nothing can stop it now): bots react here.
    case observe

    var abi: parley_phase {
        switch self {
        case .validate: return PARLEY_PHASE_VALIDATE
        case .transform: return PARLEY_PHASE_TRANSFORM
        case .annotate: return PARLEY_PHASE_ANNOTATE
        case .observe: return PARLEY_PHASE_OBSERVE
        }
    }
}

public enum Verdict: Sendable, Equatable {
    /// Carry on (the text may have been changed).
    case pass
    /// Accept now: skip the later hooks of this phase.
    case stop
    /// Discard silently.
    case drop
    /// Discard and tell the sender why.
    case reject(String)
}

public enum MessageKind: Sendable {
    case say, action, notice
}
