/* config_check accepts only `ok = "yes"`. */
#include "parley_plugin.h"
#include <string.h>

#define STR(literal) ((parley_str){literal, sizeof(literal) - 1})

static int fixture_check(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    for (size_t i = 0; i < config->count; i++) {
        parley_str key = config->entries[i].key, value = config->entries[i].value;
        if (key.len == 2 && memcmp(key.ptr, "ok", 2) == 0 && value.len == 3 && memcmp(value.ptr, "yes", 3) == 0) return 0;
    }
    host->set_error(self, STR("needs ok = \"yes\""));
    return 1;
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)self; (void)host; (void)config;
    return 0;
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "ConfigRejects", .version = "1.0", .config_check = fixture_check, .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
