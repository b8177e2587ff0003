/*
 * parley_plugin.h: the whole contract between the Parley server and its plugins.
 *
 * A plugin is a shared library (.so) that exports one symbol, parley_plugin_entry. The host
 * dlopen()s it with RTLD_NOW|RTLD_LOCAL|RTLD_NODELETE, calls the entry with its ABI version,
 * and gets back a descriptor: name, version, the ABI the plugin was built against, and its
 * lifecycle functions. Everything else goes through the host API table handed to initialize().
 *
 * Rules, all of them:
 *  1. Versioning. PARLEY_ABI_MAJOR changes only when something existing changes; the host
 *     refuses a plugin built for another major and names both versions. Minor versions only
 *     append fields at the end of structs. Every struct the host passes, and the host API
 *     table, starts with `size`: use PARLEY_HAS(ptr, field) before touching a field newer
 *     than the oldest host you support.
 *  2. Handles. Every host call takes the plugin's own handle (`parley_plugin *`), so the host
 *     knows who asked, checks the call is allowed, and removes everything the plugin owns
 *     (hooks, commands, timers, bots) when it is unloaded or reloaded.
 *  3. Ownership. Everything the host passes in (strings, structs) is borrowed for the duration
 *     of the call only: copy what you want to keep. Everything a plugin passes to the host is
 *     copied by the host before the call returns. Neither side ever frees the other's memory.
 *  4. Strings are UTF-8 as (pointer, length) pairs, never NUL-terminated, never varargs.
 *     Text a plugin hands back must be valid UTF-8, without CR, LF or NUL, and within the
 *     server's line limit, or the host refuses it: the call returns PARLEY_ERR_INVALID (or 0
 *     for calls that return an id), the server logs why with the plugin's name, and
 *     host->last_error (ABI 1.1) gives the plugin the same reason.
 *  5. Threading. Everything runs on the server's single event-loop thread, and a hook must
 *     not block. The one call allowed from another thread is host->post(), which queues a
 *     function to run on the loop thread. Any other call from another thread is refused.
 *  6. No varargs anywhere, so Swift (and other languages' FFIs) can call and implement all of it.
 */
#ifndef PARLEY_PLUGIN_H
#define PARLEY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_ABI_MAJOR 1
#define PARLEY_ABI_MINOR 1

/* True when the struct `ptr` (whose first field is `size`) is new enough to hold `field`. */
#define PARLEY_HAS(ptr, field) \
    ((ptr) != NULL && (ptr)->size >= offsetof(__typeof__(*(ptr)), field) + sizeof((ptr)->field))

/* A borrowed UTF-8 string: `len` bytes at `ptr`, no terminator. {NULL, 0} is the empty string. */
typedef struct parley_str {
    const char *ptr;
    size_t len;
} parley_str;

/* Users (people and bots) are 64-bit ids, stable for the life of the connection or bot. */
typedef uint64_t parley_user_id;

/* The plugin's handle: opaque, owned by the host, valid from initialize until shutdown returns. */
typedef struct parley_plugin parley_plugin;

/* Return codes of host API calls. A refused call has no effect; host->last_error says why. */
enum {
    PARLEY_OK = 0,
    PARLEY_ERR_INVALID = -1,    /* bad argument: invalid UTF-8, text over the limit, bad name */
    PARLEY_ERR_STATE = -2,      /* not allowed now: wrong phase, wrong thread, plugin unloading */
    PARLEY_ERR_NOT_FOUND = -3,  /* no such user, room, bot or timer */
    PARLEY_ERR_EXISTS = -4      /* the name is taken: a command or a bot nick */
};

/* ---------------------------------------------------------------- messages and phases */

