/* A big server in one plugin, for tests of long replies: the bot "Crowd" joins `rooms` rooms
   (#room00001, #room00002, ...), and `members` bots (m00001, m00002, ...; `member_prefix`
   replaces the "m") join #big. Bots
   are not held to the per-client room limit, so 10,000 rooms cost no 10,000 connections.
   Once everything exists, it logs "crowd ready". */
#include "parley_plugin.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The setting's value, cut to fit `value`; "" when it is not set. */
static void setting(const parley_config *config, const char *key, char *value, size_t size) {
    size_t length = strlen(key);
    value[0] = 0;
    for (size_t i = 0; i < config->count; i++) {
        const parley_config_entry *entry = &config->entries[i];
        if (entry->key.len == length && memcmp(entry->key.ptr, key, length) == 0) {
            size_t kept = entry->value.len < size - 1 ? entry->value.len : size - 1;
            memcpy(value, entry->value.ptr, kept);
            value[kept] = 0;
        }
    }
}

static long number(const parley_config *config, const char *key) {
    char digits[32];
    setting(config, key, digits, sizeof digits);
    return strtol(digits, NULL, 10);
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    char name[64];
    char prefix[32];
    long rooms = number(config, "rooms");
    long members = number(config, "members");
    setting(config, "member_prefix", prefix, sizeof prefix);
    if (prefix[0] == 0) strcpy(prefix, "m");
    if (rooms > 0) {
        parley_user_id crowd = host->bot_create(self, (parley_str){"Crowd", 5});
        if (crowd == 0) return 1;
        for (long i = 1; i <= rooms; i++) {
            int length = snprintf(name, sizeof name, "#room%05ld", i);
            if (host->bot_join(self, crowd, (parley_str){name, (size_t)length}) != 0) return 1;
        }
    }
    for (long i = 1; i <= members; i++) {
        int length = snprintf(name, sizeof name, "%s%05ld", prefix, i);
        parley_user_id bot = host->bot_create(self, (parley_str){name, (size_t)length});
        if (bot == 0) return 1;
        if (host->bot_join(self, bot, (parley_str){"#big", 4}) != 0) return 1;
    }
    const char *ready = "crowd ready";
    host->log(self, PARLEY_LOG_INFO, (parley_str){ready, strlen(ready)});
    return 0;
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "Crowd", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
