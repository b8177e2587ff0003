// A test driver compiled together with Plugins/Timestamp/Timestamp.swift (TimestampZoneTests):
// prints the plugin's own prefix for each instant given, so that summer, winter and the
// switches between them can be checked without waiting for them.
// Usage: timestamp-zones TIMEZONE FORMAT SECONDS...
import ParleyPluginKit

@main
struct TimestampZones {
    static func main() throws {
        let arguments = CommandLine.arguments
        let settings = try Timestamp.Settings(PluginConfig(entries: [("timezone", arguments[1]), ("format", arguments[2])]))
        for seconds in arguments.dropFirst(3) {
            print(display(Int64(seconds)! * 1_000_000_000, settings))
        }
    }
}
