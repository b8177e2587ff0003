/* Built twice, with -DGENERATION=1 and 2, to test hot reload: TRANSFORM appends " (vN)",
   /version replies "vN seen COUNT", and COUNT (messages seen) is handed over through
   save_state and restore_state. */
#include "parley_plugin.h"
#include <stdio.h>
#include <string.h>

#ifndef GENERATION
#define GENERATION 1
#endif

static const parley_host_api *api;
static long seen;
static char saved[32];

static parley_verdict transform(parley_plugin *self, void *userdata, const parley_message *message) {
    (void)userdata;
    char buffer[600];
    int length = snprintf(buffer, sizeof buffer, "%.*s (v%d)", (int)message->text.len, message->text.ptr, GENERATION);
    seen++;
    if (length > 0 && (size_t)length < sizeof buffer) api->message_set_text(self, message, (parley_str){buffer, (size_t)length});
    return PARLEY_PASS;
}

static void version_command(parley_plugin *self, void *userdata, const parley_command_call *call) {
    (void)userdata;
    char buffer[64];
    int length = snprintf(buffer, sizeof buffer, "v%d seen %ld", GENERATION, seen);
    api->reply(self, call, (parley_str){buffer, (size_t)length});
}

static parley_str save_state(parley_plugin *self) {
    (void)self;
    int length = snprintf(saved, sizeof saved, "%ld", seen);
    return (parley_str){saved, (size_t)length};
}

static void restore_state(parley_plugin *self, parley_str state) {
    (void)self;
    char buffer[32] = {0};
    if (state.len < sizeof buffer) memcpy(buffer, state.ptr, state.len);
    sscanf(buffer, "%ld", &seen);
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    api = host;
    seen = 0;
    host->hook_message(self, PARLEY_PHASE_TRANSFORM, transform, NULL);
    return host->register_command(self, (parley_str){"generation", 10}, (parley_str){"", 0},
                                  (parley_str){"which generation is running", 27}, version_command, NULL);
}

#define TEXT(x) #x
#define VERSION_STRING(x) TEXT(x) ".0"

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "Versioned", .version = VERSION_STRING(GENERATION), .initialize = fixture_initialize,
    .save_state = save_state, .restore_state = restore_state,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
