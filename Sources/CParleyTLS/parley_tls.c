#include "parley_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct parley_tls_context { SSL_CTX *ctx; };
struct parley_tls_session { SSL *ssl; };

/* The newest queued OpenSSL error, else the fallback. The queue is per thread and shared by
   every connection, so each operation clears it first and reads it here. */
static void describe_error(const char *fallback, char *error, size_t error_size) {
    if (!error || error_size == 0) return;
    unsigned long code = ERR_peek_last_error();
    if (code != 0) {
        ERR_error_string_n(code, error, error_size);
        /* "error:0A00010B:SSL routines::wrong version number" reads better as its reason alone. */
        const char *reason = ERR_reason_error_string(code);
        if (reason) snprintf(error, error_size, "%s", reason);
    } else {
        snprintf(error, error_size, "%s", fallback);
    }
    ERR_clear_error();
}

static int readable_file(const char *what, const char *path, char *error, size_t error_size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, error_size, "%s %s: cannot read it: %s", what, path, strerror(errno));
        return 0;
    }
    close(fd);
    return 1;
}

/* Any client certificate is accepted: it is an identity to record (certfp), not a trust decision. */
static int accept_any_certificate(int preverified, X509_STORE_CTX *store) {
    (void)preverified;
    (void)store;
    return 1;
}

static int load_pair(SSL_CTX *ctx, const char *certificate_path, const char *key_path, char *error, size_t error_size) {
    char reason[256];
    if (!readable_file("certificate", certificate_path, error, error_size)) return 0;
    if (!readable_file("key", key_path, error, error_size)) return 0;
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, certificate_path) != 1) {
        describe_error("unknown error", reason, sizeof reason);
        snprintf(error, error_size, "certificate %s: cannot load a PEM certificate from it (%s)", certificate_path, reason);
        return 0;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        /* OpenSSL checks the pair as it loads the key; say which files disagree. */
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            snprintf(error, error_size, "key %s does not match certificate %s", key_path, certificate_path);
            return 0;
        }
        describe_error("unknown error", reason, sizeof reason);
        snprintf(error, error_size, "key %s: cannot load a PEM private key from it (%s)", key_path, reason);
        return 0;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(error, error_size, "key %s does not match certificate %s", key_path, certificate_path);
        return 0;
    }
    X509 *certificate = SSL_CTX_get0_certificate(ctx);
    if (X509_cmp_current_time(X509_get0_notAfter(certificate)) <= 0) {
        snprintf(error, error_size, "certificate %s has expired", certificate_path);
        return 0;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(certificate)) > 0) {
        snprintf(error, error_size, "certificate %s is not valid yet", certificate_path);
        return 0;
    }
    return 1;
}

