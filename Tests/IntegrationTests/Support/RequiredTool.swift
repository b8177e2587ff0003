import Foundation

/// An outside tool a test needs. A missing one fails the test at once, naming the tool and
/// how to get it, instead of surfacing later as a timeout with no cause.
enum RequiredTool: String {
    case cCompiler = "a C compiler (cc): apt-get install gcc"
    case pythonIRC = "the PyPI package irc: pip install irc (or apt-get install python3-irc)"
    case prlimit = "prlimit: apt-get install util-linux"
    case pythonCryptography = "the Python package cryptography: apt-get install python3-cryptography"
    case irssi = "irssi: apt-get install irssi"
    case tmux = "tmux: apt-get install tmux"

    /// A command that exits 0 when the tool is there.
    private var probe: [String] {
        switch self {
        case .cCompiler: return ["cc", "--version"]
        case .pythonIRC: return ["python3", "-c", "import irc.client"]
        case .prlimit: return ["prlimit", "--version"]
        case .pythonCryptography: return ["python3", "-c", "import cryptography.x509"]
        case .irssi: return ["irssi", "--version"]
        case .tmux: return ["tmux", "-V"]
        }
    }

    /// Throws a failure that names the tool when it is missing. `scripts/test` installs them.
    func require() throws {
        let (status, output) = try runProcess("/usr/bin/env", probe)
        guard status == 0 else {
            throw TestFailure("this test needs \(rawValue); scripts/test installs it. The probe `\(probe.joined(separator: " "))` said: \(output.prefix(300))")
        }
    }
}
