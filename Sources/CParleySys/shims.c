#define _GNU_SOURCE
#include "parley_sys.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int parley_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int parley_pipe_nonblocking(int fds[2]) {
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

static volatile sig_atomic_t signal_pipe_fd = -1;

static void write_signal_byte(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    /* A full pipe drops the byte; a signal of the same kind is already pending then. */
    ssize_t ignored = write(signal_pipe_fd, &byte, 1);
    (void)ignored;
    errno = saved;
}

int parley_route_signals_to_pipe(int write_fd, const int *signals, int count) {
    signal_pipe_fd = write_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = write_signal_byte;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}

void parley_ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}

int parley_errno(void) {
    return errno;
}
