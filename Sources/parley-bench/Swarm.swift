import CBenchEpoll
import Glibc

/// Many clients on one epoll loop: the load generator's whole engine. epoll, unlike the
/// server's poll(), costs nothing per idle socket, so the generator stays ahead of the server.
final class Swarm {
    let proto: BenchProtocol
    /// Set with --tls: every connection speaks TLS.
    let tls: BenchTLS?
    private(set) var clients: [BenchClient] = []
    private let epollFD: Int32
    /// Whether each client's socket is watched for writability too.
    private var watchingWrite: [Bool] = []
    /// Clients whose connection ended (each also counts in `failures`); nothing is written to them.
    private(set) var isClosed: [Bool] = []
    private var readyTokens = [UInt64](repeating: 0, count: 256)
    private var readyEvents = [UInt32](repeating: 0, count: 256)
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    private(set) var failures = 0

    init(speaking server: BenchServer) {
        self.proto = server.proto
        self.tls = server.tls
        epollFD = parley_epoll_create()
    }

    deinit {
        buffer.deallocate()
        close(epollFD)
    }

    func add(host: String, port: Int, nick: String) throws {
        let client = try BenchClient(port: port, host: host, nick: nick, tls: tls)
        guard parley_epoll_watch(epollFD, client.fd, 0, 0, UInt64(clients.count)) == 0 else {
            throw BenchError("epoll_ctl: errno \(errno)")
        }
        clients.append(client)
        watchingWrite.append(false)
        isClosed.append(false)
    }

    /// One poll and the work it reports. `onLine(client, line)` sees every line. Returns how
    /// many sockets were ready (at most 256 per call).
    @discardableResult
    func pump(timeoutMilliseconds: Int32, _ onLine: (Int, UnsafeRawBufferPointer) -> Void) -> Int {
        pump(timeoutNanoseconds: Int64(timeoutMilliseconds) * 1_000_000, onLine)
    }

    @discardableResult
    func pump(timeoutNanoseconds: Int64, _ onLine: (Int, UnsafeRawBufferPointer) -> Void) -> Int {
        for index in clients.indices where clients[index].wantsWrite != watchingWrite[index] && !isClosed[index] {
            watchingWrite[index].toggle()
            parley_epoll_watch(epollFD, clients[index].fd, 1, watchingWrite[index] ? 1 : 0, UInt64(index))
        }
        let ready = parley_epoll_wait(epollFD, &readyTokens, &readyEvents, Int32(readyTokens.count),
                                      max(timeoutNanoseconds, 0))
        guard ready > 0 else { return 0 }
        for slot in 0..<Int(ready) {
            let index = Int(readyTokens[slot])
            let revents = Int32(readyEvents[slot])
            let client = clients[index]
            if revents & Int32(POLLOUT) != 0, !client.flush() { ended(index) }
            if revents & Int32(POLLIN | POLLHUP | POLLERR) != 0 {
                let alive = client.read(buffer) { line in
                    if let pong = proto.pong(line) { client.queue(pong) }
                    onLine(index, line)
                }
                if !alive { ended(index) }
            }
        }
        return Int(ready)
    }

    /// Serves idle clients without waiting: reads whatever is there (answering PINGs), a
    /// bounded number of rounds, then sends the replies.
    func service() {
        var rounds = 0
        while pump(timeoutNanoseconds: 0, { _, _ in }) == readyTokens.count && rounds < 100 { rounds += 1 }
        flushAll()
    }

    /// Reads until nothing has arrived for `quietSeconds` (at most `maxSeconds`): the tail of
    /// the welcome bursts, so that it does not land in what is measured next.
    func settle(quietSeconds: Double = 0.2, maxSeconds: Double = 10) {
        let start = monotonicNanoseconds()
        var lastLine = start
        while true {
            let now = monotonicNanoseconds()
            if now - lastLine >= UInt64(quietSeconds * 1e9) || now - start >= UInt64(maxSeconds * 1e9) { return }
            flushAll()
            var got = false
            pump(timeoutMilliseconds: 20) { _, _ in got = true }
            if got { lastLine = monotonicNanoseconds() }
        }
    }

    /// Sends what was queued without waiting for POLLOUT.
    func flushAll() {
        for index in clients.indices where clients[index].wantsWrite && !isClosed[index] {
            if !clients[index].flush() { ended(index) }
        }
    }

