import Dispatch
import ParleyChat
import ParleyLoop

/// Password checks (yescrypt, about 20 ms each) run on one helper thread, never on the loop,
/// so no number of attempts slows anyone else down; each answer comes back on the loop thread
/// through its wake-up. One thread, so a flood of logins delays logins only.
public final class PasswordChecker {
    private let queue = DispatchQueue(label: "parley.passwords")
    private let poster: LoopPoster
    /// Checked when there is no hash to check against (an unknown operator name), so that
    /// costs the same time as a wrong password and names cannot be told apart by timing.
    private let decoy: String

    public init(poster: LoopPoster) {
        self.poster = poster
        decoy = hashPassword("parley decoy") ?? ""
    }

    /// Checks `password` against `hash` (nil: against the decoy, always false) and calls `done`
    /// on the loop thread with the answer.
    public func check(_ password: String, against hash: String?, then done: @escaping (Bool) -> Void) {
        let answer = LoopThreadOnly(done)
        let target = hash ?? decoy
        let known = hash != nil
        queue.async { [poster] in
            let matches = verifyPassword(password, hash: target) && known
            poster.post { answer.call(matches) }
        }
    }
}

/// A loop-thread closure carried to the helper thread and back, never called there.
private struct LoopThreadOnly: @unchecked Sendable {
    let call: (Bool) -> Void
    init(_ call: @escaping (Bool) -> Void) { self.call = call }
}

/// One connection's password attempts: one check at a time, and a few failures at most.
public struct PasswordAttempts {
    public static let maxFailures = 3
    public private(set) var inFlight = false
    public private(set) var failures = 0

    public init() {}

    /// False while a check is running: the attempt is refused at once, at no cost.
    public mutating func begin() -> Bool {
        guard !inFlight else { return false }
        inFlight = true
        return true
    }

    /// Records the answer; true when the connection has now failed too often.
    public mutating func end(matched: Bool) -> Bool {
        inFlight = false
        if !matched { failures += 1 }
        return failures >= Self.maxFailures
    }
}
