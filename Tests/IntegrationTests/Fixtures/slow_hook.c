/* An OBSERVE hook that takes 150 ms on messages starting with "slow", and a /dawdle command
   that takes as long: a plugin that makes everyone wait, which the host must name in its log. */
#include "parley_plugin.h"
#include <string.h>
#include <time.h>

static parley_verdict observe(parley_plugin *self, void *userdata, const parley_message *message) {
    (void)self; (void)userdata;
    if (message->text.len >= 4 && memcmp(message->text.ptr, "slow", 4) == 0) {
        struct timespec pause = {0, 150 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return PARLEY_PASS;
}

static void dawdle(parley_plugin *self, void *userdata, const parley_command_call *call) {
    (void)self; (void)userdata; (void)call;
    struct timespec pause = {0, 150 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    if (host->register_command(self, (parley_str){"dawdle", 6}, (parley_str){"", 0}, (parley_str){"waits", 5}, dawdle, NULL) != PARLEY_OK)
        return 1;
    return host->hook_message(self, PARLEY_PHASE_OBSERVE, observe, NULL);
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "SlowHook", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
