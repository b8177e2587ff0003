import Glibc

/// Why a call through the SDK failed.
public enum HostError: Error, Equatable, CustomStringConvertible {
    /// The server refused the call and nothing happened; `reason` is what its log line says
    /// (the line names the plugin), for example "the text contains a line break or a NUL".
    case refused(call: String, reason: String)
    /// A borrowed view (`Message`, `CommandCall`) was used outside the hook or command that
    /// got it: after that returned, or from another thread. `reason` says which.
    case expired(view: String, member: String, reason: String)

    public var description: String {
        switch self {
        case .refused(let call, let reason):
            return "\(call) refused: \(reason)"
        case .expired(let view, let member, let reason):
            return "\(view).\(member) used \(reason): a \(view) is borrowed for that call only; copy what you keep while it runs"
        }
    }
}

/// The calls whose views are readable now. The server hands a hook or command borrowed
/// memory, valid until it returns; each view carries the serial of its call, and the SDK
/// checks it against the calls still running before it touches that memory, so a view kept
/// for later throws instead of reading freed memory. Calls nest (a command may trigger an
/// event hook), hence a stack.
struct LiveCalls {
    private var running: [UInt64] = []
    private var last: UInt64 = 0

    mutating func begin() -> UInt64 {
        last &+= 1
        running.append(last)
        return last
    }

    mutating func end() {
        running.removeLast()
    }

    func isRunning(_ call: UInt64) -> Bool {
        running.last == call || running.contains(call)
    }
}

extension Host {
    /// Runs `body` as one borrowed call: views made with its serial are readable inside only.
    func borrowing<T>(_ body: (UInt64) -> T) -> T {
        let call = live.begin()
        defer { live.end() }
        return body(call)
    }

    /// Throws (and logs, naming the misuse) unless `call` is still running on this thread.
    func checkLive(_ call: UInt64, view: String, member: StaticString, returned: String) throws(HostError) {
        // The thread first: `live` is the loop thread's alone, not even to be read elsewhere.
        // (From another thread the server refuses log() too; the thrown error says it all.)
        guard pthread_equal(pthread_self(), loopThread) != 0 else {
            throw HostError.expired(view: view, member: "\(member)", reason: "from another thread")
        }
        guard !live.isRunning(call) else { return }
        let error = HostError.expired(view: view, member: "\(member)", reason: returned)
        log(.error, "\(error)")
        throw error
    }
}
