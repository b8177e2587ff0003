import Glibc
import XCTest
@testable import ParleyBytes
@testable import ParleyTransport

/// The output queue gathers shared chunks into one buffer per write: partial writes, chunks
/// larger than the buffer and a chunk cut by a partial write must all come out byte for byte.
final class OutputQueueTests: XCTestCase {
    func testGatheredWritesSurviveBackpressureByteForByte() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        var small: Int32 = 4096
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        XCTAssertEqual(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK), 0)

        var expected: [UInt8] = []
        var queue = OutputQueue()
        // Small lines, a chunk bigger than the gather buffer, then small lines again.
        for index in 0..<3000 {
            let bytes: [UInt8] = index == 1500
                ? [UInt8](repeating: UInt8(ascii: "x"), count: 70_000) + [13, 10]
                : Array("line \(index) of the test\r\n".utf8)
            expected += bytes
            let chunk = OutBytes(bytes)
            queue.append(chunk, 0..<chunk.count)
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { scratch.deallocate() }

        var received: [UInt8] = []
        var reads = [UInt8](repeating: 0, count: 8192)
        var blockedAtLeastOnce = false
        for _ in 0..<100_000 where received.count < expected.count {
            switch queue.flush(to: SocketSink(fd: fds[0]), gatheringIn: scratch) {
            case .blocked: blockedAtLeastOnce = true
            case .drained: break
            case .failed(let error): return XCTFail("write failed: \(error)")
            }
            let count = recv(fds[1], &reads, reads.count, Int32(MSG_DONTWAIT))
            if count > 0 { received += reads[0..<count] }
        }
        XCTAssertTrue(blockedAtLeastOnce, "the socket buffer never filled: partial writes were not exercised")
        XCTAssertTrue(queue.isEmpty)
        XCTAssertEqual(received.count, expected.count)
        XCTAssertTrue(received == expected, "bytes differ from what was queued")
    }
}

/// Room messages share arenas: consecutive slices merge, a slow client copies instead of
/// pinning arenas, and every byte still arrives in order.
final class MessageArenaTests: XCTestCase {
    func testConsecutiveMessagesLandSideBySideAndMergeInTheQueue() throws {
        let arena = MessageArena()
        let first = arena.store(OutBytes(line: "one"))
        let second = arena.store(OutBytes(line: "two"))
        XCTAssertTrue(first.bytes === second.bytes)
        XCTAssertEqual(first.range.upperBound, second.range.lowerBound)
        let (written, queue) = try drain([first, second])
        XCTAssertEqual(String(decoding: written, as: UTF8.self), "one\r\ntwo\r\n")
        XCTAssertTrue(queue.isEmpty)
    }

    func testAFullArenaStartsAnotherAndAHugeMessageKeepsItsOwnBytes() {
        let arena = MessageArena()
        let line = OutBytes([UInt8](repeating: UInt8(ascii: "a"), count: 1000))
        let firstArena = arena.store(line).bytes
        var sawNewArena = false
        for _ in 0..<(MessageArena.capacity / 1000 + 2) where arena.store(line).bytes !== firstArena { sawNewArena = true }
        XCTAssertTrue(sawNewArena)
        let huge = OutBytes([UInt8](repeating: UInt8(ascii: "b"), count: MessageArena.capacity))
        XCTAssertTrue(arena.store(huge).bytes === huge)
    }

    func testASlowClientGetsEveryByteAndCopiesRatherThanPinningArenas() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        var small: Int32 = 4096
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        XCTAssertEqual(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK), 0)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { scratch.deallocate() }

        let arena = MessageArena()
        var queue = OutputQueue()
        var expected: [UInt8] = []
        // Fill the socket until the queue reports it is backlogged.
        var index = 0
        while true {
            let stored = arena.store(OutBytes(line: "message \(index) for a client that does not read"))
            expected += Array(UnsafeRawBufferPointer(rebasing: stored.bytes.storage[stored.range]))
            queue.append(stored.bytes, stored.range)
            index += 1
            if queue.flush(to: SocketSink(fd: fds[0]), gatheringIn: scratch) == .blocked { break }
        }
        // While backlogged, thousands more messages pass through fresh arenas; the queue
        // copies them, so the arenas it never began to send are not kept alive by it.
        weak var arenaUsedWhileBacklogged: OutBytes?
        for round in 0..<5000 {
            let stored = arena.store(OutBytes(line: "message \(index) for a client that does not read"))
            if round == 3000 { arenaUsedWhileBacklogged = stored.bytes }  // neither the first nor the current arena
            expected += Array(UnsafeRawBufferPointer(rebasing: stored.bytes.storage[stored.range]))
            queue.append(stored.bytes, stored.range)
            index += 1
        }
        XCTAssertNil(arenaUsedWhileBacklogged, "a backlogged queue kept a shared arena alive")
        let (written, drained) = try drain(queue: queue, fds: fds, scratch: scratch)
        XCTAssertTrue(drained.isEmpty)
        XCTAssertEqual(written.count, expected.count)
        XCTAssertTrue(written == expected, "bytes differ from what was queued")
    }

    /// Writes the given arena slices through a socketpair and returns what arrived.
    private func drain(_ slices: [(bytes: OutBytes, range: Range<Int>)]) throws -> ([UInt8], OutputQueue) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertEqual(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK), 0)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { scratch.deallocate() }
        var queue = OutputQueue()
        for slice in slices { queue.append(slice.bytes, slice.range) }
        return try drain(queue: queue, fds: fds, scratch: scratch)
    }

    private func drain(queue: OutputQueue, fds: [Int32], scratch: UnsafeMutableRawBufferPointer) throws -> ([UInt8], OutputQueue) {
        var queue = queue
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        for _ in 0..<1_000_000 {
            if case .failed(let error) = queue.flush(to: SocketSink(fd: fds[0]), gatheringIn: scratch) { throw error }
            let count = recv(fds[1], &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { received += buffer[0..<count] }
            if queue.isEmpty && count <= 0 { break }
        }
        return (received, queue)
    }
}
