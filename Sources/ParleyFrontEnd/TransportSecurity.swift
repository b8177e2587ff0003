import ParleyChat
import ParleyTransport

extension ChatUser {
    /// What the transport knows of a new user: whether it came over TLS, and the fingerprint
    /// of the client certificate it showed. Both front-ends call this as the user registers.
    public func adoptTransportSecurity(of connection: Connection) {
        isSecure = connection.tls != nil
        certificateFingerprint = connection.tls?.peerFingerprint
    }
}
