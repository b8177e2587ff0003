import Glibc

/// C clients connect and register all at once: how fast does the server let them in?
struct StormScenario {
    let server: BenchServer
    let clients: Int
    let deadlineSeconds: Double

    struct Result {
        var registered = 0
        /// Connections the server closed or refused before they registered.
        var failed = 0
        var seconds = 0.0
        var latency = LatencyHistogram()
        var serverCPUNanoseconds: UInt64?
        var listenOverflows: UInt64?
    }

    func run() throws -> Result {
        let swarm = Swarm(speaking: server)
        var result = Result()
        let overflowsBefore = listenOverflowCount()
        let cpuBefore = server.pid.flatMap(processCPUNanoseconds)
        let start = monotonicNanoseconds()
        var startedAt: [UInt64] = []
        for index in 0..<clients {
            try swarm.add(host: server.host, port: server.port, nick: "s\(index)")
            swarm.clients[index].queue(server.proto.register("s\(index)"))
            startedAt.append(monotonicNanoseconds())
        }
        let deadline = start + UInt64(deadlineSeconds * 1e9)
        while result.registered + swarm.failures < clients && monotonicNanoseconds() < deadline {
            swarm.flushAll()
            swarm.pump(timeoutMilliseconds: 10) { index, line in
                let client = swarm.clients[index]
                if !client.registered && server.proto.isRegistration(line) {
                    client.registered = true
                    result.registered += 1
                    result.latency.record(monotonicNanoseconds() - startedAt[index])
                }
            }
        }
        result.seconds = Double(monotonicNanoseconds() - start) / 1e9
        result.failed = swarm.failures
        if let before = cpuBefore, let after = server.pid.flatMap(processCPUNanoseconds) {
            result.serverCPUNanoseconds = after - before
        }
        if let before = overflowsBefore, let after = listenOverflowCount() { result.listenOverflows = after - before }
        return result
    }
}

/// TcpExt ListenOverflows from /proc/net/netstat: SYNs dropped because an accept queue was full.
func listenOverflowCount() -> UInt64? {
    guard let file = fopen("/proc/net/netstat", "r") else { return nil }
    defer { fclose(file) }
    var lines: [String] = []
    var buffer = [CChar](repeating: 0, count: 8192)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    for index in stride(from: 0, to: lines.count - 1, by: 2) where lines[index].hasPrefix("TcpExt:") {
        let names = lines[index].split(separator: " ")
        let values = lines[index + 1].split(separator: " ")
        if let column = names.firstIndex(where: { $0 == "ListenOverflows" }), column < values.count {
            return UInt64(values[column].trimmingCharacters())
        }
    }
    return nil
}

/// Holds C registered clients, answering PINGs, and reports the server's memory per connection.
struct IdleScenario {
    let server: BenchServer
    let clients: Int
    let holdSeconds: Double
    let batch: Int

    struct Result {
        var held = 0
        var rssBefore: UInt64 = 0
        var rssAfter: UInt64 = 0
        var connectSeconds = 0.0
    }

    func run() throws -> Result {
        var result = Result()
        result.rssBefore = processRSSBytes(server.pid!) ?? 0
        let swarm = Swarm(speaking: server)
        let start = monotonicNanoseconds()
        try swarm.connect(host: server.host, port: server.port, count: clients, nickPrefix: "i", channel: nil, batch: batch,
                          deadlineSeconds: 300)
        result.connectSeconds = Double(monotonicNanoseconds() - start) / 1e9
        let until = monotonicNanoseconds() + UInt64(holdSeconds * 1e9)
        while monotonicNanoseconds() < until {
            swarm.flushAll()
            swarm.pump(timeoutMilliseconds: 100) { _, _ in }
        }
        if swarm.failures > 0 { throw BenchError("\(swarm.failures) connections were lost while idle") }
        result.held = swarm.clients.count
        result.rssAfter = processRSSBytes(server.pid!) ?? 0
        return result
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(self.filter { !$0.isWhitespace })
    }
}
