#include "parley_crypt.h"
#include <crypt.h>
#include <string.h>

int parley_crypt_hash(const char *password, char *out, size_t out_size) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) == NULL) return -1;
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    const char *hash = crypt_r(password, salt, &data);
    if (hash == NULL || hash[0] == '*' || strlen(hash) + 1 > out_size) return -1;
    strcpy(out, hash);
    return 0;
}

int parley_crypt_verify(const char *password, const char *hash) {
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    const char *computed = crypt_r(password, hash, &data);
    if (computed == NULL || computed[0] == '*') return 0;
    /* Constant-time compare, so timing does not leak how much of the hash matched. */
    size_t length = strlen(hash);
    if (strlen(computed) != length) return 0;
    unsigned char difference = 0;
    for (size_t i = 0; i < length; i++) difference |= (unsigned char)(computed[i] ^ hash[i]);
    return difference == 0;
}
