#define _GNU_SOURCE
#include "parley_sys.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

int parley_poll_nanoseconds(struct pollfd *fds, nfds_t count, long long timeout_ns) {
    if (timeout_ns < 0) return ppoll(fds, count, NULL, NULL);
    struct timespec timeout = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
    return ppoll(fds, count, &timeout, NULL);
}

int parley_loop_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int parley_loop_epoll_control(int epfd, int op, int fd, uint32_t events) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = ((events & 1) ? EPOLLIN : 0) | ((events & 2) ? EPOLLOUT : 0);
    event.data.fd = fd;
    int code = op == 0 ? EPOLL_CTL_ADD : op == 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    return epoll_ctl(epfd, code, fd, &event);
}

int parley_loop_epoll_wait(int epfd, struct parley_ready *ready, int capacity, long long timeout_ns) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count;
    if (timeout_ns < 0) {
        count = epoll_pwait2(epfd, events, capacity, NULL, NULL);
    } else {
        struct timespec timeout = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
        count = epoll_pwait2(epfd, events, capacity, &timeout, NULL);
    }
    if (count < 0 && errno == ENOSYS) {
        /* Kernels before 5.11 have no epoll_pwait2: round up to whole milliseconds. */
        int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999LL) / 1000000LL);
        count = epoll_wait(epfd, events, capacity, ms);
    }
    for (int i = 0; i < count; i++) {
        ready[i].fd = events[i].data.fd;
        uint32_t raw = events[i].events;
        ready[i].events = ((raw & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) ? 1 : 0) | ((raw & EPOLLOUT) ? 2 : 0);
    }
    return count;
}

/* The one wake-up: an eventfd that signal handlers and other threads write to. */
static volatile int wakeup_fd = -1;
static uint64_t pending_signals;

int parley_wakeup_create(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd >= 0) wakeup_fd = fd;
    return fd;
}

void parley_wakeup_close(int fd) {
    /* The signal handler must never write to a descriptor that was closed (and maybe reused). */
    if (wakeup_fd == fd) wakeup_fd = -1;
    close(fd);
}

void parley_wakeup_notify(int fd) {
    uint64_t one = 1;
    /* A counter at its limit is still readable: the wake-up is not lost. */
    ssize_t ignored = write(fd, &one, sizeof one);
    (void)ignored;
}

void parley_wakeup_drain(int fd) {
    uint64_t value;
    ssize_t ignored = read(fd, &value, sizeof value);
    (void)ignored;
}

static void note_signal(int signo) {
    int saved = errno;
    if (signo > 0 && signo < 64) __atomic_fetch_or(&pending_signals, (uint64_t)1 << signo, __ATOMIC_SEQ_CST);
    if (wakeup_fd >= 0) parley_wakeup_notify(wakeup_fd);
    errno = saved;
}

int parley_route_signals_to_wakeup(const int *signals, int count) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = note_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}

uint64_t parley_take_pending_signals(void) {
    return __atomic_exchange_n(&pending_signals, 0, __ATOMIC_SEQ_CST);
}
