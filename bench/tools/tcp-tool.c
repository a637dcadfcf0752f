/*
 * tcp-tool.c: the same kernel-side client and servers as tcp-tool.mjs, in C, so that the kernel
 * side costs a few microseconds per operation and the stack under test is what gets measured
 * (a Node client tops out near 20 k round trips/s here, far below the kernel's own rate).
 * Same command line, same one-line JSON output. Built by `npm run bench` with `cc -O2`.
 *
 *   bulk-server PORT [send BYTES] | echo-server PORT            (one connection at a time)
 *   bulk-send HOST PORT BYTES | bulk-recv HOST PORT BYTES | connect-rate HOST PORT COUNT | rr HOST PORT COUNT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buffer[1 << 20];

static void fail(const char *what) {
  fprintf(stderr, "tcp-tool: %s: %s\n", what, errno ? strerror(errno) : "failed");
  exit(1);
}

static void on_alarm(int signo) {
  (void)signo;
  static const char message[] = "tcp-tool: gave up (TCP_TOOL_TIMEOUT_MS)\n";
  if (write(2, message, sizeof message - 1) < 0) _exit(2);
  _exit(2);
}

static long long number(const char *text, const char *what) {
  char *end;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (errno || *end || value < 0) { errno = 0; fail(what); }
  return value;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* TCP_TOOL_CONGESTION=name: this socket's congestion control (TCP_CONGESTION; root may pick any
 * loaded algorithm). Accepted sockets inherit it from the listener. */
static void apply_congestion(int fd) {
  const char *name = getenv("TCP_TOOL_CONGESTION");
  if (name == NULL || *name == 0) return;
  if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)) != 0) {
    fprintf(stderr, "tcp-tool: TCP_CONGESTION %s: %s\n", name, strerror(errno));
    exit(1);
  }
}

static int connect_to(const char *host, const char *port) {
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *list;
  int rc = getaddrinfo(host, port, &hints, &list);
  if (rc) { fprintf(stderr, "tcp-tool: %s: %s\n", host, gai_strerror(rc)); exit(1); }
  int fd = socket(list->ai_family, SOCK_STREAM, 0);
  if (fd >= 0) apply_congestion(fd);
  if (fd < 0) fail("socket");
  nodelay(fd);
  if (connect(fd, list->ai_addr, list->ai_addrlen) < 0) fail("connect");
  freeaddrinfo(list);
  return fd;
}

static void write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) { if (errno == EINTR) continue; fail("write"); }
    data += n;
    length -= (size_t)n;
  }
}

static void send_bytes(int fd, long long bytes) {
  while (bytes > 0) {
    size_t piece = bytes < (long long)sizeof buffer ? (size_t)bytes : sizeof buffer;
    write_all(fd, buffer, piece);
    bytes -= (long long)piece;
  }
}

/* Read until the peer's FIN (or `limit` bytes when limit >= 0); returns the byte count. */
static long long drain(int fd, long long limit) {
  long long total = 0;
  while (limit < 0 || total < limit) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) { if (errno == EINTR) continue; if (errno == ECONNRESET) break; fail("read"); }
    if (n == 0) break;
    total += n;
  }
  return total;
}

static int listen_on(const char *port) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd >= 0) apply_congestion(fd);
  if (fd < 0) fail("socket");
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_in6 address = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT,
                                  .sin6_port = htons((unsigned short)number(port, "PORT")) };
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
  if (listen(fd, 1024) < 0) fail("listen");
  printf("{\"listening\":%s}\n", port);
  fflush(stdout);
  return fd;
}

static void serve(const char *mode, const char *port, long long bytes) {
  int listener = listen_on(port);
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) { if (errno == EINTR || errno == ECONNABORTED) continue; fail("accept"); }
    if (strcmp(mode, "echo") == 0) {
      nodelay(fd);
      for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        write_all(fd, buffer, (size_t)n);
      }
    } else if (bytes >= 0) {
      send_bytes(fd, bytes);
      shutdown(fd, SHUT_WR);
      drain(fd, -1);
    } else {
      drain(fd, -1);
    }
    close(fd);
  }
}

static void print_throughput(long long bytes, double seconds) {
  printf("{\"bytes\":%lld,\"seconds\":%.9f,\"MBps\":%.3f}\n", bytes, seconds, bytes / 1e6 / seconds);
}

static void print_rate(long long count, double seconds) {
  printf("{\"count\":%lld,\"seconds\":%.9f,\"perSecond\":%.3f}\n", count, seconds, count / seconds);
}

int main(int argc, char **argv) {
  memset(buffer, 0x5a, sizeof buffer);
  signal(SIGPIPE, SIG_IGN);
  const char *usage = "usage: tcp-tool bulk-server PORT [send BYTES] | echo-server PORT | bulk-send HOST PORT BYTES | "
                      "bulk-recv HOST PORT BYTES | connect-rate HOST PORT COUNT | rr HOST PORT COUNT\n";
  if (argc < 3) { fputs(usage, stderr); return 1; }
  const char *mode = argv[1];
  if (strcmp(mode, "bulk-server") == 0) {
    if (argc == 5 && strcmp(argv[3], "send") == 0) serve("send", argv[2], number(argv[4], "BYTES"));
    if (argc == 3) serve("discard", argv[2], -1);
    fputs(usage, stderr);
    return 1;
  }
  if (strcmp(mode, "echo-server") == 0) serve("echo", argv[2], -1);
  if (argc != 5) { fputs(usage, stderr); return 1; }

  const char *limit = getenv("TCP_TOOL_TIMEOUT_MS");
  signal(SIGALRM, on_alarm);
  alarm((unsigned)((limit ? atoll(limit) : 120000) / 1000 + 1));
  const char *host = argv[2], *port = argv[3];
  long long n = number(argv[4], "BYTES/COUNT");
  double start = now();
  if (strcmp(mode, "bulk-send") == 0) {
    int fd = connect_to(host, port);
    send_bytes(fd, n);
    shutdown(fd, SHUT_WR);
    drain(fd, -1); /* the server closes once it has read everything we sent */
    print_throughput(n, now() - start);
  } else if (strcmp(mode, "bulk-recv") == 0) {
    int fd = connect_to(host, port);
    long long got = drain(fd, n);
    double elapsed = now() - start;
    if (got < n) { fprintf(stderr, "tcp-tool: the server closed after %lld of %lld bytes\n", got, n); return 1; }
    print_throughput(got, elapsed);
  } else if (strcmp(mode, "connect-rate") == 0) {
    for (long long i = 0; i < n; i++) {
      int fd = connect_to(host, port);
      write_all(fd, "*", 1);
      if (drain(fd, 1) != 1) { errno = 0; fail("echo"); }
      shutdown(fd, SHUT_WR);
      drain(fd, -1);
      close(fd);
    }
    print_rate(n, now() - start);
  } else if (strcmp(mode, "rr") == 0) {
    int fd = connect_to(host, port);
    start = now();
    for (long long i = 0; i < n; i++) {
      write_all(fd, "*", 1);
      if (drain(fd, 1) != 1) { errno = 0; fail("the server closed during the round trips"); }
    }
    print_rate(n, now() - start);
  } else {
    fputs(usage, stderr);
    return 1;
  }
  return 0;
}
