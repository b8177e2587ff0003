import Glibc
import XCTest
@testable import ParleyCore

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
            queue.append(OutBytes(bytes))
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { scratch.deallocate() }

        var received: [UInt8] = []
        var reads = [UInt8](repeating: 0, count: 8192)
        var blockedAtLeastOnce = false
        for _ in 0..<100_000 where received.count < expected.count {
            switch queue.flush(to: fds[0], gatheringIn: scratch) {
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
