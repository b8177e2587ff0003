import Logging
import ParleyBytes
import ParleyChat
import ParleyLoop
import ParleyTransport

/// Replies that may not fit in the client's send queue (LIST on a server with 10,000 rooms, WHO
/// or NAMES of a big room), written as the client reads them instead of queued all at once.
///
/// A reply is a cursor that appends its next line. Lines are made in chunks whenever the
/// client's queue is at or under the low-water mark, up to the high-water mark (a quarter and a
/// half of the send queue, at most 32 and 64 KiB); the connection asks again after each write.
/// So a reply of any length costs one chunk and its cursor, and never trips the send queue. A
/// member of a busy room that does not read is still dropped there, by the fan-out, as before.
///
/// While a reply runs, the client's input is held (`Connection.holdInput`, the same held input
/// the fakelag uses): the lines after the command wait, so the replies to them come after the
/// reply, in order (as on InspIRCd), and at the fakelag's pace. A command with several targets
/// that starts a reply and has more to do (JOIN #big,#next) hands the rest of itself back with
/// `deferRest`, to run like the client's next line.
public final class LongReplies {
    /// Appends the reply's next line to `out` (or nothing, to skip an item that is gone);
    /// returns false once it has appended the last line.
    public typealias Cursor = (_ out: inout [UInt8]) -> Bool

    private struct Reply {
        let command: String
        let cursor: Cursor
        var bytes = 0
        /// How many times the client's socket was full and the reply waited for it to read.
        var waits = 0
        var producedSinceWait = true
    }

    private unowned let connection: Connection
    private let logger: Logger
    /// The running reply first; a reply started while another runs waits behind it.
    private var replies: [Reply] = []
    /// When a reply last made progress: the client is reading, so it is alive (IRC pings).
    public private(set) var lastProgress: UInt64 = 0

    public init(connection: Connection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Whether a reply is still being written; a command that would send more after one it
    /// started defers its rest instead.
    public var isRunning: Bool { !replies.isEmpty }

    /// Starts a reply; as much as fits is queued at once, often all of it.
    public func start(_ command: String, _ cursor: @escaping Cursor) {
        replies.append(Reply(command: command, cursor: cursor))
        if replies.count == 1 { connection.onOutputWritten = { [unowned self] in produce() } }
        produce()
    }

    /// The rest of the command being handled (a line in the client's protocol), to run after
    /// the reply it started, before the client's next line.
    public func deferRest(_ line: String) {
        connection.deferLine(line)
    }

    /// The connection is gone: the cursors are let go (its held input goes with it).
    public func cancel(reason: String) {
        if let reply = replies.first {
            logger.debug("long reply abandoned", metadata: ["client": "\(connection.id)", "command": "\(reply.command)",
                                                            "bytes": "\(reply.bytes)", "reason": "\(reason)"])
        }
        replies = []
        connection.onOutputWritten = nil
    }

    // MARK: Producing

    private var highWater: Int { max(min(connection.sendqLimit / 2, 64 << 10), 512) }

    private func produce() {
        guard connection.state == .open, !replies.isEmpty else { return }
        let high = highWater
        if connection.queuedBytes > high / 2 {
            noteWait()
        } else {
            var out: [UInt8] = []
            out.reserveCapacity(high - connection.queuedBytes + 1024)
            while !replies.isEmpty && connection.queuedBytes + out.count < high {
                let before = out.count
                let more = replies[0].cursor(&out)
                replies[0].bytes += out.count - before
                replies[0].producedSinceWait = true
                if !more { finish(replies.removeFirst()) }
            }
            lastProgress = monotonicNanoseconds()
            if !out.isEmpty { connection.send(OutBytes(out)) }
        }
        if replies.isEmpty {
            connection.onOutputWritten = nil
            connection.releaseInput()
        } else {
            connection.holdInput()
        }
    }

    /// The client's socket is full: the reply waits until it reads. Logged once per reply.
    private func noteWait() {
        guard replies[0].producedSinceWait else { return }
        replies[0].producedSinceWait = false
        replies[0].waits += 1
        guard replies[0].waits == 1 else { return }
        logger.debug("long reply waits for the client to read", metadata: [
            "client": "\(connection.id)", "command": "\(replies[0].command)",
            "bytes": "\(replies[0].bytes)", "queued": "\(connection.queuedBytes)"])
    }

    private func finish(_ reply: Reply) {
        guard reply.waits > 0 else { return }
        logger.debug("long reply done", metadata: ["client": "\(connection.id)", "command": "\(reply.command)",
                                                   "bytes": "\(reply.bytes)", "waits": "\(reply.waits)"])
    }
}

extension LongReplies {
    /// A reply of one line per item (`line` appends nothing for an item that is gone by its
    /// turn), then `end`. The items are the snapshot taken when the command ran.
    public static func each<Items: Collection>(_ items: Items, _ line: @escaping (Items.Element, inout [UInt8]) -> Void,
                                               end: @escaping (inout [UInt8]) -> Void) -> Cursor {
        var index = items.startIndex
        return { out in
            let start = out.count
            while index != items.endIndex {
                let item = items[index]
                index = items.index(after: index)
                line(item, &out)
                if out.count > start { return true }
            }
            end(&out)
            return false
        }
    }
}

extension LongReplies {
    /// The members of a room, as NAMES and /who list them: each call gives the next run of
    /// entries joined by spaces, at most about 400 bytes (a line with room to spare), or nil
    /// once none are left. Members who left the room by their turn are skipped.
    public static func nameRuns(_ members: [ChatUser], in room: Room, _ entry: @escaping (ChatUser) -> String) -> () -> String? {
        var next = 0
        return {
            var run = ""
            while next < members.count {
                let member = members[next]
                guard room.contains(member) else {
                    next += 1
                    continue
                }
                let text = entry(member)
                if !run.isEmpty && run.utf8.count + text.utf8.count + 1 > 400 { break }
                run += run.isEmpty ? text : " " + text
                next += 1
            }
            return run.isEmpty ? nil : run
        }
    }
}

/// A session that writes long replies (both front-ends do): it owns one `LongReplies`, made on
/// first use, so a client that never asks for one costs nothing for it.
public protocol LongReplySession: ClientSession {
    var services: SessionServices { get }
    var longReplies: LongReplies? { get set }
}

extension LongReplySession {
    /// Starts a reply that may be longer than the send queue.
    public func startReply(_ command: String, _ cursor: @escaping LongReplies.Cursor) {
        if longReplies == nil { longReplies = LongReplies(connection: connection, logger: services.logger) }
        longReplies!.start(command, cursor)
    }
}
