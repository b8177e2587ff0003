import Glibc
import XCTest
@testable import ParleyLoop

/// The loop on each backend, through real file descriptors (a socketpair), real signals and a
/// real second thread.
final class EventLoopTests: XCTestCase {
    private final class Recorder: FileEventHandler {
        var seen: [FileEvents] = []
        var onEvent: ((FileEvents) -> Void)?
        func handleFileEvents(_ ready: FileEvents) {
            seen.append(ready)
            onEvent?(ready)
        }
    }

    private func socketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
            throw SystemError("socketpair")
        }
        addTeardownBlock { close(fds[0]); close(fds[1]) }
        return (fds[0], fds[1])
    }

    private let oneSecond: Int64 = 1_000_000_000

    private func eachBackend(_ body: (EventLoop, EventBackend) throws -> Void) throws {
        for backend in EventBackend.allCases {
            try body(try EventLoop(backend: backend), backend)
        }
    }

    func testReadableAndWritableEventsFollowTheMask() throws {
        try eachBackend { loop, backend in
            let (mine, peer) = try socketPair()
            let recorder = Recorder()
            try loop.addFileEvent(fd: mine, events: .readable, handler: recorder)
            var byte: UInt8 = 7
            XCTAssertEqual(write(peer, &byte, 1), 1)
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            XCTAssertEqual(recorder.seen, [.readable], "\(backend)")
            XCTAssertEqual(read(mine, &byte, 1), 1)

            // Level-triggered: writable is reported for as long as it is asked for.
            loop.setFileEvents(fd: mine, events: .writable)
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            XCTAssertEqual(recorder.seen, [.readable, .writable, .writable], "\(backend)")

            // Removed: nothing more, however ready the socket is.
            loop.removeFileEvent(fd: mine)
            XCTAssertEqual(write(peer, &byte, 1), 1)
            try loop.runOneTurn(maxWaitNanoseconds: 0)
            XCTAssertEqual(recorder.seen.count, 3, "\(backend)")
        }
    }

    func testHangUpIsReportedAsReadable() throws {
        try eachBackend { loop, backend in
            let (mine, peer) = try socketPair()
            let recorder = Recorder()
            try loop.addFileEvent(fd: mine, events: .readable, handler: recorder)
            shutdown(peer, Int32(SHUT_WR))
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            XCTAssertEqual(recorder.seen, [.readable], "\(backend)")
        }
    }

    func testAHandlerThatClosesAnotherFdInTheSameTurnIsSafe() throws {
        try eachBackend { loop, backend in
            let (first, firstPeer) = try socketPair()
            let (second, secondPeer) = try socketPair()
            let a = Recorder(), b = Recorder()
            try loop.addFileEvent(fd: first, events: .readable, handler: a)
            try loop.addFileEvent(fd: second, events: .readable, handler: b)
            a.onEvent = { _ in loop.removeFileEvent(fd: second) }
            b.onEvent = { _ in loop.removeFileEvent(fd: first) }
            var byte: UInt8 = 1
            XCTAssertEqual(write(firstPeer, &byte, 1), 1)
            XCTAssertEqual(write(secondPeer, &byte, 1), 1)
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            XCTAssertEqual(a.seen.count + b.seen.count, 1, "\(backend): the removed handler must not run")
        }
    }

    func testPostFromAnotherThreadRunsOnTheLoopThread() throws {
        try eachBackend { loop, backend in
            let loopThread = pthread_self()
            final class Box: @unchecked Sendable { var ranOnLoopThread: Bool?; var thread = pthread_self() }
            let box = Box()
            box.thread = loopThread
            let poster = loop.poster
            let thread = Thread { poster.post { box.ranOnLoopThread = pthread_equal(pthread_self(), box.thread) != 0 } }
            thread.start()
            // The wake-up is a file event: the turn that sees it runs the work.
            for _ in 0..<100 where box.ranOnLoopThread == nil {
                try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            }
            XCTAssertEqual(box.ranOnLoopThread, true, "\(backend)")
        }
    }

    func testSignalsArriveBetweenEvents() throws {
        try eachBackend { loop, backend in
            var received: [Int32] = []
            try loop.handleSignals([SIGUSR1, SIGUSR2]) { received.append($0) }
            raise(SIGUSR2)
            raise(SIGUSR1)
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            XCTAssertEqual(received.sorted(), [SIGUSR1, SIGUSR2], "\(backend)")
        }
        signal(SIGUSR1, SIG_DFL)
        signal(SIGUSR2, SIG_DFL)
    }

    func testATurnRunsBeforeSleepThenFileEventsThenTimers() throws {
        try eachBackend { loop, backend in
            var order: [String] = []
            let (mine, peer) = try socketPair()
            let recorder = Recorder()
            recorder.onEvent = { _ in order.append("file") }
            try loop.addFileEvent(fd: mine, events: .readable, handler: recorder)
            loop.beforeSleep = { order.append("before-sleep"); return false }
            loop.timers.schedule(afterMilliseconds: 0) { order.append("timer") }
            var byte: UInt8 = 1
            XCTAssertEqual(write(peer, &byte, 1), 1)
            try loop.runOneTurn(maxWaitNanoseconds: oneSecond)
            XCTAssertEqual(order, ["before-sleep", "file", "timer"], "\(backend)")
        }
    }
}
