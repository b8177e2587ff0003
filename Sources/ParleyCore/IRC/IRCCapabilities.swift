/// The IRCv3 capabilities Parley offers. account-tag is not offered: there are no accounts.
enum IRCCapability: String, CaseIterable {
    case messageTags = "message-tags"
    case serverTime = "server-time"
    case echoMessage = "echo-message"
    case multiPrefix = "multi-prefix"
    case awayNotify = "away-notify"
    case userhostInNames = "userhost-in-names"
    case capNotify = "cap-notify"

    static let advertised = allCases.map(\.rawValue).joined(separator: " ")

    /// The bit in a render key: clients whose caps change how an event looks get their own bytes.
    var renderBit: Int {
        switch self {
        case .serverTime: return 1
        case .messageTags: return 2
        case .awayNotify: return 4
        default: return 0
        }
    }
}

/// The ISUPPORT (005) tokens, from the config.
func isupportTokens(_ config: Config) -> [String] {
    let limits = config.limits
    return [
        "AWAYLEN=\(limits.topicLength)", "CASEMAPPING=\(Casemapping.name)", "CHANLIMIT=#:100", "CHANMODES=b,k,l,imnst",
        "CHANNELLEN=\(limits.roomLength)", "CHANTYPES=#", "KICKLEN=\(limits.topicLength)", "MAXLIST=b:100",
        "MODES=20", "NETWORK=\(config.server.network)", "NICKLEN=\(limits.nickLength)", "PREFIX=(ov)@+",
        "TARGMAX=JOIN:,KICK:1,NAMES:,NOTICE:20,PART:,PRIVMSG:20,WHOIS:1", "TOPICLEN=\(limits.topicLength)", "USERLEN=10",
    ]
}
