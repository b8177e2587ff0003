#define _GNU_SOURCE
#include "parley_sys.h"
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

int parley_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void parley_ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}

int parley_errno(void) {
    return errno;
}

int parley_raise_open_files(unsigned long long wanted, unsigned long long *soft, unsigned long long *hard) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur < wanted) {
        rlim_t target = wanted;
        if (limit.rlim_max != RLIM_INFINITY && target > limit.rlim_max) target = limit.rlim_max;
        if (target > limit.rlim_cur) {
            struct rlimit raised = {target, limit.rlim_max};
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit.rlim_cur = target;
        }
    }
    *soft = limit.rlim_cur;
    *hard = limit.rlim_max;
    return 0;
}
