import ArgumentParser
import Glibc

/// parley-bench: measures a chat server through real sockets. Speaks Parley's plain protocol
/// and IRC, so the same scenarios run against Parley and its peers.
struct ParleyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley-bench",
        abstract: "Load-test a chat server (Parley plain text, or any IRC server) and print figures.",
        subcommands: [Fanout.self]
    )
}

struct Target: ParsableArguments {
    @Option(help: "Server address (IPv4 loopback only).") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int = 4000
    @Option(help: "plain or irc.") var proto: String = "plain"
    @Option(name: .customLong("server-pid"), help: "The server's pid, to read its CPU time and memory from /proc.") var serverPID: Int32?

    func validate() throws {
        guard BenchProtocol(rawValue: proto) != nil else { throw ValidationError("--proto is plain or irc") }
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

    func run() throws {
        var options = FanoutScenario.Options()
        options.host = target.host
        options.port = target.port
        options.proto = BenchProtocol(rawValue: target.proto)!
        options.clients = clients
        options.senders = senders
        options.messages = messages
        options.inFlight = inFlight
        options.rate = rate
        options.seconds = seconds
        options.serverPID = target.serverPID
        let result = try FanoutScenario(options: options).run()
        let perSecond = Double(result.deliveries) / result.seconds
        let cpuPerDelivery = result.serverCPUNanoseconds.map { Double($0) / Double(max(result.deliveries, 1)) }
        let p50 = result.latency.percentileMicroseconds(0.50), p99 = result.latency.percentileMicroseconds(0.99)
        let maxMicros = Double(result.latency.maxNanoseconds) / 1000
        var json = "{\"scenario\":\"fanout\",\"label\":\"\(label)\",\"protocol\":\"\(target.proto)\",\"clients\":\(clients),"
        json += "\"senders\":\(senders),\"mode\":\"\(rate == nil ? "max" : "rate")\",\"rate\":\(rate.map { "\($0)" } ?? "null"),"
        json += "\"sent\":\(result.sent),\"deliveries\":\(result.deliveries),\"expected\":\(result.expected),"
        json += "\"lost\":\(result.lost),\"duplicated\":\(result.duplicated),\"reordered\":\(result.reordered),"
        json += "\"seconds\":\(round3(result.seconds)),\"deliveries_per_second\":\(Int(perSecond)),"
        json += "\"latency_us\":{\"p50\":\(p50),\"p99\":\(p99),\"max\":\(round3(maxMicros))},"
        json += "\"server_cpu_ns_per_delivery\":\(cpuPerDelivery.map { "\(round3($0))" } ?? "null")}"
        print(json)
        print("fanout \(label): \(result.deliveries) deliveries in \(round3(result.seconds)) s = \(Int(perSecond)) /s; "
              + "latency p50 \(p50) µs, p99 \(p99) µs, max \(round3(maxMicros)) µs; lost \(result.lost), duplicated \(result.duplicated)"
              + (cpuPerDelivery.map { "; server CPU \(round3($0)) ns/delivery" } ?? ""))
        if result.lost > 0 || result.duplicated > 0 { throw ExitCode(2) }
    }
}

func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

ParleyBench.main()
