#ifndef PARLEY_TLS_H
#define PARLEY_TLS_H

#include <stddef.h>
#include <sys/types.h>

/* A thin face on OpenSSL for the server's non-blocking sockets: contexts from PEM files,
   sessions on accepted descriptors, and results the loop can act on without OpenSSL's types. */

typedef struct parley_tls_context parley_tls_context;
typedef struct parley_tls_session parley_tls_session;

/* Results of handshake, read and write (a read or write returns a count >= 0 otherwise). */
enum {
    PARLEY_TLS_DONE = 1,
    PARLEY_TLS_WANT_READ = -1,
    PARLEY_TLS_WANT_WRITE = -2,
    PARLEY_TLS_ERROR = -3,
};

/* A server context: TLS 1.2 and later, the library's default ciphers, an optional client
   certificate (any, recorded for its fingerprint). NULL with a message naming the file. */
parley_tls_context *parley_tls_server_context(const char *certificate_path, const char *key_path,
                                              char *error, size_t error_size);
/* A client context that does not verify the server (for parley-bench and tests). */
parley_tls_context *parley_tls_client_context(const char *certificate_path, const char *key_path,
                                              char *error, size_t error_size);
void parley_tls_context_free(parley_tls_context *context);
/* The certificate's subject and expiry, for the log. */
void parley_tls_context_describe(parley_tls_context *context, char *subject, size_t subject_size,
                                 char *not_after, size_t not_after_size);

parley_tls_session *parley_tls_accept(parley_tls_context *context, int fd);
parley_tls_session *parley_tls_connect(parley_tls_context *context, int fd);
void parley_tls_session_free(parley_tls_session *session);
int parley_tls_handshake(parley_tls_session *session, char *error, size_t error_size);
/* > 0 bytes, 0 when the peer closed, or one of the results above. */
ssize_t parley_tls_read(parley_tls_session *session, void *buffer, size_t size, char *error, size_t error_size);
ssize_t parley_tls_write(parley_tls_session *session, const void *buffer, size_t size, char *error, size_t error_size);
/* Whether OpenSSL holds input (decrypted or not) that the socket's readiness will not announce. */
int parley_tls_pending(parley_tls_session *session);
/* Sends close_notify once, without waiting for the peer's. */
void parley_tls_close_notify(parley_tls_session *session);
/* The SHA-256 of the client's certificate as 64 lowercase hex digits; 0 when it sent none. */
int parley_tls_peer_fingerprint(parley_tls_session *session, char out[65]);
const char *parley_tls_version(parley_tls_session *session);
const char *parley_tls_cipher(parley_tls_session *session);

/* The SHA-256 of the first certificate in a PEM file, as 64 lowercase hex digits; 0 on failure. */
int parley_tls_file_fingerprint(const char *certificate_path, char out[65]);

/* Writes a self-signed certificate (P-256, SAN localhost and 127.0.0.1) and its key (mode 0600). */
int parley_tls_make_self_signed(const char *certificate_path, const char *key_path, const char *common_name,
                                int days, char *error, size_t error_size);

#endif
