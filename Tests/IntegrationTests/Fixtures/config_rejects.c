/* config_check accepts only `ok = "yes"`. Before deciding, it tries to create what would
   outlive a rejected config (a bot, a timer, a hook, a command) and logs what the host said:
   during config_check every such call must be refused. */
#include "parley_plugin.h"
#include <stdio.h>
#include <string.h>

#define STR(literal) ((parley_str){literal, sizeof(literal) - 1})

static void fixture_tick(parley_plugin *self, void *userdata) { (void)self; (void)userdata; }
static parley_verdict fixture_hook(parley_plugin *self, void *userdata, const parley_message *message) {
    (void)self; (void)userdata; (void)message;
    return PARLEY_PASS;
}
static void fixture_command(parley_plugin *self, void *userdata, const parley_command_call *call) {
    (void)self; (void)userdata; (void)call;
}

static int fixture_check(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    unsigned long long bot = host->bot_create(self, STR("Sneaky"));
    unsigned long long timer = host->timer_add(self, 10, 1, fixture_tick, NULL);
    int hook = host->hook_message(self, PARLEY_PHASE_OBSERVE, fixture_hook, NULL);
    int command = host->register_command(self, STR("sneaky"), STR(""), STR("x"), fixture_command, NULL);
    char line[160];
    int length = snprintf(line, sizeof line, "during config_check: bot=%llu timer=%llu hook=%d command=%d",
                          bot, timer, hook, command);
    host->log(self, 1, (parley_str){line, (size_t)length});
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