static parley_tls_context *make_context(const SSL_METHOD *method, char *error, size_t error_size) {
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx) {
        describe_error("cannot create a TLS context", error, error_size);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* A peer that drops the TCP connection without close_notify has simply left. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    /* The output queue retries with a longer (re-gathered) buffer at another address. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    parley_tls_context *context = malloc(sizeof *context);
    context->ctx = ctx;
    return context;
}

parley_tls_context *parley_tls_server_context(const char *certificate_path, const char *key_path,
                                              char *error, size_t error_size) {
    parley_tls_context *context = make_context(TLS_server_method(), error, error_size);
    if (!context) return NULL;
    if (!load_pair(context->ctx, certificate_path, key_path, error, error_size)) {
        parley_tls_context_free(context);
        return NULL;
    }
    SSL_CTX_set_verify(context->ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any_certificate);
    return context;
}

parley_tls_context *parley_tls_client_context(const char *certificate_path, const char *key_path,
                                              char *error, size_t error_size) {
    parley_tls_context *context = make_context(TLS_client_method(), error, error_size);
    if (!context) return NULL;
    SSL_CTX_set_verify(context->ctx, SSL_VERIFY_NONE, NULL);
    if (certificate_path && key_path && !load_pair(context->ctx, certificate_path, key_path, error, error_size)) {
        parley_tls_context_free(context);
        return NULL;
    }
    return context;
}

void parley_tls_context_free(parley_tls_context *context) {
    if (!context) return;
    SSL_CTX_free(context->ctx);
    free(context);
}

void parley_tls_context_describe(parley_tls_context *context, char *subject, size_t subject_size,
                                 char *not_after, size_t not_after_size) {
    subject[0] = 0;
    not_after[0] = 0;
    X509 *certificate = SSL_CTX_get0_certificate(context->ctx);
    if (!certificate) return;
    X509_NAME_oneline(X509_get_subject_name(certificate), subject, (int)subject_size);
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return;
    if (ASN1_TIME_print(bio, X509_get0_notAfter(certificate)) == 1) {
        int length = BIO_read(bio, not_after, (int)not_after_size - 1);
        not_after[length > 0 ? length : 0] = 0;
    }
    BIO_free(bio);
}

static parley_tls_session *make_session(parley_tls_context *context, int fd, int server) {
    SSL *ssl = SSL_new(context->ctx);
    if (!ssl) return NULL;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    if (server) SSL_set_accept_state(ssl); else SSL_set_connect_state(ssl);
    parley_tls_session *session = malloc(sizeof *session);
    session->ssl = ssl;
    return session;
}

parley_tls_session *parley_tls_accept(parley_tls_context *context, int fd) { return make_session(context, fd, 1); }
parley_tls_session *parley_tls_connect(parley_tls_context *context, int fd) { return make_session(context, fd, 0); }

void parley_tls_session_free(parley_tls_session *session) {
    if (!session) return;
    SSL_free(session->ssl);
    free(session);
}

/* Maps OpenSSL's outcome to the loop's: what to wait for, or a described failure. */
static int outcome(parley_tls_session *session, int result, char *error, size_t error_size) {
    int code = SSL_get_error(session->ssl, result);
    switch (code) {
    case SSL_ERROR_WANT_READ: return PARLEY_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return PARLEY_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return PARLEY_TLS_WANT_READ;
        if (ERR_peek_last_error() == 0) {
            snprintf(error, error_size, "%s", errno ? strerror(errno) : "connection closed");
            return PARLEY_TLS_ERROR;
        }
        describe_error("system error", error, error_size);
        return PARLEY_TLS_ERROR;
    default:
        describe_error("protocol error", error, error_size);
        return PARLEY_TLS_ERROR;
    }
}

int parley_tls_handshake(parley_tls_session *session, char *error, size_t error_size) {
    ERR_clear_error();
    errno = 0;
    int result = SSL_do_handshake(session->ssl);
    if (result == 1) return PARLEY_TLS_DONE;
    int mapped = outcome(session, result, error, error_size);
    if (mapped == 0) {
        snprintf(error, error_size, "closed during the handshake");
        return PARLEY_TLS_ERROR;
    }
    return mapped;
}

ssize_t parley_tls_read(parley_tls_session *session, void *buffer, size_t size, char *error, size_t error_size) {
    ERR_clear_error();
    errno = 0;
    size_t count = 0;
    int result = SSL_read_ex(session->ssl, buffer, size, &count);
    if (result == 1) return (ssize_t)count;
    return outcome(session, result, error, error_size);
}

ssize_t parley_tls_write(parley_tls_session *session, const void *buffer, size_t size, char *error, size_t error_size) {
    ERR_clear_error();
    errno = 0;
    size_t count = 0;
    int result = SSL_write_ex(session->ssl, buffer, size, &count);
    if (result == 1) return (ssize_t)count;
    int mapped = outcome(session, result, error, error_size);
    if (mapped == 0) {
        snprintf(error, error_size, "the peer closed the TLS session");
        return PARLEY_TLS_ERROR;
    }
    return mapped;
}

/* SSL_has_pending, not SSL_pending: records read from the socket but not yet decrypted (read
   along with the handshake's last message, say) count too. */
int parley_tls_pending(parley_tls_session *session) { return SSL_has_pending(session->ssl); }

void parley_tls_close_notify(parley_tls_session *session) {
    ERR_clear_error();
    if (SSL_is_init_finished(session->ssl)) SSL_shutdown(session->ssl);
    ERR_clear_error();
}

static int fingerprint(X509 *certificate, char out[65]) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1 || length != 32) return 0;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = 0;
    return 1;
}

