import ArgumentParser
import Glibc
import ParleyChat
import ParleyLoop

/// `parley passwd`: hashes an operator password for the config's [[operator]] password_hash.
struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hash an operator password (yescrypt) for [[operator]] password_hash in the config.",
        discussion: "Reads the password from standard input (one line; not echoed on a terminal) and prints the hash."
    )

    func run() throws {
        let interactive = isatty(0) == 1
        if interactive { writeToStandardError("Password: ") }
        let password = readSecretLine(echo: !interactive)
        if interactive { writeToStandardError("\n") }
        guard let password, !password.isEmpty else {
            printToStderr("error: no password given on standard input")
            throw ExitCode(1)
        }
        guard let hash = hashPassword(password) else {
            printToStderr("error: libcrypt could not hash the password")
            throw ExitCode(1)
        }
        print(hash)
    }

    private func readSecretLine(echo: Bool) -> String? {
        var saved = termios()
        let canHide = !echo && tcgetattr(0, &saved) == 0
        if canHide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &quiet)
        }
        defer { if canHide { tcsetattr(0, TCSANOW, &saved) } }
        return readLine(strippingNewline: true)
    }
}