    /// A connection ended: counted once, and no longer watched or written to.
    private func ended(_ index: Int) {
        guard !isClosed[index] else { return }
        failures += 1
        isClosed[index] = true
        parley_epoll_watch(epollFD, clients[index].fd, 2, 0, 0)
    }

    /// Connects `count` clients (at most `batch` registering at once) and waits until each is
    /// registered and, when `channel` is given, has joined it. Without a channel,
    /// `leaveDefaultRoom` makes plain clients leave the room the server put them in, so that
    /// they are in no room at all (IRC clients start in none). `onTurn` runs once per loop turn
    /// (for example to keep other clients served meanwhile).
    func connect(host: String, port: Int, count: Int, nickPrefix: String, channel: String?,
                 batch: Int = 200, deadlineSeconds: Double = 60, leaveDefaultRoom: Bool = false,
                 onTurn: () -> Void = {}) throws {
        let deadline = monotonicNanoseconds() + UInt64(deadlineSeconds * 1e9)
        var done = 0
        while clients.count < count || done < count {
            while clients.count < count && clients.count - done < batch {
                let nick = "\(nickPrefix)\(clients.count)"
                try add(host: host, port: port, nick: nick)
                clients.last!.queue(proto.register(nick))
            }
            flushAll()
            pump(timeoutMilliseconds: 50) { index, line in
                let client = clients[index]
                if !client.registered && proto.isRegistration(line) {
                    client.registered = true
                    if let channel {
                        client.queue(proto.join(channel))
                    } else {
                        if leaveDefaultRoom, let part = proto.leaveDefaultRoom { client.queue(part) }
                        done += 1
                    }
                } else if client.registered && !client.joined && proto.isJoinDone(line, channel: channel ?? "") {
                    client.joined = true
                    done += 1
                }
            }
            onTurn()
            if monotonicNanoseconds() > deadline {
                throw BenchError("only \(done) of \(count) clients were ready after \(deadlineSeconds) s")
            }
            if failures > 0 { throw BenchError("\(failures) connections failed while connecting") }
        }
    }
}

/// Latency histogram: 1 µs buckets up to 1 s, plus the exact maximum.
struct LatencyHistogram {
    private var buckets = [UInt32](repeating: 0, count: 1_000_001)
    private(set) var count = 0
    private(set) var maxNanoseconds: UInt64 = 0

    mutating func record(_ nanoseconds: UInt64) {
        buckets[Int(min(nanoseconds / 1000, 1_000_000))] += 1
        count += 1
        maxNanoseconds = max(maxNanoseconds, nanoseconds)
    }

    func percentileMicroseconds(_ fraction: Double) -> Double {
        guard count > 0 else { return 0 }
        let target = Int((Double(count) * fraction).rounded(.up))
        var seen = 0
        for (micros, hits) in buckets.enumerated() where hits > 0 {
            seen += Int(hits)
            if seen >= target { return Double(micros) }
        }
        return Double(maxNanoseconds) / 1000
    }
}

/// CPU time of a process in nanoseconds: the sum over its threads of the scheduler's run time
/// (/proc/PID/task/TID/schedstat), which counts to the nanosecond where /proc/PID/stat counts in
/// 10 ms ticks. Falls back to /proc/PID/stat where schedstat is missing.
func processCPUNanoseconds(_ pid: Int32) -> UInt64? {
    if let exact = schedulerRunNanoseconds(pid) { return exact }
    guard let text = firstLine(of: "/proc/\(pid)/stat"),
          let close = text.lastIndex(of: ")") else { return nil }
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
    let ticks = UInt64(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) * 1_000_000_000 / ticks
}

private func schedulerRunNanoseconds(_ pid: Int32) -> UInt64? {
    guard let directory = opendir("/proc/\(pid)/task") else { return nil }
    defer { closedir(directory) }
    var total: UInt64 = 0
    var threads = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let tid = Int32(name),
              let line = firstLine(of: "/proc/\(pid)/task/\(tid)/schedstat"),
              let runtime = line.split(separator: " ").first.flatMap({ UInt64($0) }) else { continue }
        total += runtime
        threads += 1
    }
    return threads > 0 ? total : nil
}

private func firstLine(of path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 4096)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Resident memory of a process in bytes, from /proc/PID/status.
func processRSSBytes(_ pid: Int32) -> UInt64? {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if line.hasPrefix("VmRSS:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
            return kib * 1024
        }
    }
    return nil
}
