#define _GNU_SOURCE
#include "parley_sys.h"
#include <poll.h>
#include <time.h>

int parley_poll_nanoseconds(struct pollfd *fds, nfds_t count, long long timeout_ns) {
    if (timeout_ns < 0) return ppoll(fds, count, NULL, NULL);
    struct timespec timeout = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
    return ppoll(fds, count, &timeout, NULL);
}