/* Message hooks run in fixed phases, in this order; within a phase, in config-file order. */
typedef enum parley_phase {
    PARLEY_PHASE_VALIDATE = 0,  /* may REJECT (the sender is told why) or DROP */
    PARLEY_PHASE_TRANSFORM = 1, /* may rewrite the text (host->message_set_text), DROP or REJECT */
    PARLEY_PHASE_ANNOTATE = 2,  /* may attach metadata (host->message_annotate); cannot drop */
    PARLEY_PHASE_OBSERVE = 3    /* read-only, once the message is accepted for delivery: bots react here */
} parley_phase;

typedef enum parley_verdict {
    PARLEY_PASS = 0,   /* carry on (the text may have been changed) */
    PARLEY_STOP = 1,   /* accept now: skip the later hooks of this phase, go on to the next phase */
    PARLEY_DROP = 2,   /* discard silently (VALIDATE and TRANSFORM only) */
    PARLEY_REJECT = 3  /* discard and tell the sender the reason set with host->message_reject */
} parley_verdict;

typedef enum parley_message_kind {
    PARLEY_MESSAGE_SAY = 0,
    PARLEY_MESSAGE_ACTION = 1,  /* /me */
    PARLEY_MESSAGE_NOTICE = 2
} parley_message_kind;

/* Bits of parley_message.sender_flags. */
#define PARLEY_USER_BOT 0x1u

/* A message on its way through the chain. Borrowed: valid only during the hook call. */
typedef struct parley_message {
    size_t size;
    parley_user_id sender;
    parley_str sender_nick;
    uint32_t sender_flags;      /* PARLEY_USER_BOT when a plugin's bot sent it */
    uint32_t kind;              /* parley_message_kind */
    parley_str room;            /* the room, or empty for a private message */
    parley_user_id recipient;   /* for a private message; 0 otherwise */
    parley_str recipient_nick;
    parley_str text;            /* the text as it stands after earlier hooks */
    parley_str original_text;   /* what the sender typed */
    int64_t received_at_ns;     /* wall clock, nanoseconds since 1970-01-01 UTC */
    uint32_t bot_depth;         /* 0 for people; 1 + the triggering message's depth for bots */
} parley_message;

typedef parley_verdict (*parley_message_hook)(parley_plugin *self, void *userdata, const parley_message *message);

/* ---------------------------------------------------------------- events */

typedef enum parley_event_kind {
    PARLEY_EVENT_CONNECT = 0,     /* a client connected (before it has a nick): may REJECT */
    PARLEY_EVENT_DISCONNECT = 1,  /* a registered user left: `reason` says why */
    PARLEY_EVENT_JOIN = 2,
    PARLEY_EVENT_PART = 3,
    PARLEY_EVENT_NICK = 4         /* `nick` is the new nick, `old_nick` the old one */
} parley_event_kind;

typedef struct parley_event {
    size_t size;
    uint32_t kind;              /* parley_event_kind */
    parley_user_id user;        /* 0 for CONNECT */
    parley_str nick;
    parley_str old_nick;
    parley_str room;
    parley_str reason;
    parley_str peer_host;       /* numeric address of the client (CONNECT and DISCONNECT) */
    uint32_t user_flags;        /* PARLEY_USER_BOT */
} parley_event;

/* Only the verdict of a CONNECT hook counts: REJECT refuses the client with the reason set by
   host->event_reject. Other events ignore the verdict. */
typedef parley_verdict (*parley_event_hook)(parley_plugin *self, void *userdata, const parley_event *event);

/* ---------------------------------------------------------------- commands */

/* A call of `/name args` (plain) or `NAME args` (IRC). Borrowed for the call. */
typedef struct parley_command_call {
    size_t size;
    parley_user_id caller;
    parley_str caller_nick;
    parley_str room;            /* the caller's current room, or empty */
    parley_str name;            /* the command name as registered */
    parley_str args;            /* everything after the name, leading spaces removed */
} parley_command_call;

typedef void (*parley_command_fn)(parley_plugin *self, void *userdata, const parley_command_call *call);

/* Typed commands: the host parses and range-checks the arguments, then calls `function`
   through libffi with plain C arguments. A bad call gets a usage line; the function is
   never called with arguments outside their ranges. */
