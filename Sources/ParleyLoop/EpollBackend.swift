import CParleySys
import Glibc

/// epoll(7), level-triggered like poll: the kernel keeps the interest list, so a wait costs
/// nothing per idle descriptor.
final class EpollBackend: ReadinessBackend {
    private let epfd: Int32
    private var batch = [parley_ready](repeating: parley_ready(), count: 256)

    init() throws(SystemError) {
        epfd = parley_loop_epoll_create()
        guard epfd >= 0 else { throw SystemError("epoll_create1") }
    }

    deinit { Glibc.close(epfd) }

    func add(fd: Int32, events: FileEvents) throws(SystemError) {
        guard parley_loop_epoll_control(epfd, 0, fd, Self.mask(events)) == 0 else { throw SystemError("epoll_ctl(ADD)") }
    }

    func modify(fd: Int32, events: FileEvents) throws(SystemError) {
        guard parley_loop_epoll_control(epfd, 1, fd, Self.mask(events)) == 0 else { throw SystemError("epoll_ctl(MOD)") }
    }

    func remove(fd: Int32) {
        // Closing the fd removes it too; an explicit delete keeps a dup'd fd from lingering.
        _ = parley_loop_epoll_control(epfd, 2, fd, 0)
    }

    func wait(timeoutNanoseconds: Int64, into ready: inout [(fd: Int32, events: FileEvents)]) throws(SystemError) {
        let count = batch.withUnsafeMutableBufferPointer { buffer in
            parley_loop_epoll_wait(epfd, buffer.baseAddress, Int32(buffer.count), timeoutNanoseconds)
        }
        if count < 0 {
            let error = SystemError("epoll_wait")
            if error.errno == EINTR { return }
            throw error
        }
        // In descriptor order, as poll reports them: the kernel's ready list follows arrival and
        // re-queues sockets still ready, so without this the two backends would serve one
        // turn's clients in different orders.
        batch.withUnsafeMutableBufferPointer { buffer in
            buffer[0..<Int(count)].sort { $0.fd < $1.fd }
        }
        for index in 0..<Int(count) {
            ready.append((batch[index].fd, FileEvents(rawValue: UInt8(truncatingIfNeeded: batch[index].events))))
        }
    }

    private static func mask(_ events: FileEvents) -> UInt32 {
        UInt32(events.rawValue)
    }
}
