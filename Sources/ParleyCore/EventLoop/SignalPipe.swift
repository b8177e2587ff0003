import CParleySys
import Glibc

/// Delivers POSIX signals to the loop through a self-pipe, so they are handled between
/// turns like any other event instead of inside an async-signal context.
public final class SignalPipe: IOHandler {
    private let readFD: Int32
    private let writeFD: Int32
    private let onSignal: (Int32) -> Void

    public init(loop: EventLoop, signals: [Int32], onSignal: @escaping (Int32) -> Void) throws {
        var fds: [Int32] = [-1, -1]
        guard parley_pipe_nonblocking(&fds) == 0 else { throw SystemError("pipe2") }
        readFD = fds[0]
        writeFD = fds[1]
        self.onSignal = onSignal
        guard parley_route_signals_to_pipe(writeFD, signals, Int32(signals.count)) == 0 else {
            throw SystemError("sigaction")
        }
        loop.register(fd: readFD, events: Int16(POLLIN), handler: self)
    }

    public func handleIO(revents: Int16) {
        var bytes = [UInt8](repeating: 0, count: 16)
        while true {
            let count = read(readFD, &bytes, bytes.count)
            if count <= 0 { return }
            for index in 0..<count { onSignal(Int32(bytes[index])) }
        }
    }
}
