import Glibc

/// A room of N members: one floods it (as fast as its socket takes lines, or at a fixed rate)
/// for a bounded time, while S others talk at a normal pace. Measured: how many of the
/// flooder's lines reached the room per second (a server with fakelag keeps that near its
/// configured rate), whether they stayed in order, whether the server dropped the flooder
/// (and why), and the latency of the normal messages while the flood goes on.
struct FloodScenario {
    struct Options {
        var server = BenchServer()
        var clients = 20
        /// Members who talk normally (the flooder is not one of them).
        var senders = 5
        /// Messages per second from each normal sender: under the fakelag's steady rate.
        var senderRate = 1.0
        /// The flooder's lines per second; nil: as fast as its socket takes them.
        var floodRate: Double?
        var seconds = 5.0
        /// A room and nicks of this run's own: a server with fakelag goes on processing an
        /// earlier run's flood after that flooder hung up, and its nick stays in use until then.
        var channel = "#flood\(getpid() % 10000)"
        var connectBatch = 50
    }

    struct Result {
        var flooderSent = 0
        /// Flooder lines that reached the observing member during the flood.
        var flooderDelivered = 0
        var flooderReordered = 0
        /// When the server closed the flooder's connection, in seconds after the flood began.
        var flooderDroppedAfter: Double?
        var excessFlood = false
        var sent = 0
        var deliveries = 0
        var expected = 0
        var lost = 0
        var duplicated = 0
        var latency = LatencyHistogram()
        var serverCPUNanoseconds: UInt64?
        var seconds = 0.0
    }

    let options: Options

    func run() throws -> Result {
        let swarm = Swarm(speaking: options.server)
        try swarm.connect(host: options.server.host, port: options.server.port, count: options.clients, nickPrefix: "f\(getpid() % 10000)_",
                          channel: options.channel, batch: options.connectBatch)
        swarm.settle()
        let flooder = 0, observer = 1
        let senders = min(options.senders, options.clients - 1)
        var result = Result()
        var nextSeq = [Int32](repeating: 0, count: options.clients * senders)
        var nextFloodSeq = 0
        let floodMarker: StaticString = "@flood "
        let benchMarker: StaticString = "@bench "
        let dropReason: StaticString = "Excess Flood"
        var flooding = true

        func handle(_ index: Int, _ line: UnsafeRawBufferPointer) {
            if line.contains(dropReason) { result.excessFlood = true }
            if index == flooder { return }
            if index == observer, flooding, let at = line.firstRange(of: floodMarker) {
                let seq = parseNumbers(line, from: at + floodMarker.utf8CodeUnitCount, count: 1)[0]
                if seq != nextFloodSeq { result.flooderReordered += 1 }
                nextFloodSeq = seq + 1
                result.flooderDelivered += 1
                return
            }
            guard let at = line.firstRange(of: benchMarker) else { return }
            let fields = parseNumbers(line, from: at + benchMarker.utf8CodeUnitCount, count: 3)
            let sender = fields[0], seq = Int32(truncatingIfNeeded: fields[1]), sentAt = UInt64(fields[2])
            guard sender < senders, sender + 1 != index else { return }
            result.deliveries += 1
            result.latency.record(swarm.clients[index].lastReadAt &- sentAt)
            let slot = index * senders + sender
            if seq >= nextSeq[slot] { nextSeq[slot] = seq + 1 } else { result.duplicated += 1 }
        }

        let cpuBefore = options.server.pid.flatMap(processCPUNanoseconds)
        let start = monotonicNanoseconds()
        let floodEnds = start + UInt64(options.seconds * 1e9)
        let normalRate = Double(senders) * options.senderRate
        while true {
            let now = monotonicNanoseconds()
            if now >= floodEnds { break }
            // The flooder: keep 64 KiB ready for its socket, or send what its rate says is due,
            // never more than 64 KiB ahead of what the socket took (a server that stops reading
            // it holds it back).
            if !swarm.isClosed[flooder] && swarm.clients[flooder].pendingBytes < 65536 {
                let due = options.floodRate.map { Int(Double(now - start) / 1e9 * $0) + 1 - result.flooderSent } ?? 2048
                for _ in 0..<min(max(due, 0), 2048) {
                    swarm.clients[flooder].queue(options.server.proto.message(options.channel, "@flood \(result.flooderSent)"))
                    result.flooderSent += 1
                }
            } else if swarm.isClosed[flooder] && result.flooderDroppedAfter == nil {
                result.flooderDroppedAfter = Double(now - start) / 1e9
            }
            // The normal senders, in turn, evenly spaced.
            while Double(result.sent) < Double(now - start) / 1e9 * normalRate {
                let sender = result.sent % senders
                let text = "@bench \(sender) \(result.sent / senders) \(monotonicNanoseconds())"
                swarm.clients[sender + 1].queue(options.server.proto.message(options.channel, text))
                result.sent += 1
            }
            swarm.flushAll()
            let nextNormal = start + UInt64(Double(result.sent) / normalRate * 1e9)
            var wait = Int64(nextNormal) - Int64(monotonicNanoseconds())
            // A flooder the socket holds back waits for writability (the pump watches for it).
            if !swarm.isClosed[flooder] && swarm.clients[flooder].pendingBytes < 65536 {
                if let rate = options.floodRate {
                    wait = min(wait, Int64(start + UInt64(Double(result.flooderSent) / rate * 1e9)) - Int64(monotonicNanoseconds()))
                } else {
                    wait = min(wait, 1_000_000)  // as fast as it can: topped up every millisecond at least
                }
            }
            swarm.pump(timeoutNanoseconds: min(wait, Int64(floodEnds) - Int64(monotonicNanoseconds())), handle)
            if swarm.failures > (swarm.isClosed[flooder] ? 1 : 0) {
                throw BenchError("\(swarm.failures) connections failed during the flood (only the flooder may be dropped)")
            }
        }
        flooding = false
        if swarm.isClosed[flooder] && result.flooderDroppedAfter == nil { result.flooderDroppedAfter = options.seconds }
        // The normal messages still on their way; the flooder's waiting lines no longer count.
        let receivers = options.clients - 2
        result.expected = result.sent * receivers
        let drainDeadline = monotonicNanoseconds() + 5_000_000_000
        while result.deliveries + result.duplicated < result.expected && monotonicNanoseconds() < drainDeadline {
            swarm.flushAll()
            swarm.pump(timeoutMilliseconds: 10, handle)
        }
        result.seconds = Double(monotonicNanoseconds() - start) / 1e9
        if let before = cpuBefore, let after = options.server.pid.flatMap(processCPUNanoseconds) {
            result.serverCPUNanoseconds = after - before
        }
        result.lost = max(0, result.expected - (result.deliveries - result.duplicated))
        return result
    }
}

/// `count` space-separated decimal numbers from `offset` on (0 where one is missing).
private func parseNumbers(_ line: UnsafeRawBufferPointer, from offset: Int, count: Int) -> [Int] {
    var values = [Int](repeating: 0, count: count)
    var which = 0
    for byte in line[offset...] {
        if byte == 0x20 {
            which += 1
            if which == count { break }
        } else if byte >= 0x30 && byte <= 0x39 {
            values[which] = values[which] * 10 + Int(byte - 0x30)
        } else {
            break
        }
    }
    return values
}
