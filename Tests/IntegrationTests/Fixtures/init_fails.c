/* initialize fails with a reason the operator must see. */
#include "parley_plugin.h"

#define STR(literal) ((parley_str){literal, sizeof(literal) - 1})

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    host->set_error(self, STR("database unreachable"));
    return 1;
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "InitFails", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
