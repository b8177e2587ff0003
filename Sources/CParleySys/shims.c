#define _GNU_SOURCE
#include "parley_sys.h"
#include <errno.h>
#include <signal.h>

int parley_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void parley_ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}

int parley_errno(void) {
    return errno;
}
