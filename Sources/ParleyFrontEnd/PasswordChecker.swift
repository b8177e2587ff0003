import Dispatch
import Logging
import ParleyChat
import ParleyConfig
import ParleyLoop

/// What became of a password attempt.
public enum PasswordVerdict: Equatable, Sendable {
    case matched
    case wrong
    /// Refused without a check: the address failed too often (see `PasswordThrottle`).
    case coolingDown(retryAfterSeconds: Int)
}

/// Password checks (yescrypt, about 20 ms each) run on one helper thread, never on the loop,
/// so no number of attempts slows anyone else down; each answer comes back on the loop thread
/// through its wake-up. One thread, so a flood of logins delays logins only. Attempts are
/// paced per IP address first (`PasswordThrottle`): an address that keeps failing waits longer
/// for each check, then is refused at once, without a hash, until its cool-down ends.
public final class PasswordChecker {
    private let queue = DispatchQueue(label: "parley.passwords")
    private let loop: EventLoop
    private let logger: Logger
    private var throttle: PasswordThrottle
    /// Checked when there is no hash to check against (an unknown operator name), so that
    /// costs the same time as a wrong password and names cannot be told apart by timing.
    private let decoy: String

    public init(loop: EventLoop, limits: Config.PasswordLimits, logger: Logger) {
        self.loop = loop
        self.logger = logger
        throttle = PasswordThrottle(limits: limits)
        decoy = hashPassword("parley decoy") ?? ""
    }

    /// The per-address limits; a reload replaces them, and what was counted stays.
    public var limits: Config.PasswordLimits {
        get { throttle.limits }
        set { throttle.limits = newValue }
    }

    /// Checks `password`, sent from `address`, against `hash` (nil: against the decoy, never a
    /// match) and calls `done` on the loop thread with the verdict: at once when the address is
    /// cooling down, otherwise after the check (and the address's wait, if it has one).
    public func check(_ password: String, against hash: String?, from address: String,
                      then done: @escaping (PasswordVerdict) -> Void) {
        switch throttle.admit(address, now: monotonicNanoseconds()) {
        case .refused(let seconds):
            logger.warning("password attempt refused", metadata: [
                "peer": "\(address)", "retry_seconds": "\(seconds)",
                "reason": "too many failed password attempts from this address; no check was run",
            ])
            done(.coolingDown(retryAfterSeconds: seconds))
        case .now:
            run(password, against: hash, from: address, then: done)
        case .after(let milliseconds):
            logger.info("password attempt delayed", metadata: [
                "peer": "\(address)", "milliseconds": "\(milliseconds)", "reason": "earlier failed attempts from this address",
            ])
            loop.timers.schedule(afterMilliseconds: milliseconds) { [self] in
                run(password, against: hash, from: address, then: done)
            }
        }
    }

    private func run(_ password: String, against hash: String?, from address: String,
                     then done: @escaping (PasswordVerdict) -> Void) {
        let answer = LoopThreadOnly { [self] matched in
            logger.debug("password checked", metadata: ["peer": "\(address)", "matched": "\(matched)"])
            if let cooldown = throttle.record(address, matched: matched, now: monotonicNanoseconds()) {
                logger.warning("password cool-down started", metadata: [
                    "peer": "\(address)", "seconds": "\(cooldown)",
                    "reason": "\(throttle.limits.failuresPerIP) failed password attempts from this address",
                ])
            }
            done(matched ? .matched : .wrong)
        }
        let target = hash ?? decoy
        let known = hash != nil
        queue.async { [poster = loop.poster] in
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

    /// Records the answer; true when the connection has now failed too often. An attempt
    /// refused for its address's cool-down was never checked, so it is no failure here.
    public mutating func end(_ verdict: PasswordVerdict) -> Bool {
        inFlight = false
        if verdict == .wrong { failures += 1 }
        return failures >= Self.maxFailures
    }
}
