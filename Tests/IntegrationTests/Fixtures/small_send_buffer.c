/* Preloaded into the server by LongReplyTests (LD_PRELOAD): every accepted socket gets a small
   send buffer (SO_SNDBUF from PARLEY_TEST_SNDBUF, 8192 by default), as on a slow link. On
   loopback the kernel otherwise grows it to megabytes (its segments are 64 KiB), and a reply
   would have to be larger than that before the server ever had to wait for a client. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>

int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    int (*next)(int, struct sockaddr *, socklen_t *, int) =
        (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    int client = next(fd, address, length, flags);
    if (client >= 0) {
        const char *wanted = getenv("PARLEY_TEST_SNDBUF");
        int size = wanted ? atoi(wanted) : 8192;
        setsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    return client;
}
