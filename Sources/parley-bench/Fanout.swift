import Glibc

/// N clients in one room; S of them send numbered, timestamped messages. Every delivery is
/// checked for loss, duplication and order, and timed. With `idle` > 0, that many other
/// registered clients are connected first and held, in no room (never the busy one), answering
/// PINGs, for the whole run: what the busy room costs among idle connections.
struct FanoutScenario {
    struct Options {
        var server = BenchServer()
        var clients = 100
        var senders = 10
        var messages = 20_000
        /// Messages in flight (sent, not yet delivered to everyone); the server is measured,
        /// not its buffers.
        var inFlight = 64
        /// Messages per second in total; nil: as fast as the in-flight cap allows.
        var rate: Double?
        var seconds = 30.0
        var channel = "#bench"
        var connectBatch = 50
        /// Registered clients held idle (in no room) from before the room is set up to the end.
        var idle = 0
    }

    struct Result {
        var sent = 0
        var deliveries = 0
        var expected = 0
        var lost = 0
        var duplicated = 0
        var reordered = 0
        var seconds = 0.0
        var latency = LatencyHistogram()
        var serverCPUNanoseconds: UInt64?
        /// The generator's own CPU time: near 100% of the run means the generator, not the
        /// server, set the pace.
        var generatorCPUNanoseconds: UInt64 = 0
        /// Idle clients still connected at the end.
        var idleHeld = 0
    }

    let options: Options

    func run() throws -> Result {
        // The idle clients, on an epoll set of their own so the busy room's loop never looks
        // at them: served (PINGs answered) every 50 ms, without waiting.
        let idle = Swarm(speaking: options.server)
        var nextIdleService: UInt64 = 0
        func serveIdle(now: UInt64 = monotonicNanoseconds()) throws {
            guard options.idle > 0, now >= nextIdleService else { return }
            nextIdleService = now + 50_000_000
            idle.service()
            if idle.failures > 0 { throw BenchError("\(idle.failures) idle connections failed") }
        }
        if options.idle > 0 {
            try idle.connect(host: options.server.host, port: options.server.port, count: options.idle, nickPrefix: "i", channel: nil,
                             batch: options.connectBatch, deadlineSeconds: 300, leaveDefaultRoom: true)
            idle.settle()
            if idle.failures > 0 { throw BenchError("\(idle.failures) idle connections failed while settling") }
        }

        let swarm = Swarm(speaking: options.server)
        var idleError: Error?
        try swarm.connect(host: options.server.host, port: options.server.port, count: options.clients, nickPrefix: "b",
                          channel: options.channel, batch: options.connectBatch) {
            do { try serveIdle() } catch { idleError = error }
        }
        if let idleError { throw idleError }
        let senders = min(options.senders, options.clients)
        var nextSeq = [Int32](repeating: 0, count: options.clients * senders)
        var result = Result()
        var sentPerSender = [Int](repeating: 0, count: senders)
        let receivers = options.clients - 1
        let marker: StaticString = "@bench "

        func handle(_ index: Int, _ line: UnsafeRawBufferPointer) {
            guard let at = line.firstRange(of: marker) else { return }
            // SENDER SEQ SENDTIME, parsed in place: this runs for every delivery.
            var sender = 0, seq = 0, sentAt: UInt64 = 0
            var which = 0
            for byte in line[(at + marker.utf8CodeUnitCount)...] {
                if byte == 0x20 {
                    which += 1
                    if which == 3 { break }
                } else if byte >= 0x30 && byte <= 0x39 {
                    let digit = Int(byte - 0x30)
                    switch which {
                    case 0: sender = sender * 10 + digit
                    case 1: seq = seq * 10 + digit
                    default: sentAt = sentAt * 10 + UInt64(digit)
                    }
                } else { break }
            }
            guard sender < senders else { return }
            result.deliveries += 1
            result.latency.record(swarm.clients[index].lastReadAt &- sentAt)
            let seq32 = Int32(truncatingIfNeeded: seq)
            let slot = index * senders + sender
            if seq32 == nextSeq[slot] {
                nextSeq[slot] = seq32 + 1
            } else if seq32 > nextSeq[slot] {
                result.reordered += 1
                nextSeq[slot] = seq32 + 1
            } else {
                result.duplicated += 1
            }
        }

        let cpuBefore = options.server.pid.flatMap(processCPUNanoseconds)
        let ownBefore = processCPUNanoseconds(getpid()) ?? 0
        let start = monotonicNanoseconds()
        let stopSending = start + UInt64(options.seconds * 1e9)
        var turn = 0
        while result.sent < options.messages && monotonicNanoseconds() < stopSending {
            let now = monotonicNanoseconds()
            try serveIdle(now: now)
            var allowed: Int
            if let rate = options.rate {
                allowed = Int(Double(now - start) / 1e9 * rate) + 1 - result.sent
            } else {
                let outstanding = result.sent * receivers - result.deliveries
                allowed = (options.inFlight * receivers - outstanding) / max(receivers, 1)
            }
            allowed = min(allowed, options.messages - result.sent)
            while allowed > 0 {
                let sender = turn % senders
                turn += 1
                let text = "@bench \(sender) \(sentPerSender[sender]) \(monotonicNanoseconds())"
                sentPerSender[sender] += 1
                swarm.clients[sender].queue(options.server.proto.message(options.channel, text))
                result.sent += 1
                allowed -= 1
            }
            swarm.flushAll()
            if let rate = options.rate {
                // Wake exactly when the next message is due, so messages leave evenly spaced
                // rather than in bursts at a coarse poll timeout.
                let nextDue = start + UInt64(Double(result.sent) / rate * 1e9)
                swarm.pump(timeoutNanoseconds: Int64(nextDue) - Int64(monotonicNanoseconds()), handle)
            } else {
                swarm.pump(timeoutMilliseconds: 10, handle)
            }
            if swarm.failures > 0 { throw BenchError("\(swarm.failures) connections failed during the run") }
        }
        result.expected = result.sent * receivers
        let drainDeadline = monotonicNanoseconds() + 5_000_000_000
        while result.deliveries + result.duplicated < result.expected && monotonicNanoseconds() < drainDeadline {
            swarm.flushAll()
            swarm.pump(timeoutMilliseconds: 10, handle)
            try serveIdle()
        }
        result.seconds = Double(monotonicNanoseconds() - start) / 1e9
        result.generatorCPUNanoseconds = (processCPUNanoseconds(getpid()) ?? 0) - ownBefore
        if let before = cpuBefore, let after = options.server.pid.flatMap(processCPUNanoseconds) {
            result.serverCPUNanoseconds = after - before
        }
        result.lost = max(0, result.expected - (result.deliveries - result.duplicated))
        nextIdleService = 0
        try serveIdle()
        result.idleHeld = idle.clients.count - idle.failures
        return result
    }
}
