import ArgumentParser
import Glibc

/// parley-bench: measures a chat server through real sockets. Speaks Parley's plain protocol
/// and IRC, so the same scenarios run against Parley and its peers.
struct ParleyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley-bench",
        abstract: "Load-test a chat server (Parley plain text, or any IRC server) and print figures.",
        subcommands: [Fanout.self, Storm.self, Idle.self, Flood.self]
    )
}

struct Target: ParsableArguments {
    @Option(help: "Server address (IPv4 loopback only).") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int = 4000
    @Option(help: "The protocol to speak.") var proto: BenchProtocol = .plain
    @Option(name: .customLong("server-pid"), help: "The server's pid, to read its CPU time and memory from /proc.") var serverPID: Int32?
    @Flag(help: "Speak TLS on every connection (the server's certificate is not verified).") var tls = false

    /// The server under test, as every scenario takes it (a TLS client context with --tls).
    func server() throws -> BenchServer {
        BenchServer(host: host, port: port, proto: proto, tls: tls ? try BenchTLS() : nil, pid: serverPID)
    }

    func validate() throws {
        guard host.hasPrefix("127.") else { throw ValidationError("--host must be a loopback address (127.x.x.x)") }
    }
}

struct Fanout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N clients in one room, S senders; deliveries/s, latency, loss, server CPU per delivery.")

    @OptionGroup var target: Target
    @Option(help: "Clients in the room.") var clients = 100
    @Option(help: "How many of them send.") var senders = 10
    @Option(help: "Messages to send in total (bounded run).") var messages = 20_000
    @Option(name: .customLong("in-flight"), help: "Messages not yet delivered to everyone, at most (max-speed mode).") var inFlight = 64
    @Option(help: "Messages per second in total (fixed-rate mode); omit for as fast as possible.") var rate: Double?
    @Option(help: "Stop sending after this many seconds even if messages remain.") var seconds = 30.0
    @Option(help: "Label for the JSON line (for example the server's name).") var label = "server"
    @Option(name: .customLong("connect-batch"), help: "Clients registering at once while setting up (small for servers with a short listen backlog).") var connectBatch = 50
    @Option(help: "Other registered clients to hold idle (in no room, answering PINGs) from before the room is set up until the end.") var idle = 0

    func validate() throws {
        guard idle >= 0 else { throw ValidationError("--idle cannot be negative") }
    }

    func run() throws {
        if idle > 0 { try requireFileDescriptors(idle + clients) }
        var options = FanoutScenario.Options()
        options.connectBatch = connectBatch
        options.clients = clients
        options.senders = senders
        options.messages = messages
        options.inFlight = inFlight
        options.rate = rate
        options.seconds = seconds
        options.idle = idle
        options.server = try target.server()
        let result = try FanoutScenario(options: options).run()
        let perSecond = Double(result.deliveries) / result.seconds
        let cpuPerDelivery = result.serverCPUNanoseconds.map { Double($0) / Double(max(result.deliveries, 1)) }
        let p50 = result.latency.percentileMicroseconds(0.50), p99 = result.latency.percentileMicroseconds(0.99)
        let maxMicros = Double(result.latency.maxNanoseconds) / 1000
        var json = "{\"scenario\":\"fanout\",\"label\":\"\(label)\",\"protocol\":\"\(target.proto.rawValue)\",\"tls\":\(target.tls),\"clients\":\(clients),"
        json += "\"idle\":\(result.idleHeld),\"senders\":\(senders),\"mode\":\"\(rate == nil ? "max" : "rate")\",\"rate\":\(rate.map { "\($0)" } ?? "null"),"
        json += "\"sent\":\(result.sent),\"deliveries\":\(result.deliveries),\"expected\":\(result.expected),"
        json += "\"lost\":\(result.lost),\"duplicated\":\(result.duplicated),\"reordered\":\(result.reordered),"
        json += "\"seconds\":\(round3(result.seconds)),\"deliveries_per_second\":\(Int(perSecond)),"
        json += "\"latency_us\":{\"p50\":\(p50),\"p99\":\(p99),\"max\":\(round3(maxMicros))},"
        let serverBusy = result.serverCPUNanoseconds.map { 100 * Double($0) / (result.seconds * 1e9) }
        let generatorBusy = 100 * Double(result.generatorCPUNanoseconds) / (result.seconds * 1e9)
        json += "\"server_cpu_ns_per_delivery\":\(cpuPerDelivery.map { "\(round3($0))" } ?? "null"),"
        json += "\"server_cpu_percent\":\(serverBusy.map { "\(Int($0))" } ?? "null"),\"generator_cpu_percent\":\(Int(generatorBusy))}"
        print(json)
        print("fanout \(label): \(result.deliveries) deliveries in \(round3(result.seconds)) s = \(Int(perSecond)) /s; "
              + "latency p50 \(p50) µs, p99 \(p99) µs, max \(round3(maxMicros)) µs; lost \(result.lost), duplicated \(result.duplicated)"
              + (cpuPerDelivery.map { "; server CPU \(round3($0)) ns/delivery" } ?? "")
              + "; busy: server \(serverBusy.map { "\(Int($0))%" } ?? "?"), generator \(Int(generatorBusy))%"
              + (idle > 0 ? "; \(result.idleHeld) idle clients held" : ""))
        if result.lost > 0 || result.duplicated > 0 { throw ExitCode(2) }
    }
}

