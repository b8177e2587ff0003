/* A command, /certfp (CERTFP on IRC), that replies with the caller's TLS client certificate
   fingerprint as host->user_certfp (ABI 1.1) gives it, or "none". */
#include "parley_plugin.h"
#include <stdio.h>

static const parley_host_api *api;

static void certfp(parley_plugin *self, void *userdata, const parley_command_call *call) {
    (void)userdata;
    char digits[64];
    char line[128];
    int written = PARLEY_HAS(api, user_certfp) ? api->user_certfp(self, call->caller, digits) : -100;
    int length = written == 64 ? snprintf(line, sizeof line, "certfp %.*s", 64, digits)
                               : snprintf(line, sizeof line, "certfp none (%d)", written);
    api->reply(self, call, (parley_str){line, (size_t)length});
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    api = host;
    return host->register_command(self, (parley_str){"certfp", 6}, (parley_str){"/certfp", 7},
                                  (parley_str){"your client certificate", 23}, certfp, NULL);
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "CertfpProbe", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
