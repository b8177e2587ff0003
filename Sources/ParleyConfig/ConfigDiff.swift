/// Names the settings that differ between two configs, for the reload log line.
package enum ConfigDiff {
    package static func changes(from old: Config, to new: Config) -> [String] {
        var changed: [String] = []
        func note<T: Equatable>(_ name: String, _ path: KeyPath<Config, T>) {
            if old[keyPath: path] != new[keyPath: path] { changed.append(name) }
        }
        note("server.name", \.server.name)
        note("server.description", \.server.description)
        note("server.network", \.server.network)
        note("server.motd", \.server.motd)
        note("server.default_room", \.server.defaultRoom)
        note("server.default_room_operators", \.server.defaultRoomOperators)
        note("cloaking", \.cloaking)
        note("password_limits", \.passwordLimits)
        note("server.event_backend", \.server.eventBackend)
        note("listen", \.listeners)
        note("limits.max_clients", \.limits.maxClients)
        note("limits.max_clients_per_ip", \.limits.maxClientsPerIP)
        note("limits.max_line_bytes", \.limits.maxLineBytes)
        note("limits.sendq_bytes", \.limits.sendqBytes)
        note("limits.nick_length", \.limits.nickLength)
        note("limits.room_length", \.limits.roomLength)
        note("limits.topic_length", \.limits.topicLength)
        note("limits.registration_timeout_seconds", \.limits.registrationTimeoutSeconds)
        note("limits.ping_interval_seconds", \.limits.pingIntervalSeconds)
        note("limits.ping_timeout_seconds", \.limits.pingTimeoutSeconds)
        note("limits.write_coalesce_microseconds", \.limits.writeCoalesceMicroseconds)
        note("flood.enabled", \.flood.enabled)
        note("flood.burst", \.flood.burst)
        note("flood.lines_per_second", \.flood.linesPerSecond)
        note("flood.query_cost", \.flood.queryCost)
        note("flood.registration_lines", \.flood.registrationLines)
        note("flood.recvq_bytes", \.flood.recvqBytes)
        note("flood.exempt", \.flood.exempt)
        note("throttle.enabled", \.throttle.enabled)
        note("throttle.connections", \.throttle.connections)
        note("throttle.window_seconds", \.throttle.windowSeconds)
        note("throttle.unregistered_per_ip", \.throttle.unregisteredPerIP)
        note("throttle.exempt", \.throttle.exempt)
        note("server.password_hash", \.server.passwordHash)
        note("log.level", \.logLevel)
        note("plugins", \.plugins.chain)
        note("required_plugins", \.plugins.required)
        note("insecure_plugin_permissions", \.plugins.allowInsecurePermissions)
        note("plugin_hook_budget_milliseconds", \.plugins.hookBudgetMilliseconds)
        note("plugin", \.plugins.sections)
        note("operator", \.operators)
        return changed
    }
}
