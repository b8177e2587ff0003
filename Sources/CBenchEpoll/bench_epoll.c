#define _GNU_SOURCE
#include "bench_epoll.h"
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>

int parley_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int parley_epoll_watch(int epoll_fd, int fd, int operation, int want_write, uint64_t token) {
    static const int operations[] = {EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL};
    if (operation < 0 || operation > 2) { errno = EINVAL; return -1; }
    struct epoll_event event = {0};
    event.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0);
    event.data.u64 = token;
    return epoll_ctl(epoll_fd, operations[operation], fd, &event);
}

int parley_epoll_wait(int epoll_fd, uint64_t *tokens, uint32_t *events, int capacity, long long timeout_ns) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int count;
    if (timeout_ns < 0) {
        count = epoll_wait(epoll_fd, ready, capacity, -1);
    } else {
        struct timespec timeout = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
        count = epoll_pwait2(epoll_fd, ready, capacity, &timeout, NULL);
        if (count < 0 && errno == ENOSYS) count = epoll_wait(epoll_fd, ready, capacity, (int)((timeout_ns + 999999) / 1000000));
    }
    for (int index = 0; index < count; index++) {
        tokens[index] = ready[index].data.u64;
        uint32_t bits = ready[index].events;
        events[index] = (bits & (EPOLLIN | EPOLLRDHUP) ? 0x001 : 0) | (bits & EPOLLOUT ? 0x004 : 0)
                      | (bits & EPOLLERR ? 0x008 : 0) | (bits & EPOLLHUP ? 0x010 : 0);
    }
    return count;
}
