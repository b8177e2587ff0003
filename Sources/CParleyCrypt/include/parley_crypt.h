#ifndef PARLEY_CRYPT_H
#define PARLEY_CRYPT_H
/* The chat core's C needs, kept apart from the loop's shims so the core cannot reach them:
   password hashing (libcrypt) and the digests host cloaks are made of (OpenSSL's libcrypto,
   which TLS links anyway). */
#include <stddef.h>
#include <stdint.h>
/* Password hashing through libcrypt: yescrypt ($y$) by default.
   Returns 0 and writes the hash (NUL-terminated) into `out`, or -1. */
int parley_crypt_hash(const char *password, char *out, size_t out_size);
/* Returns 1 when `password` matches `hash`, 0 otherwise (also for malformed hashes). */
int parley_crypt_verify(const char *password, const char *hash);
/* SHA-256 of `size` bytes into `out`. */
void parley_sha256(const void *bytes, size_t size, uint8_t out[32]);
/* HMAC-SHA256 (RFC 2104) of `size` bytes with `key` into `out`. */
void parley_hmac_sha256(const void *key, size_t key_size, const void *bytes, size_t size, uint8_t out[32]);
#endif
