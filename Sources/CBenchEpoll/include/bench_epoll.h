#ifndef PARLEY_BENCH_EPOLL_H
#define PARLEY_BENCH_EPOLL_H
#include <stdint.h>
/* epoll for parley-bench: a load generator holding 20,000 sockets must not pay poll()'s
   scan of every socket per wake-up, or it, not the server, sets the pace. (The server itself
   runs on poll(), by design.) Event bits are poll's: POLLIN, POLLOUT, POLLERR, POLLHUP. */
int parley_epoll_create(void);
/* Watches fd for reading, and for writing when want_write: operation 0 adds, 1 changes, 2 removes. */
int parley_epoll_watch(int epoll_fd, int fd, int operation, int want_write, uint64_t token);
/* Waits up to timeout_ns (negative: forever); fills tokens/events, returns how many. */
int parley_epoll_wait(int epoll_fd, uint64_t *tokens, uint32_t *events, int capacity, long long timeout_ns);
#endif
