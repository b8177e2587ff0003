/* A bot that answers every message in its room, bots' included: two of these would talk
   forever. The host's loop guard (a plugin never observes its own bots, and bot replies stop
   at a fixed depth) must end the exchange. */
#include "parley_plugin.h"
#include <stdio.h>

static const parley_host_api *api;
static parley_user_id bot;

static parley_verdict observe(parley_plugin *self, void *userdata, const parley_message *message) {
    (void)userdata;
    if (message->room.len == 0) return PARLEY_PASS;
    char reply[600];
    int length = snprintf(reply, sizeof reply, "re(%u)", message->bot_depth + 1);
    api->bot_say(self, bot, message->room, (parley_str){reply, (size_t)length});
    return PARLEY_PASS;
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    api = host;
    parley_str nick = {"Chatty", 6};
    for (size_t i = 0; i < config->count; i++) {
        if (config->entries[i].key.len == 4) nick = config->entries[i].value;
    }
    bot = host->bot_create(self, nick);
    if (bot == 0) return 1;
    host->bot_join(self, bot, (parley_str){"#lobby", 6});
    return host->hook_message(self, PARLEY_PHASE_OBSERVE, observe, NULL);
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "Chatty", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
