// Named zones come from Foundation's TimeZone, which never touches the process's environment
// (setenv("TZ") is not thread-safe, and TZ is the whole server's). FoundationEssentials alone
// knows only fixed offsets; FoundationInternationalization adds the tz database through the
// ICU that ships with Swift. The parley binary already links both (its dependencies use
// Foundation), so loading this plugin maps no new libraries.
import FoundationEssentials
import FoundationInternationalization
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
        enum Zone {
            case fixed(Int)          // seconds east of UTC
            case local               // the server's TZ
            case named(TimeZone)     // an IANA zone such as Europe/Berlin, daylight saving included
        }

        let format: String
        let zone: Zone

        init(_ config: PluginConfig) throws {
            try config.requireOnly(["format", "timezone"])
            format = try config.string("format", default: "[%H:%M:%S]")
            guard !format.isEmpty, format.utf8.count <= 64 else { throw PluginError("format: 1 to 64 bytes of strftime format") }
            zone = try Self.parseZone(try config.string("timezone", default: "UTC"))
        }

        static func parseZone(_ name: String) throws -> Zone {
            switch name {
            case "UTC", "Z": return .fixed(0)
            case "local": return .local
            default:
                if let parsed = parseOffset(name) { return .fixed(parsed) }
                // A name of the tz database: present under /usr/share/zoneinfo (so not ICU's
                // own "GMT+2" or "PST", nor zone.tab) and known to Foundation.
                if !name.contains(".."), !name.hasPrefix("/"), access("/usr/share/zoneinfo/\(name)", R_OK) == 0,
                   let zone = TimeZone(identifier: name) {
                    return .named(zone)
                }
                throw PluginError("timezone: '\(name)' is not UTC, local, an offset like +02:00 or a zone in /usr/share/zoneinfo like Europe/Berlin")
            }
        }
    }

    static func checkConfig(_ config: PluginConfig) throws {
        _ = try Settings(config)
    }

    /// Both texts change once a second (the tag's milliseconds aside), so they are built once a second.
    private var cachedSecond: Int64 = -1
    /// "YYYY-MM-DDTHH:MM:SS" as bytes: the tag is this, then ".mmmZ".
    private var cachedTagSeconds: [UInt8] = []
    private var cachedPrefix = ""

    init(host: Host, config: PluginConfig) throws {
        let settings = try Settings(config)
        host.onMessage(.annotate) { [unowned self] message in
            let nanoseconds = try message.receivedAtNanoseconds
            let second = nanoseconds / 1_000_000_000
            if second != cachedSecond {
                cachedSecond = second
                cachedTagSeconds = Array(rfc3339Seconds(second).utf8)
                cachedPrefix = display(nanoseconds, settings)
            }
            try message.annotate("time", timeTag(milliseconds: Int((nanoseconds / 1_000_000) % 1000)))
            try message.annotate("prefix", cachedPrefix)
            return .pass
        }
    }
}

extension Timestamp {
    /// The cached seconds plus ".mmmZ", built in one allocation: this runs for every message.
    func timeTag(milliseconds: Int) -> String {
        String(unsafeUninitializedCapacity: cachedTagSeconds.count + 5) { buffer in
            let count = cachedTagSeconds.count
            _ = buffer.initialize(fromContentsOf: cachedTagSeconds)
            buffer[count] = UInt8(ascii: ".")
            buffer[count + 1] = UInt8(ascii: "0") + UInt8(milliseconds / 100)
            buffer[count + 2] = UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10)
            buffer[count + 3] = UInt8(ascii: "0") + UInt8(milliseconds % 10)
            buffer[count + 4] = UInt8(ascii: "Z")
            return count + 5
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

/// RFC 3339 UTC up to the seconds; the caller appends ".mmmZ".
func rfc3339Seconds(_ second: Int64) -> String {
    var seconds = time_t(second)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return strftime("%Y-%m-%dT%H:%M:%S", parts)
}

func display(_ nanoseconds: Int64, _ settings: Timestamp.Settings) -> String {
    var parts = tm()
    var seconds = time_t(nanoseconds / 1_000_000_000)
    switch settings.zone {
    case .fixed(let offset):
        var shifted = seconds + offset
        gmtime_r(&shifted, &parts)
    case .local:
        localtime_r(&seconds, &parts)
    case .named(let zone):
        // Runs once a second at most (the caller caches the text) and takes about 0.1 µs.
        var shifted = seconds + zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        gmtime_r(&shifted, &parts)
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
