import CParleySys
import Glibc

/// poll(2): the pollfd array is kept in step with registrations (swap-remove), never rebuilt
/// per turn; a wait still costs the kernel a look at every descriptor.
final class PollBackend: ReadinessBackend {
    private var pollfds: [pollfd] = []
    /// fd -> index into pollfds; fds are small integers, so an array beats a dictionary.
    private var slotOfFD: [Int32] = []

    func add(fd: Int32, events: FileEvents) throws(SystemError) {
        if Int(fd) >= slotOfFD.count {
            slotOfFD.append(contentsOf: repeatElement(-1, count: Int(fd) + 1 - slotOfFD.count))
        }
        slotOfFD[Int(fd)] = Int32(pollfds.count)
        pollfds.append(pollfd(fd: fd, events: Self.mask(events), revents: 0))
    }

    func modify(fd: Int32, events: FileEvents) throws(SystemError) {
        guard let slot = slot(of: fd) else { return }
        pollfds[slot].events = Self.mask(events)
    }

    func remove(fd: Int32) {
        guard let slot = slot(of: fd) else { return }
        let last = pollfds.count - 1
        if slot != last {
            pollfds[slot] = pollfds[last]
            slotOfFD[Int(pollfds[slot].fd)] = Int32(slot)
        }
        pollfds.removeLast()
        slotOfFD[Int(fd)] = -1
    }

    func wait(timeoutNanoseconds: Int64, into ready: inout [(fd: Int32, events: FileEvents)]) throws(SystemError) {
        let count = pollfds.withUnsafeMutableBufferPointer { buffer in
            parley_poll_nanoseconds(buffer.baseAddress, nfds_t(buffer.count), timeoutNanoseconds)
        }
        if count < 0 {
            let error = SystemError("poll")
            if error.errno == EINTR { return }
            throw error
        }
        var found = 0
        for index in pollfds.indices where pollfds[index].revents != 0 {
            let revents = pollfds[index].revents
            pollfds[index].revents = 0
            var events: FileEvents = []
            if revents & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 { events.insert(.readable) }
            if revents & Int16(POLLOUT) != 0 { events.insert(.writable) }
            ready.append((pollfds[index].fd, events))
            found += 1
            if found == count { break }
        }
    }

    private func slot(of fd: Int32) -> Int? {
        guard fd >= 0, Int(fd) < slotOfFD.count else { return nil }
        let slot = slotOfFD[Int(fd)]
        return slot >= 0 ? Int(slot) : nil
    }

    private static func mask(_ events: FileEvents) -> Int16 {
        (events.contains(.readable) ? Int16(POLLIN) : 0) | (events.contains(.writable) ? Int16(POLLOUT) : 0)
    }
}