int parley_tls_peer_fingerprint(parley_tls_session *session, char out[65]) {
    X509 *certificate = SSL_get0_peer_certificate(session->ssl);
    return certificate ? fingerprint(certificate, out) : 0;
}

int parley_tls_file_fingerprint(const char *certificate_path, char out[65]) {
    FILE *file = fopen(certificate_path, "r");
    if (!file) return 0;
    X509 *certificate = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    ERR_clear_error();
    if (!certificate) return 0;
    int made = fingerprint(certificate, out);
    X509_free(certificate);
    return made;
}

const char *parley_tls_version(parley_tls_session *session) { return SSL_get_version(session->ssl); }
const char *parley_tls_cipher(parley_tls_session *session) { return SSL_get_cipher_name(session->ssl); }

static int add_extension(X509 *certificate, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, certificate, certificate, NULL, NULL, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!extension) return 0;
    int added = X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
    return added;
}

static int write_pem(const char *path, mode_t mode, int key, EVP_PKEY *pkey, X509 *certificate) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return 0;
    fchmod(fd, mode);
    FILE *file = fdopen(fd, "w");
    if (!file) {
        close(fd);
        return 0;
    }
    int written = key ? PEM_write_PrivateKey(file, pkey, NULL, NULL, 0, NULL, NULL)
                      : PEM_write_X509(file, certificate);
    return fclose(file) == 0 && written == 1;
}

int parley_tls_make_self_signed(const char *certificate_path, const char *key_path, const char *common_name,
                                int days, char *error, size_t error_size) {
    ERR_clear_error();
    int ok = 0;
    X509 *certificate = NULL;
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    if (!pkey) goto done;
    certificate = X509_new();
    if (!certificate) goto done;
    X509_set_version(certificate, 2);
    unsigned char serial[16];
    int urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (urandom < 0 || read(urandom, serial, sizeof serial) != (ssize_t)sizeof serial) {
        if (urandom >= 0) close(urandom);
        goto done;
    }
    close(urandom);
    serial[0] &= 0x7f;
    BIGNUM *number = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate));
    BN_free(number);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -60);
    X509_time_adj_ex(X509_getm_notAfter(certificate), days, 0, NULL);
    X509_set_pubkey(certificate, pkey);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    char alternative[512];
    if (strcmp(common_name, "localhost") == 0)
        snprintf(alternative, sizeof alternative, "DNS:localhost,IP:127.0.0.1,IP:::1");
    else
        snprintf(alternative, sizeof alternative, "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", common_name);
    if (!add_extension(certificate, NID_subject_alt_name, alternative)) goto done;
    if (!add_extension(certificate, NID_basic_constraints, "critical,CA:FALSE")) goto done;
    if (!add_extension(certificate, NID_ext_key_usage, "serverAuth,clientAuth")) goto done;
    if (X509_sign(certificate, pkey, EVP_sha256()) == 0) goto done;
    if (!write_pem(key_path, 0600, 1, pkey, NULL)) {
        snprintf(error, error_size, "cannot write %s: %s", key_path, strerror(errno));
        ok = -1;
        goto done;
    }
    if (!write_pem(certificate_path, 0644, 0, NULL, certificate)) {
        snprintf(error, error_size, "cannot write %s: %s", certificate_path, strerror(errno));
        ok = -1;
        goto done;
    }
    ok = 1;
done:
    if (ok == 0) describe_error("cannot make the certificate", error, error_size);
    X509_free(certificate);
    EVP_PKEY_free(pkey);
    return ok == 1 ? 0 : -1;
}
