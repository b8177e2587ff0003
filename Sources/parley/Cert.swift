import ArgumentParser
import Glibc
import ParleyTransport

/// `parley cert --self-signed DIR`: a certificate to try TLS listeners locally.
struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a self-signed TLS certificate and key for trying a TLS [[listen]] locally.",
        discussion: """
        Writes DIR/parley.crt and DIR/parley.key (P-256, readable by you alone), valid for the \
        given name and for localhost, 127.0.0.1 and ::1, and prints the [[listen]] lines to \
        use them and the certificate's SHA-256 fingerprint. Clients must be told to accept it \
        (irssi: -tls_verify off; openssl s_client accepts it and says so). For a public server, \
        use a certificate from a CA such as Let's Encrypt instead.
        """
    )

    @Flag(name: .customLong("self-signed"), help: "Make a self-signed certificate (the only kind this command makes).")
    var selfSigned = false

    @Option(name: .long, help: "The certificate's common name.")
    var name = "localhost"

    @Option(name: .long, help: "How many days the certificate is valid.")
    var days = 365

    @Argument(help: ArgumentHelp("The folder to write parley.crt and parley.key into (created if missing).", valueName: "dir"))
    var directory: String

    func validate() throws {
        guard selfSigned else { throw ValidationError("say --self-signed: this command makes self-signed certificates only") }
        guard (1...3650).contains(days) else { throw ValidationError("--days must be between 1 and 3650") }
    }

    func run() throws {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            printToStderr("error: cannot create \(directory): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        let certificate = directory + "/parley.crt"
        let key = directory + "/parley.key"
        do {
            try TLSContext.makeSelfSigned(certificate: certificate, key: key, commonName: name, days: days)
            let context = try TLSContext(certificate: certificate, key: key)
            print("""
            wrote \(certificate) (\(context.subject), expires \(context.notAfter)) and \(key)
            SHA-256 fingerprint: \(try TLSContext.fingerprint(ofCertificateFile: certificate))

            [[listen]]
            protocol = "irc"
            port = 6697
            tls = true
            tls_certificate = "\(certificate)"
            tls_key = "\(key)"
            """)
        } catch {
            printToStderr("error: \(error)")
            throw ExitCode(1)
        }
    }
}
