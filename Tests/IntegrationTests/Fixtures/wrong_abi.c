/* Claims to be built for ABI 99: the host must refuse it, naming both versions. */
#include "parley_plugin.h"

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)self; (void)host; (void)config;
    return 0;
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = 99, .abi_minor = 7,
    .name = "WrongABI", .version = "9.9", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
