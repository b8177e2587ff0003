#ifndef PARLEY_SYS_H
#define PARLEY_SYS_H
/* Small C shims for POSIX calls that Swift 6 cannot reach or implement safely. */
#include <sys/socket.h>
#include <sys/uio.h>

/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC: the Glibc module does not export accept4. */
int parley_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len);

/* pipe2 with O_NONBLOCK|O_CLOEXEC on both ends. */
int parley_pipe_nonblocking(int fds[2]);

/* Route the given signals to a self-pipe: the handler writes the signal number as one byte
   to write_fd, so the poll() loop handles signals like any other readable fd.
   A Swift closure cannot be an async-signal-safe handler, hence C. Returns 0 or -1 (errno). */
int parley_route_signals_to_pipe(int write_fd, const int *signals, int count);

/* Ignore SIGPIPE so a write to a dead peer fails with EPIPE instead of killing the server. */
void parley_ignore_sigpipe(void);

/* errno, readable from Swift without the thread-local accessor dance. */
int parley_errno(void);

#endif