struct Storm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "C clients connect and register at once; registrations/s, time to all, latency, server CPU per registration.")

    @OptionGroup var target: Target
    @Option(help: "Clients connecting at once.") var clients = 2000
    @Option(help: "Give up after this many seconds.") var seconds = 30.0
    @Option(help: "Label for the JSON line.") var label = "server"

    func run() throws {
        let result = try StormScenario(server: try target.server(),
                                       clients: clients, deadlineSeconds: seconds).run()
        let allIn = result.registered == clients
        let cpu = result.serverCPUNanoseconds.map { Double($0) / Double(max(result.registered, 1)) / 1000 }
        let p50 = result.latency.percentileMicroseconds(0.5) / 1000, p99 = result.latency.percentileMicroseconds(0.99) / 1000
        let rate = Double(result.registered) / result.seconds
        // With --tls every registration includes a full handshake: registrations/s is handshakes/s.
        print("{\"scenario\":\"storm\",\"label\":\"\(label)\",\"protocol\":\"\(target.proto.rawValue)\",\"tls\":\(target.tls),\"clients\":\(clients),"
              + "\"registered\":\(result.registered),\"failed\":\(result.failed),\"seconds\":\(round3(result.seconds)),\"registrations_per_second\":\(Int(rate)),"
              + "\"latency_ms\":{\"p50\":\(round3(p50)),\"p99\":\(round3(p99))},"
              + "\"server_cpu_us_per_registration\":\(cpu.map { "\(round3($0))" } ?? "null"),"
              + "\"listen_overflows\":\(result.listenOverflows.map { "\($0)" } ?? "null")}")
        print("storm \(label): \(result.registered) of \(clients) registered in \(round3(result.seconds)) s (\(Int(rate))/s\(target.tls ? ", each with a TLS handshake" : "")), "
              + "\(result.failed) refused or closed; "
              + "latency p50 \(round3(p50)) ms, p99 \(round3(p99)) ms"
              + (cpu.map { "; server CPU \(round3($0)) µs/registration" } ?? "")
              + (result.listenOverflows.map { "; listen overflows \($0)" } ?? ""))
        if !allIn { throw ExitCode(2) }
    }
}

struct Idle: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hold C registered clients (answering PINGs) and report the server's RSS per connection.")

    @OptionGroup var target: Target
    @Option(help: "Clients to hold.") var clients = 10_000
    @Option(help: "Seconds to hold them after all are registered.") var hold = 5.0
    @Option(name: .customLong("connect-batch"), help: "Clients registering at once.") var connectBatch = 100
    @Option(help: "Label for the JSON line.") var label = "server"

    func validate() throws {
        guard target.serverPID != nil else { throw ValidationError("idle needs --server-pid to read the server's memory") }
    }

    func run() throws {
        try requireFileDescriptors(clients)
        let result = try IdleScenario(server: try target.server(),
                                      clients: clients, holdSeconds: hold, batch: connectBatch).run()
        let perConnection = Double(Int64(result.rssAfter) - Int64(result.rssBefore)) / Double(max(result.held, 1)) / 1024
        print("{\"scenario\":\"idle\",\"label\":\"\(label)\",\"protocol\":\"\(target.proto.rawValue)\",\"clients\":\(result.held),"
              + "\"rss_before_kib\":\(result.rssBefore / 1024),\"rss_after_kib\":\(result.rssAfter / 1024),"
              + "\"rss_per_connection_kib\":\(round3(perConnection)),\"connect_seconds\":\(round3(result.connectSeconds))}")
        print("idle \(label): held \(result.held) clients; server RSS \(result.rssBefore / 1024) KiB -> \(result.rssAfter / 1024) KiB = "
              + "\(round3(perConnection)) KiB per connection")
    }
}

