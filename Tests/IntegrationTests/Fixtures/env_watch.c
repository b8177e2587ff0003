/* Preloaded into the server by TimestampZoneTests (LD_PRELOAD): every call of a function
   that changes the environment or re-reads TZ, from any library, is reported on stderr
   with the object it was called from, then passed on to the C library. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void note(const char *call, void *caller) {
    Dl_info info;
    const char *object = caller && dladdr(caller, &info) && info.dli_fname ? info.dli_fname : "?";
    char line[600];
    int length = snprintf(line, sizeof line, "envwatch: %s from %s\n", call, object);
    if (length > 0) {
        ssize_t ignored = write(2, line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
        (void)ignored;
    }
}

#define NEXT(name, type) ((type)dlsym(RTLD_NEXT, name))

int setenv(const char *name, const char *value, int overwrite) {
    note("setenv", __builtin_return_address(0));
    return NEXT("setenv", int (*)(const char *, const char *, int))(name, value, overwrite);
}

int unsetenv(const char *name) {
    note("unsetenv", __builtin_return_address(0));
    return NEXT("unsetenv", int (*)(const char *))(name);
}

int putenv(char *text) {
    note("putenv", __builtin_return_address(0));
    return NEXT("putenv", int (*)(char *))(text);
}

int clearenv(void) {
    note("clearenv", __builtin_return_address(0));
    return NEXT("clearenv", int (*)(void))();
}

void tzset(void) {
    note("tzset", __builtin_return_address(0));
    NEXT("tzset", void (*)(void))();
}
