import ParleyBytes
import ParleyChat

/// Bots have no connection: what would be sent to them is simply not rendered.
final class BotClient: ChatClient {
    nonisolated(unsafe) static let shared = BotClient()
    func renderKey(for event: ChatEvent) -> Int { -1 }
    func render(_ event: ChatEvent) -> OutBytes? { nil }
    func send(_ bytes: OutBytes, _ range: Range<Int>) {}
    func disconnect(reason: String) {}
}
