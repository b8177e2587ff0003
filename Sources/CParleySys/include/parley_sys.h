#ifndef PARLEY_SYS_H
#define PARLEY_SYS_H
/* Small C shims for POSIX calls that Swift 6 cannot reach or implement safely. */
#include <sys/socket.h>
#include <sys/uio.h>

/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC: the Glibc module does not export accept4. */
int parley_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len);

/* Ignore SIGPIPE so a write to a dead peer fails with EPIPE instead of killing the server. */
void parley_ignore_sigpipe(void);

/* errno, readable from Swift without the thread-local accessor dance. */
int parley_errno(void);

/* Raises the soft limit on open files towards `wanted` (never past the hard limit) and
   reports both limits as they are now. Returns 0, or -1 when the limits cannot be read. */
int parley_raise_open_files(unsigned long long wanted, unsigned long long *soft, unsigned long long *hard);

#endif

#ifndef PARLEY_SYS_FFI_H
#define PARLEY_SYS_FFI_H
#include <stdint.h>
/* Calls `fn` through libffi. Types are parley_type values (parley_plugin.h): INT32, INT64,
   DOUBLE, STRING (const char *). `args[i]` points at the i-th argument's value; `result`
   must hold 8 bytes. Returns 0, or -1 when libffi cannot prepare the call. The libffi
   ffi_type_* globals are reached here because Swift 6 cannot import them safely. */
int parley_ffi_invoke(void (*fn)(void), uint32_t return_type, uint32_t arg_count,
                      const uint32_t *arg_types, void **args, void *result);

#endif

#ifndef PARLEY_SYS_CRUMBS_H
#define PARLEY_SYS_CRUMBS_H
/* Crash breadcrumbs: the host records which plugin hook is running (pointers to strings that
   live as long as the process). On SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT the handler
   prints "parley: crashed in plugin NAME (HOOK)" to stderr and re-raises the signal. */
void parley_breadcrumb_set(const char *plugin, const char *hook);
void parley_install_crash_reporter(void);
#endif

#ifndef PARLEY_SYS_READINESS_H
#define PARLEY_SYS_READINESS_H
#include <poll.h>
#include <stdint.h>
/* poll() with a timeout in nanoseconds (ppoll); negative waits forever. */
int parley_poll_nanoseconds(struct pollfd *fds, nfds_t count, long long timeout_ns);

/* epoll, level-triggered, for the loop's epoll backend. `op` is 0 add, 1 modify, 2 delete.
   Events in and out are bit 0 readable (out: also hang-up and error), bit 1 writable. Waits take nanoseconds (negative: forever) and report
   at most 256 ready descriptors per call. */
struct parley_ready { int fd; uint32_t events; };
int parley_loop_epoll_create(void);
int parley_loop_epoll_control(int epfd, int op, int fd, uint32_t events);
int parley_loop_epoll_wait(int epfd, struct parley_ready *ready, int capacity, long long timeout_ns);

/* The loop's one wake-up: an eventfd written by other threads (posted work) and by the signal
   handler, which also records the signal in a pending set. A Swift closure cannot be an
   async-signal-safe handler, hence C. */
int parley_wakeup_create(void);
void parley_wakeup_notify(int fd);
/* Closes a wake-up; signals stop being routed to it first. */
void parley_wakeup_close(int fd);
void parley_wakeup_drain(int fd);
/* Routes the signals to the wake-up created last. Returns 0 or -1 (errno). */
int parley_route_signals_to_wakeup(const int *signals, int count);
/* The signals received since the last call, as a bit set (bit n = signal n). */
uint64_t parley_take_pending_signals(void);
#endif
