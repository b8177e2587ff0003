#include "parley_sys.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char *volatile current_plugin = NULL;
static const char *volatile current_hook = NULL;

void parley_breadcrumb_set(const char *plugin, const char *hook) {
    current_plugin = plugin;
    current_hook = hook;
}

static void write_text(const char *text) {
    ssize_t ignored = write(2, text, strlen(text));
    (void)ignored;
}

static struct sigaction previous[65];

static void report_crash(int signo) {
    const char *plugin = current_plugin;
    if (plugin != NULL) {
        write_text("parley: crashed in plugin ");
        write_text(plugin);
        write_text(" (");
        write_text(current_hook != NULL ? current_hook : "?");
        write_text(")\n");
    } else {
        write_text("parley: crashed outside any plugin\n");
    }
    /* Hand over to whatever handled the signal before us (the Swift runtime's backtracer). */
    if (signo > 0 && signo < 65) sigaction(signo, &previous[signo], NULL);
    raise(signo);
}

void parley_install_crash_reporter(void) {
    int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = report_crash;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &action, &previous[signals[i]]);
    }
}