typedef enum parley_type {
    PARLEY_TYPE_VOID = 0,       /* return type only */
    PARLEY_TYPE_INT32 = 1,
    PARLEY_TYPE_INT64 = 2,
    PARLEY_TYPE_DOUBLE = 3,
    PARLEY_TYPE_STRING = 4      /* argument: const char * (NUL-terminated, borrowed); return:
                                   const char * owned by the plugin, valid until the next call */
} parley_type;

typedef struct parley_typed_arg {
    size_t size;
    parley_str name;            /* shown in the usage line */
    uint32_t type;              /* parley_type, not VOID */
    int64_t min;                /* inclusive bounds for INT32 and INT64 (ignored otherwise) */
    int64_t max;
} parley_typed_arg;

typedef struct parley_typed_command {
    size_t size;
    parley_str name;
    parley_str help;
    uint32_t return_type;       /* parley_type */
    uint32_t arg_count;         /* at most 16 */
    const parley_typed_arg *args;
    void (*function)(void);     /* the C function, cast; called as its real signature */
} parley_typed_command;

/* ---------------------------------------------------------------- timers, config, lifecycle */

typedef void (*parley_timer_fn)(parley_plugin *self, void *userdata);
typedef void (*parley_posted_fn)(void *userdata);

/* The plugin's config section as key/value strings, sorted by key. An array in the config
   becomes one entry per element (in array order), all with the same key. Borrowed for the call. */
typedef struct parley_config_entry {
    parley_str key;
    parley_str value;
} parley_config_entry;

typedef struct parley_config {
    size_t size;
    size_t count;
    const parley_config_entry *entries;
} parley_config;

enum { PARLEY_LOG_DEBUG = 0, PARLEY_LOG_INFO = 1, PARLEY_LOG_WARNING = 2, PARLEY_LOG_ERROR = 3 };

/* ---------------------------------------------------------------- the host API */

