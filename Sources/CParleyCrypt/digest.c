#include "parley_crypt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

void parley_sha256(const void *bytes, size_t size, uint8_t out[32]) {
    unsigned int length = 32;
    EVP_Digest(bytes, size, out, &length, EVP_sha256(), NULL);
}

void parley_hmac_sha256(const void *key, size_t key_size, const void *bytes, size_t size, uint8_t out[32]) {
    unsigned int length = 32;
    HMAC(EVP_sha256(), key, (int)key_size, bytes, size, out, &length);
}
