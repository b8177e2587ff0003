/// What a file descriptor is watched for, and what the loop reports as ready.
/// A hang-up or an error on the descriptor is reported as `readable`, so the next read sees it.
public struct FileEvents: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let readable = FileEvents(rawValue: 1)
    public static let writable = FileEvents(rawValue: 2)
}

/// Something the loop calls when its file descriptor is ready.
public protocol FileEventHandler: AnyObject {
    func handleFileEvents(_ ready: FileEvents)
}

/// Where readiness comes from. Both give the same level-triggered events.
public enum EventBackend: String, Sendable, CaseIterable {
    /// POSIX poll(): the reference, and the default. Each wait scans every registered socket.
    case poll
    /// Linux epoll: a wait costs nothing per idle socket; for servers with many connections.
    case epoll
}

/// A readiness backend behind the loop: it knows descriptors and masks, never handlers.
protocol ReadinessBackend: AnyObject {
    func add(fd: Int32, events: FileEvents) throws(SystemError)
    func modify(fd: Int32, events: FileEvents) throws(SystemError)
    func remove(fd: Int32)
    /// Waits up to `timeoutNanoseconds` (negative: until something is ready) and appends
    /// what is ready to `ready`.
    func wait(timeoutNanoseconds: Int64, into ready: inout [(fd: Int32, events: FileEvents)]) throws(SystemError)
}