typedef struct parley_host_api {
    size_t size;
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Diagnostics: the message of a failed config_check or initialize, shown to the operator. */
    void (*set_error)(parley_plugin *self, parley_str message);
    void (*log)(parley_plugin *self, int level, parley_str message);

    /* Hooks. Registered during initialize; removed automatically on unload. */
    int (*hook_message)(parley_plugin *self, parley_phase phase, parley_message_hook hook, void *userdata);
    int (*hook_event)(parley_plugin *self, parley_event_kind kind, parley_event_hook hook, void *userdata);
    /* `name` without the slash; usage like "text", help one line. Taken names: PARLEY_ERR_EXISTS. */
    int (*register_command)(parley_plugin *self, parley_str name, parley_str usage, parley_str help,
                            parley_command_fn fn, void *userdata);
    int (*register_typed_command)(parley_plugin *self, const parley_typed_command *command);

    /* Inside message hooks only: the current message is identified by its pointer. */
    int (*message_set_text)(parley_plugin *self, const parley_message *message, parley_str text);
    int (*message_reject)(parley_plugin *self, const parley_message *message, parley_str reason);
    /* Metadata for front-ends (ANNOTATE, or TRANSFORM). Known keys: "time" (RFC 3339 UTC with milliseconds, sent as the
       IRCv3 time tag) and "prefix" (text plain clients see before the line). */
    int (*message_annotate)(parley_plugin *self, const parley_message *message, parley_str key, parley_str value);
    /* Inside a CONNECT hook: the reason the client is refused with. */
    int (*event_reject)(parley_plugin *self, const parley_event *event, parley_str reason);

    /* Inside a command: a line to the caller only. PARLEY_ERR_INVALID when the text has a line
       break or NUL, is not UTF-8 or is over limits.max_line_bytes (nothing is sent);
       PARLEY_ERR_STATE outside the command's own call. */
    int (*reply)(parley_plugin *self, const parley_command_call *call, parley_str text);
    /* A server notice to one user. PARLEY_ERR_INVALID as for reply; PARLEY_ERR_NOT_FOUND when
       there is no such user. */
    int (*notice)(parley_plugin *self, parley_user_id user, parley_str text);

    /* Timers run on the loop thread. Returns an id > 0, or 0 on failure. */
    uint64_t (*timer_add)(parley_plugin *self, uint64_t milliseconds, int repeat, parley_timer_fn fn, void *userdata);
    int (*timer_cancel)(parley_plugin *self, uint64_t timer);

    /* Bots: users owned by the plugin. They appear in rooms and user lists and die with it.
       Returns the bot's user id, or 0 (the nick is invalid or taken). */
    parley_user_id (*bot_create)(parley_plugin *self, parley_str nick);
    int (*bot_join)(parley_plugin *self, parley_user_id bot, parley_str room);
    int (*bot_part)(parley_plugin *self, parley_user_id bot, parley_str room);
    /* `target` is a room ("#name") or a nick. The message goes through the whole chain, tagged
       as the bot's, after the current message is done (never re-entrantly). */
    int (*bot_say)(parley_plugin *self, parley_user_id bot, parley_str target, parley_str text);
    int (*bot_destroy)(parley_plugin *self, parley_user_id bot);

    /* The only call allowed from any thread: run `fn(userdata)` on the loop thread soon. */
    int (*post)(parley_plugin *self, parley_posted_fn fn, void *userdata);

    /* ---- ABI 1.1: test PARLEY_HAS(host, last_error) before calling. */

    /* Why the plugin's last host call was refused, as the server's log line says it (for
       example "the text contains a line break or a NUL"); empty when it was not refused or gave
       no reason. Every call but log, set_error, post and last_error starts with it empty. The
       bytes are the host's, readable until the plugin's next host call. */
    parley_str (*last_error)(parley_plugin *self);

    /* The SHA-256 of the TLS client certificate `user` connected with, as 64 lowercase hex
       digits written to `out` (the plugin's buffer; no NUL is added). Returns 64, or 0 when
       the user showed no certificate (or is not on TLS, or is a bot); PARLEY_ERR_NOT_FOUND
       when there is no such user. */
    int (*user_certfp)(parley_plugin *self, parley_user_id user, char out[64]);
} parley_host_api;

/* What parley_plugin_entry returns: static data the host reads once per load. */
typedef struct parley_plugin_info {
    size_t size;
    uint32_t abi_major;         /* PARLEY_ABI_MAJOR as the plugin was built */
    uint32_t abi_minor;
    const char *name;           /* NUL-terminated, static */
    const char *version;
    const char *description;

    /* Validates the config before initialize, and again before a reload; must not change state.
       Returns 0 to accept, non-zero to reject (say why with host->set_error). Optional. */
    int (*config_check)(parley_plugin *self, const parley_host_api *host, const parley_config *config);
    /* Registers hooks, commands, bots and timers. Non-zero fails the load (say why). */
    int (*initialize)(parley_plugin *self, const parley_host_api *host, const parley_config *config);
    /* Last call before the host removes everything the plugin registered. Optional. */
    void (*shutdown)(parley_plugin *self);
    /* Reload hand-over, both optional: save_state returns bytes that stay valid until shutdown;
       the host copies them and passes them to the new generation's restore_state after initialize. */
    parley_str (*save_state)(parley_plugin *self);
    void (*restore_state)(parley_plugin *self, parley_str state);
} parley_plugin_info;

/* The one exported symbol. Return the descriptor whatever the host's version: a host of
   another major refuses it and names both versions. Return NULL only to refuse for other
   reasons (the host then logs that the plugin declined). */
typedef const parley_plugin_info *(*parley_plugin_entry_fn)(uint32_t host_abi_major, uint32_t host_abi_minor);
#define PARLEY_PLUGIN_ENTRY_SYMBOL "parley_plugin_entry"

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_PLUGIN_H */
