#ifndef PARLEY_CRYPT_H
#define PARLEY_CRYPT_H
/* The chat core's one C need, kept apart from the loop's shims so the core cannot reach them. */
#include <stddef.h>
/* Password hashing through libcrypt: yescrypt ($y$) by default.
   Returns 0 and writes the hash (NUL-terminated) into `out`, or -1. */
int parley_crypt_hash(const char *password, char *out, size_t out_size);
/* Returns 1 when `password` matches `hash`, 0 otherwise (also for malformed hashes). */
int parley_crypt_verify(const char *password, const char *hash);
#endif
