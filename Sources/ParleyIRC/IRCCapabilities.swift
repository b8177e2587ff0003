import ParleyChat
import ParleyConfig

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

/// Advertised as MODES and TARGMAX, and enforced.
let maxModesWithParameter = 20
let maxTargets = 20

/// The ISUPPORT (005) tokens, from the config.
func isupportTokens(_ config: Config) -> [String] {
    let limits = config.limits
    return [
        "AWAYLEN=\(limits.topicLength)", "CASEMAPPING=\(Casemapping.name)", "CHANLIMIT=#:\(ChatServer.maxRoomsPerUser)",
        "CHANMODES=b,k,l,imnst", "CHANNELLEN=\(limits.roomLength)", "CHANTYPES=#", "KICKLEN=\(limits.topicLength)",
        "MAXLIST=b:\(ChatServer.maxBansPerRoom)", "MODES=\(maxModesWithParameter)", "NETWORK=\(config.server.network)",
        "NICKLEN=\(limits.nickLength)", "PREFIX=(ov)@+",
        "TARGMAX=JOIN:,KICK:\(maxTargets),NAMES:,NOTICE:\(maxTargets),PART:,PRIVMSG:\(maxTargets),WHOIS:1",
        "TOPICLEN=\(limits.topicLength)", "USERLEN=10",
    ]
}
