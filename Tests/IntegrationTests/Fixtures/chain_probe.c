/* Appends " [TAG]" in TRANSFORM (TAG from the config), so the order of the chain shows in the
   text. VALIDATE: text starting "drop" is dropped, "reject" is rejected with a reason.
   TRANSFORM: with `stop = "true"`, text starting "stop" returns STOP after tagging. */
#include "parley_plugin.h"
#include <stdlib.h>
#include <string.h>

typedef struct probe {
    const parley_host_api *api;
    char tag[32];
    int stops;
} probe;

static probe state;

static int starts(parley_str text, const char *word) {
    size_t n = strlen(word);
    return text.len >= n && memcmp(text.ptr, word, n) == 0;
}

static parley_verdict validate(parley_plugin *self, void *userdata, const parley_message *message) {
    probe *p = userdata;
    if (starts(message->text, "drop")) return PARLEY_DROP;
    if (starts(message->text, "reject")) {
        p->api->message_reject(self, message, (parley_str){"no rejects here", 15});
        return PARLEY_REJECT;
    }
    return PARLEY_PASS;
}

static parley_verdict transform(parley_plugin *self, void *userdata, const parley_message *message) {
    probe *p = userdata;
    char buffer[1024];
    size_t tag = strlen(p->tag);
    if (message->text.len + tag + 3 > sizeof buffer) return PARLEY_PASS;
    memcpy(buffer, message->text.ptr, message->text.len);
    size_t length = message->text.len;
    buffer[length++] = ' ';
    buffer[length++] = '[';
    memcpy(buffer + length, p->tag, tag);
    length += tag;
    buffer[length++] = ']';
    p->api->message_set_text(self, message, (parley_str){buffer, length});
    return p->stops && starts(message->text, "stop") ? PARLEY_STOP : PARLEY_PASS;
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    state.api = host;
    strcpy(state.tag, "?");
    for (size_t i = 0; i < config->count; i++) {
        parley_str key = config->entries[i].key, value = config->entries[i].value;
        if (key.len == 3 && memcmp(key.ptr, "tag", 3) == 0 && value.len < sizeof state.tag) {
            memcpy(state.tag, value.ptr, value.len);
            state.tag[value.len] = 0;
        }
        if (key.len == 4 && memcmp(key.ptr, "stop", 4) == 0) state.stops = value.len == 4;
    }
    host->hook_message(self, PARLEY_PHASE_VALIDATE, validate, &state);
    host->hook_message(self, PARLEY_PHASE_TRANSFORM, transform, &state);
    return 0;
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "ChainProbe", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
