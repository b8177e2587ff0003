/* A typed command over every argument type, returning a string that counts its calls:
   the host must validate before calling, so bad input never reaches the function. */
#include "parley_plugin.h"
#include <stdio.h>

static int calls;
static char result[256];

const char *probe(int32_t small, int64_t big, double ratio, const char *rest) {
    calls++;
    snprintf(result, sizeof result, "call %d: small=%d big=%lld ratio=%.2f rest=%s", calls, small, (long long)big, ratio, rest);
    return result;
}

static const parley_typed_arg args[] = {
    {sizeof(parley_typed_arg), {"small", 5}, PARLEY_TYPE_INT32, -5, 5},
    {sizeof(parley_typed_arg), {"big", 3}, PARLEY_TYPE_INT64, 0, 10000000000LL},
    {sizeof(parley_typed_arg), {"ratio", 5}, PARLEY_TYPE_DOUBLE, 0, 0},
    {sizeof(parley_typed_arg), {"rest", 4}, PARLEY_TYPE_STRING, 0, 0},
};

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    parley_typed_command command = {
        .size = sizeof command, .name = {"probe", 5}, .help = {"typed probe", 11},
        .return_type = PARLEY_TYPE_STRING, .arg_count = 4, .args = args, .function = (void (*)(void))probe,
    };
    return host->register_typed_command(self, &command) == PARLEY_OK ? 0 : 1;
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "TypedProbe", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
