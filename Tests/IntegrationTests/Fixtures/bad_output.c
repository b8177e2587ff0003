/* A TRANSFORM hook that hands back text the host must refuse: invalid UTF-8, an over-long
   line, or an embedded line break, as the message's text or as a notice to its sender. It
   records whether the host refused each attempt, and for the notice the host's reason. */
#include "parley_plugin.h"
#include <stdio.h>
#include <string.h>

static const parley_host_api *api;
static char huge[70000];

static int starts(parley_str text, const char *word) {
    size_t n = strlen(word);
    return text.len >= n && memcmp(text.ptr, word, n) == 0;
}

static parley_verdict transform(parley_plugin *self, void *userdata, const parley_message *message) {
    (void)userdata;
    int status = PARLEY_OK;
    if (starts(message->text, "invalid")) {
        status = api->message_set_text(self, message, (parley_str){"bad \xff\xfe bytes", 11});
    } else if (starts(message->text, "huge")) {
        memset(huge, 'h', sizeof huge);
        status = api->message_set_text(self, message, (parley_str){huge, sizeof huge});
    } else if (starts(message->text, "newline")) {
        status = api->message_set_text(self, message, (parley_str){"two\r\nQUIT :injected", 19});
    } else if (starts(message->text, "notice")) {
        status = api->notice(self, message->sender, (parley_str){"two\nlines", 9});
        /* ABI 1.1: the host says why, as its log did. */
        parley_str why = PARLEY_HAS(api, last_error) ? api->last_error(self) : (parley_str){"no last_error", 13};
        char note[200];
        int length = snprintf(note, sizeof note, "notice returned %d: %.*s", status, (int)why.len, why.ptr);
        api->log(self, PARLEY_LOG_INFO, (parley_str){note, (size_t)length});
        return PARLEY_PASS;
    } else {
        return PARLEY_PASS;
    }
    char note[64];
    int length = snprintf(note, sizeof note, "set_text returned %d", status);
    api->log(self, PARLEY_LOG_INFO, (parley_str){note, (size_t)length});
    return PARLEY_PASS;
}

static int fixture_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    api = host;
    return host->hook_message(self, PARLEY_PHASE_TRANSFORM, transform, NULL);
}

static const parley_plugin_info info = {
    .size = sizeof(parley_plugin_info), .abi_major = PARLEY_ABI_MAJOR, .abi_minor = PARLEY_ABI_MINOR,
    .name = "BadOutput", .version = "1.0", .initialize = fixture_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t major, uint32_t minor) {
    (void)major; (void)minor;
    return &info;
}
