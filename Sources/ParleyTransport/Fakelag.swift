import Glibc

/// How fast one client's lines are processed (fakelag, as Ergo and InspIRCd call it): a burst,
/// then a steady rate. Lines past it wait, in order, and are never dropped; a client whose
/// waiting input grows past `recvqBytes` is disconnected (Excess Flood).
public struct FloodPolicy: Equatable, Sendable {
    public var linesPerSecond: Double
    /// Lines processed at once after a quiet spell.
    public var burst: Int
    /// What a `.heavy` line (WHO, LIST, NAMES, WHOIS...) counts as, in lines.
    public var heavyLineCost: Int
    /// Input that may wait behind the fakelag, in bytes.
    public var recvqBytes: Int
    /// Lines a connection may send before it registers (they are not fakelagged): past this,
    /// it is an Excess Flood, as Ergo's registration-messages.
    public var registrationLines: Int

    public init(linesPerSecond: Double, burst: Int, heavyLineCost: Int, recvqBytes: Int, registrationLines: Int = 64) {
        self.linesPerSecond = linesPerSecond
        self.burst = burst
        self.heavyLineCost = heavyLineCost
        self.recvqBytes = recvqBytes
        self.registrationLines = registrationLines
    }
}

/// What a line a session handled counts for against its client's fakelag.
public enum LineWeight: Sendable {
    /// Not counted: lines before registration (bounded by `FloodPolicy.registrationLines`, the
    /// registration timeout and the connection limits instead). Server operators are exempt as a whole
    /// (`Connection.isFakelagExempt`).
    case free
    case normal
    /// A command that costs the server more than a message: `FloodPolicy.heavyLineCost` lines.
    case heavy
}

/// A token bucket: `burst` tokens when full, refilled at `linesPerSecond`; a line may be
/// processed while at least one token is left, and its weight is taken afterwards, so a heavy
/// command can run the bucket into debt that the following lines wait out.
struct Fakelag {
    private(set) var policy: FloodPolicy?
    private var tokens: Double
    private var refilledAt: UInt64

    init(policy: FloodPolicy?, now: UInt64) {
        self.policy = policy
        tokens = Double(policy?.burst ?? 0)
        refilledAt = now
    }

    var isLimited: Bool { policy != nil }

    /// Input that may wait, in bytes: unbounded without a policy (nothing waits then).
    var recvqBytes: Int { policy?.recvqBytes ?? .max }

    /// A new policy keeps the tokens earned so far (at most the new burst).
    mutating func setPolicy(_ new: FloodPolicy?, now: UInt64) {
        refill(now)
        if policy == nil, let new { tokens = Double(new.burst) }
        policy = new
        if let new { tokens = min(tokens, Double(new.burst)) }
    }

    mutating func allowsLine(at now: UInt64) -> Bool {
        guard policy != nil else { return true }
        refill(now)
        return tokens >= 1
    }

    /// Takes a handled line's weight; returns whether the next line may follow at once.
    mutating func charge(_ weight: LineWeight, at now: UInt64) -> Bool {
        guard let policy else { return true }
        switch weight {
        case .free: break
        case .normal: tokens -= 1
        case .heavy: tokens -= Double(policy.heavyLineCost)
        }
        return allowsLine(at: now)
    }

    /// How long until the next line may be processed.
    func nanosecondsUntilNextLine(at now: UInt64) -> UInt64 {
        guard let policy else { return 0 }
        let elapsed = Double(now &- refilledAt) / 1e9
        let missing = 1 - min(Double(policy.burst), tokens + elapsed * policy.linesPerSecond)
        return missing <= 0 ? 0 : UInt64((missing / policy.linesPerSecond * 1e9).rounded(.up))
    }

    private mutating func refill(_ now: UInt64) {
        if let policy, now > refilledAt {
            tokens = min(Double(policy.burst), tokens + Double(now - refilledAt) / 1e9 * policy.linesPerSecond)
        }
        refilledAt = max(refilledAt, now)
    }
}

/// Bytes read from a client that wait for their turn behind its fakelag (its receive queue).
struct HeldInput {
    private var bytes: [UInt8] = []
    private var start = 0

    var count: Int { bytes.count - start }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
    }

    /// Lends the waiting bytes; `body` returns how many it used.
    func withBytes(_ body: (UnsafeRawBufferPointer) -> Int) -> Int {
        bytes[start...].withUnsafeBytes(body)
    }

    /// Puts `line` (with its line ending) before everything waiting.
    mutating func prepend(_ line: [UInt8]) {
        bytes = line + bytes[start...]
        start = 0
    }

    /// Drops the first `used` bytes.
    mutating func drop(_ used: Int) {
        start += used
        if start == bytes.count {
            bytes = []
            start = 0
        } else if start > 65536 && start > bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
    }
}