struct Flood: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One member floods a room while others talk; the flooder's lines/s into the room, and the others' latency.")

    @OptionGroup var target: Target
    @Option(help: "Members of the room, the flooder included (at least 3).") var clients = 20
    @Option(help: "Members who talk at a normal pace meanwhile.") var senders = 5
    @Option(name: .customLong("sender-rate"), help: "Messages per second from each of them (keep it under the server's fakelag rate).") var senderRate = 1.0
    @Option(name: .customLong("flood-rate"), help: "The flooder's lines per second; omit for as fast as its socket takes them.") var floodRate: Double?
    @Option(help: "How long the flood lasts, in seconds.") var seconds = 5.0
    @Option(help: "Label for the JSON line.") var label = "server"
    @Option(name: .customLong("connect-batch"), help: "Clients registering at once while setting up.") var connectBatch = 50

    func validate() throws {
        guard clients >= 3 else { throw ValidationError("--clients must be at least 3: the flooder, a sender and a receiver") }
        guard senders >= 1 && senders < clients else { throw ValidationError("--senders must be 1 to \(clients - 1)") }
        guard senderRate > 0, floodRate.map({ $0 > 0 }) ?? true else { throw ValidationError("rates must be above 0") }
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be above 0 and at most 600") }
    }

    func run() throws {
        var options = FloodScenario.Options()
        options.clients = clients
        options.senders = senders
        options.senderRate = senderRate
        options.floodRate = floodRate
        options.seconds = seconds
        options.connectBatch = connectBatch
        options.server = try target.server()
        let result = try FloodScenario(options: options).run()
        let perSecond = Double(result.flooderDelivered) / seconds
        let p50 = result.latency.percentileMicroseconds(0.50), p99 = result.latency.percentileMicroseconds(0.99)
        let maxMicros = Double(result.latency.maxNanoseconds) / 1000
        let serverBusy = result.serverCPUNanoseconds.map { 100 * Double($0) / (result.seconds * 1e9) }
        var json = "{\"scenario\":\"flood\",\"label\":\"\(label)\",\"protocol\":\"\(target.proto.rawValue)\",\"clients\":\(clients),"
        json += "\"senders\":\(senders),\"sender_rate\":\(senderRate),\"flood_rate\":\(floodRate.map { "\($0)" } ?? "null"),\"seconds\":\(seconds),"
        json += "\"flooder_sent\":\(result.flooderSent),\"flooder_delivered\":\(result.flooderDelivered),"
        json += "\"flooder_lines_per_second\":\(round3(perSecond)),\"flooder_reordered\":\(result.flooderReordered),"
        json += "\"flooder_dropped_after_seconds\":\(result.flooderDroppedAfter.map { "\(round3($0))" } ?? "null"),"
        json += "\"excess_flood\":\(result.excessFlood),"
        json += "\"sent\":\(result.sent),\"deliveries\":\(result.deliveries),\"expected\":\(result.expected),"
        json += "\"lost\":\(result.lost),\"duplicated\":\(result.duplicated),"
        json += "\"latency_us\":{\"p50\":\(p50),\"p99\":\(p99),\"max\":\(round3(maxMicros))},"
        json += "\"server_cpu_percent\":\(serverBusy.map { "\(Int($0))" } ?? "null")}"
        print(json)
        print("flood \(label): the flooder sent \(result.flooderSent) lines in \(seconds) s, \(result.flooderDelivered) reached the room "
              + "(\(round3(perSecond))/s\(result.flooderReordered > 0 ? ", \(result.flooderReordered) out of order" : ""))"
              + (result.flooderDroppedAfter.map { "; dropped after \(round3($0)) s\(result.excessFlood ? " (Excess Flood)" : "")" } ?? "; never dropped")
              + "; \(senders) others' messages: latency p50 \(p50) µs, p99 \(p99) µs, max \(round3(maxMicros)) µs; lost \(result.lost)"
              + (serverBusy.map { "; server busy \(Int($0))%" } ?? ""))
        if result.lost > 0 || result.duplicated > 0 || result.flooderReordered > 0 { throw ExitCode(2) }
    }
}

/// `plain` or `irc`: ArgumentParser checks the value and lists the choices in --help.
extension BenchProtocol: ExpressibleByArgument {}

/// Refuses to start when the file-descriptor limit cannot hold `sockets` connections.
func requireFileDescriptors(_ sockets: Int) throws {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    guard limit.rlim_cur >= rlim_t(sockets + 64) else {
        throw ValidationError("the file-descriptor limit is \(limit.rlim_cur); raise it (ulimit -n) above \(sockets + 64)")
    }
}

func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

ParleyBench.main()
