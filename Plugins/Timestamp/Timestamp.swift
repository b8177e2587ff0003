import Glibc
import ParleyPluginKit

/// Annotates every message with the server's receive time: the data ("time", RFC 3339 UTC,
/// for IRCv3 server-time) and its display ("prefix", for plain clients) in a configurable
/// strftime format and timezone.
final class Timestamp: Plugin {
    static let name = "Timestamp"
    static let version = "1.0.0"
    static let description = "Stamps messages with the server's receive time"

    struct Settings {
        let format: String
        /// Seconds east of UTC, or nil for the server's local time.
        let offset: Int?

        init(_ config: PluginConfig) throws {
            try config.requireOnly(["format", "timezone"])
            format = try config.string("format", default: "[%H:%M:%S]")
            guard !format.isEmpty, format.utf8.count <= 64 else { throw PluginError("format: 1 to 64 bytes of strftime format") }
            let zone = try config.string("timezone", default: "UTC")
            switch zone {
            case "UTC", "Z": offset = 0
            case "local": offset = nil
            default:
                guard let parsed = parseOffset(zone) else {
                    throw PluginError("timezone: '\(zone)' is not UTC, local or an offset like +02:00")
                }
                offset = parsed
            }
        }
    }

    static func checkConfig(_ config: PluginConfig) throws {
        _ = try Settings(config)
    }

    init(host: Host, config: PluginConfig) throws {
        let settings = try Settings(config)
        host.onMessage(.annotate) { message in
            let nanoseconds = message.receivedAtNanoseconds
            try message.annotate("time", rfc3339(nanoseconds))
            try message.annotate("prefix", display(nanoseconds, settings))
            return .pass
        }
    }
}

func parseOffset(_ text: String) -> Int? {
    let bytes = Array(text.utf8)
    guard bytes.count == 6, bytes[0] == 43 || bytes[0] == 45, bytes[3] == 58,
          let hours = Int(String(decoding: bytes[1...2], as: UTF8.self)),
          let minutes = Int(String(decoding: bytes[4...5], as: UTF8.self)), hours <= 14, minutes < 60 else { return nil }
    return (bytes[0] == 45 ? -1 : 1) * (hours * 3600 + minutes * 60)
}

func rfc3339(_ nanoseconds: Int64) -> String {
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let millis = Int((nanoseconds / 1_000_000) % 1000)
    return strftime("%Y-%m-%dT%H:%M:%S", parts) + "." + String(repeating: "0", count: 3 - String(millis).count) + "\(millis)Z"
}

func display(_ nanoseconds: Int64, _ settings: Timestamp.Settings) -> String {
    var parts = tm()
    if let offset = settings.offset {
        var shifted = time_t(nanoseconds / 1_000_000_000) + offset
        gmtime_r(&shifted, &parts)
    } else {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        localtime_r(&seconds, &parts)
    }
    return strftime(settings.format, parts)
}

func strftime(_ format: String, _ parts: tm) -> String {
    var parts = parts
    var buffer = [CChar](repeating: 0, count: 256)
    let count = Glibc.strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@_cdecl("parley_plugin_entry")
public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? { export(Timestamp.self, major, minor) }
