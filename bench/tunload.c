// bench/tunload.c: the servers and load clients of bench/tunnels.sh, one small epoll program,
// so that neither end is a Python process that would run out of CPU before the proxy does.
// Compiled by bench/tunnels.sh into its temp dir (cc -O2 ... -lcrypto).
//
//   tunload serve ws|sink|echo PORTFILE    listen on 127.0.0.1:0, write the port to PORTFILE
//     ws:   a WebSocket echo server (RFC 6455 handshake, frames echoed back unmasked)
//     sink: reads and drops everything; closes on EOF
//     echo: echoes what it reads; closes on EOF
//   tunload ws PORT CONNS SECONDS SIZE     CONNS WebSocket connections, each sending a SIZE-byte
//     binary message and waiting for its echo before the next; prints
//     "messages N p50_us X p99_us Y errors E"
//   tunload bulk PORT CONNS MIB            CONNS connections each writing MIB MiB, then a
//     half-close and a wait for the server's close; prints "bytes N seconds T errors E"
//   tunload conns PORT CONCURRENCY SECONDS  CONCURRENCY loops of connect, send 16 bytes, read
//     the 16-byte echo, close; prints "connections N errors E"
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF (256 * 1024)
#define MAXFD 65536

static char iobuf[BUF];

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char* what) {
  perror(what);
  exit(2);
}

static int tcp_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// ---- servers ----

enum { SRV_WS, SRV_SINK, SRV_ECHO };

// Per connection: bytes read but not consumed (ws), bytes to write that did not fit.
struct conn {
  int handshaken;
  char* in;
  size_t in_len, in_cap;
  char* out;
  size_t out_len, out_cap;
  int polling_out;  // EPOLLOUT is on
};
static struct conn* conns_tab;

static void append(char** b, size_t* len, size_t* cap, const char* d, size_t n) {
  if (*len + n > *cap) {
    *cap = (*len + n) * 2;
    *b = realloc(*b, *cap);
    if (!*b) die("realloc");
  }
  memcpy(*b + *len, d, n);
  *len += n;
}

static void srv_close(int ep, int fd) {
  struct conn* c = &conns_tab[fd];
  free(c->in);
  free(c->out);
  memset(c, 0, sizeof *c);
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
}

// Writes what is pending plus `d`; what does not fit waits for EPOLLOUT. 0 on error.
static int srv_send(int ep, int fd, const char* d, size_t n) {
  struct conn* c = &conns_tab[fd];
  if (c->out_len == 0 && n > 0) {
    ssize_t w = write(fd, d, n);
    if (w < 0 && errno != EAGAIN) return 0;
    if (w < 0) w = 0;
    d += w;
    n -= (size_t)w;
  }
  if (n > 0) append(&c->out, &c->out_len, &c->out_cap, d, n);
  if (c->out_len > 0) {
    ssize_t w = write(fd, c->out, c->out_len);
    if (w < 0 && errno != EAGAIN) return 0;
    if (w > 0) {
      memmove(c->out, c->out + w, c->out_len - (size_t)w);
      c->out_len -= (size_t)w;
    }
  }
  if ((c->out_len > 0) != c->polling_out) {
    c->polling_out = c->out_len > 0;
    struct epoll_event ev = {.events = EPOLLIN | (c->polling_out ? EPOLLOUT : 0), .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
  }
  return 1;
}

static void ws_accept_key(const char* key, size_t klen, char out[64]) {
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  char cat[256];
  if (klen > 200) klen = 200;
  memcpy(cat, key, klen);
  memcpy(cat + klen, guid, sizeof guid - 1);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest(cat, klen + sizeof guid - 1, md, &mdlen, EVP_sha1(), NULL);
  EVP_EncodeBlock((unsigned char*)out, md, (int)mdlen);
}

// The handshake: answers 101 once the request head is in. 0 on a bad request.
static int ws_handshake(int ep, int fd, struct conn* c) {
  char* end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
  if (!end) return 1;
  size_t head = (size_t)(end - c->in) + 4;
  char* k = memmem(c->in, head, "Sec-WebSocket-Key:", 18);
  if (!k) k = memmem(c->in, head, "sec-websocket-key:", 18);
  if (!k) return 0;
  k += 18;
  while (*k == ' ') k++;
  char* ke = memmem(k, head - (size_t)(k - c->in), "\r\n", 2);
  char accept[64];
  ws_accept_key(k, (size_t)(ke - k), accept);
  char resp[256];
  int n = snprintf(resp, sizeof resp,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
  memmove(c->in, c->in + head, c->in_len - head);
  c->in_len -= head;
  c->handshaken = 1;
  return srv_send(ep, fd, resp, (size_t)n);
}

// Echoes every whole frame in c->in, unmasked. 0 on a close frame or error.
static int ws_frames(int ep, int fd, struct conn* c) {
  size_t pos = 0;
  int ok = 1;
  while (ok) {
    unsigned char* p = (unsigned char*)c->in + pos;
    size_t avail = c->in_len - pos;
    if (avail < 2) break;
    int opcode = p[0] & 0x0f, masked = p[1] & 0x80;
    uint64_t len = p[1] & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = ((uint64_t)p[2] << 8) | p[3];
      hdr = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | p[2 + i];
      hdr = 10;
    }
    size_t mask_at = hdr;
    if (masked) hdr += 4;
    if (avail < hdr + len) break;
    unsigned char* payload = p + hdr;
    if (masked)
      for (uint64_t i = 0; i < len; i++) payload[i] ^= p[mask_at + (i & 3)];
    unsigned char out_hdr[10];
    size_t oh = 2;
    out_hdr[0] = 0x80 | (unsigned char)(opcode == 9 ? 10 : opcode);  // a ping gets its pong
    if (len < 126) {
      out_hdr[1] = (unsigned char)len;
    } else if (len < 65536) {
      out_hdr[1] = 126;
      out_hdr[2] = (unsigned char)(len >> 8);
      out_hdr[3] = (unsigned char)len;
      oh = 4;
    } else {
      out_hdr[1] = 127;
      for (int i = 0; i < 8; i++) out_hdr[2 + i] = (unsigned char)(len >> (56 - 8 * i));
      oh = 10;
    }
    // Header and payload in one write: copy them together (payload follows the header room).
    unsigned char* frame = payload - oh;  // overwrites the consumed header/mask bytes
    memmove(frame, out_hdr, oh);
    ok = srv_send(ep, fd, (const char*)frame, oh + len);
    if (opcode == 8) ok = 0;
    pos += hdr + len;
  }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
  return ok;
}

static void serve(int mode, const char* port_file) {
  int ls = tcp_socket();
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(0);
  if (bind(ls, (struct sockaddr*)&a, sizeof a) < 0 || listen(ls, 4096) < 0) die("listen");
  socklen_t al = sizeof a;
  getsockname(ls, (struct sockaddr*)&a, &al);
  char tmpname[4096];
  snprintf(tmpname, sizeof tmpname, "%s.tmp", port_file);
  FILE* f = fopen(tmpname, "w");
  if (!f) die("port file");
  fprintf(f, "%d\n", ntohs(a.sin_port));
  fclose(f);
  rename(tmpname, port_file);
  conns_tab = calloc(MAXFD, sizeof *conns_tab);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c;
        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          if (c >= MAXFD) { close(c); continue; }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      struct conn* c = &conns_tab[fd];
      if ((evs[i].events & EPOLLOUT) && !srv_send(ep, fd, NULL, 0)) { srv_close(ep, fd); continue; }
      if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = read(fd, iobuf, BUF);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) { srv_close(ep, fd); continue; }
      int ok = 1;
      if (mode == SRV_ECHO) {
        ok = srv_send(ep, fd, iobuf, (size_t)r);
      } else if (mode == SRV_WS) {
        append(&c->in, &c->in_len, &c->in_cap, iobuf, (size_t)r);
        if (!c->handshaken) ok = ws_handshake(ep, fd, c);
        if (ok && c->handshaken) ok = ws_frames(ep, fd, c);
      }
      if (!ok) srv_close(ep, fd);
    }
  }
}

// ---- clients ----

static int connect_to(int port) {
  int fd = tcp_socket();
  struct sockaddr_in a = loopback(port);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

// Blocking helpers for the WebSocket handshake, done before the clock starts.
static int wait_fd(int fd, short events) {
  struct epoll_event ev = {.events = (uint32_t)events, .data.fd = fd};
  int ep = epoll_create1(0);
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  int n = epoll_wait(ep, &ev, 1, 5000);
  close(ep);
  return n == 1;
}

static int ws_open(int port) {
  int fd = connect_to(port);
  if (fd < 0 || !wait_fd(fd, EPOLLOUT)) return -1;
  static const char req[] =
      "GET /echo HTTP/1.1\r\nHost: ws.bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return -1;
  char head[4096];
  size_t got = 0;
  while (!memmem(head, got, "\r\n\r\n", 4)) {
    if (got == sizeof head || !wait_fd(fd, EPOLLIN)) return -1;
    ssize_t r = read(fd, head + got, sizeof head - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  if (got < 12 || memcmp(head + 9, "101", 3) != 0) {
    fprintf(stderr, "tunload: handshake answered %.40s\n", head);
    return -1;
  }
  return fd;
}

#define HIST_US 200000
static uint32_t hist[HIST_US + 1];

static double hist_pct(uint64_t total, double pct) {
  uint64_t want = (uint64_t)(total * pct), seen = 0;
  for (int i = 0; i <= HIST_US; i++) {
    seen += hist[i];
    if (seen > want) return i;
  }
  return HIST_US;
}

static void ws_client(int port, int nconns, double seconds, size_t size) {
  if (size >= 126) { fprintf(stderr, "tunload: SIZE must be < 126\n"); exit(2); }
  unsigned char frame[132];
  frame[0] = 0x82;  // FIN, binary
  frame[1] = 0x80 | (unsigned char)size;
  memcpy(frame + 2, "\x12\x34\x56\x78", 4);
  for (size_t i = 0; i < size; i++) frame[6 + i] = (unsigned char)('a' + i % 26) ^ frame[2 + (i & 3)];
  size_t flen = 6 + size, reply = 2 + size;
  int* fds = calloc((size_t)nconns, sizeof *fds);
  double* sent_at = calloc(MAXFD, sizeof *sent_at);
  size_t* got = calloc(MAXFD, sizeof *got);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < nconns; i++) {
    fds[i] = ws_open(port);
    if (fds[i] < 0 || fds[i] >= MAXFD) { fprintf(stderr, "tunload: ws connect failed\n"); exit(1); }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  uint64_t messages = 0, errors = 0;
  double start = now_s(), stop = start + seconds;
  for (int i = 0; i < nconns; i++) {
    sent_at[fds[i]] = start;
    if (write(fds[i], frame, flen) != (ssize_t)flen) errors++;
  }
  struct epoll_event evs[256];
  int open = nconns;
  while (open > 0) {
    int n = epoll_wait(ep, evs, 256, 2000);
    if (n == 0) { errors += (uint64_t)open; break; }  // a lost echo: give up on the rest
    double t = now_s();
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      ssize_t r = read(fd, iobuf, BUF);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) { errors++; epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); close(fd); open--; continue; }
      got[fd] += (size_t)r;
      if (got[fd] < reply) continue;
      got[fd] -= reply;
      messages++;
      uint64_t us = (uint64_t)((t - sent_at[fd]) * 1e6);
      hist[us > HIST_US ? HIST_US : us]++;
      if (t >= stop) { epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); close(fd); open--; continue; }
      sent_at[fd] = t;
      if (write(fd, frame, flen) != (ssize_t)flen) errors++;
    }
  }
  printf("messages %llu p50_us %.0f p99_us %.0f errors %llu seconds %.3f\n",
         (unsigned long long)messages, hist_pct(messages, 0.50), hist_pct(messages, 0.99),
         (unsigned long long)errors, now_s() - start);
}

static void bulk_client(int port, int nconns, long mib) {
  memset(iobuf, 'x', BUF);
  uint64_t per = (uint64_t)mib << 20, total = 0, errors = 0;
  uint64_t* left = calloc(MAXFD, sizeof *left);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  double start = now_s();
  for (int i = 0; i < nconns; i++) {
    int fd = connect_to(port);
    if (fd < 0 || fd >= MAXFD) { fprintf(stderr, "tunload: bulk connect failed\n"); exit(1); }
    left[fd] = per;
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  struct epoll_event evs[64];
  int open = nconns;
  while (open > 0) {
    int n = epoll_wait(ep, evs, 64, 10000);
    if (n == 0) { errors += (uint64_t)open; break; }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (left[fd] > 0 && (evs[i].events & EPOLLOUT)) {
        ssize_t w = write(fd, iobuf, left[fd] < BUF ? left[fd] : BUF);
        if (w < 0 && errno == EAGAIN) continue;
        if (w < 0) { errors++; epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); close(fd); open--; continue; }
        left[fd] -= (uint64_t)w;
        total += (uint64_t)w;
        if (left[fd] == 0) {  // all sent: half-close, then wait for the server's close
          shutdown(fd, SHUT_WR);
          struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        }
        continue;
      }
      ssize_t r = read(fd, iobuf, BUF);
      if (r < 0 && errno == EAGAIN) continue;
      if (r != 0) errors++;  // the sink never answers; only its close is expected
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      open--;
    }
  }
  printf("bytes %llu seconds %.3f errors %llu\n", (unsigned long long)total, now_s() - start,
         (unsigned long long)errors);
}

// Connection-rate loop: state per fd is 0 = connecting, else bytes of the echo read so far + 1.
static void conns_client(int port, int concurrency, double seconds) {
  static const char msg[16] = "0123456789abcdef";
  int* state = calloc(MAXFD, sizeof *state);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  uint64_t done = 0, errors = 0;
  double stop = now_s() + seconds;
  int open = 0;
  for (int i = 0; i < concurrency; i++) {
    int fd = connect_to(port);
    if (fd < 0 || fd >= MAXFD) { errors++; continue; }
    state[fd] = 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    open++;
  }
  struct epoll_event evs[256];
  while (open > 0) {
    int n = epoll_wait(ep, evs, 256, 2000);
    if (n == 0) { errors += (uint64_t)open; break; }
    int finished_now = now_s() >= stop;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd, next = 1;
      if (state[fd] == 0) {
        if ((evs[i].events & (EPOLLERR | EPOLLHUP)) || write(fd, msg, 16) != 16) {
          errors++;
        } else {
          state[fd] = 1;
          struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
          continue;
        }
      } else {
        ssize_t r = read(fd, iobuf, 64);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) {
          errors++;
        } else {
          state[fd] += (int)r;
          if (state[fd] < 17) continue;
          done++;
        }
      }
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      open--;
      if (finished_now) next = 0;
      if (!next) continue;
      int nfd = connect_to(port);
      if (nfd < 0 || nfd >= MAXFD) { errors++; if (nfd >= 0) close(nfd); continue; }
      state[nfd] = 0;
      struct epoll_event ev = {.events = EPOLLOUT, .data.fd = nfd};
      epoll_ctl(ep, EPOLL_CTL_ADD, nfd, &ev);
      open++;
    }
  }
  printf("connections %llu errors %llu\n", (unsigned long long)done, (unsigned long long)errors);
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "serve") == 0) {
    int mode = strcmp(argv[2], "ws") == 0 ? SRV_WS : strcmp(argv[2], "sink") == 0 ? SRV_SINK
             : SRV_ECHO;
    serve(mode, argv[3]);
  } else if (argc == 6 && strcmp(argv[1], "ws") == 0) {
    ws_client(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), (size_t)atoi(argv[5]));
  } else if (argc == 5 && strcmp(argv[1], "bulk") == 0) {
    bulk_client(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
  } else if (argc == 5 && strcmp(argv[1], "conns") == 0) {
    conns_client(atoi(argv[2]), atoi(argv[3]), atof(argv[4]));
  } else {
    fprintf(stderr, "usage: see the comment at the top of bench/tunload.c\n");
    return 2;
  }
  return 0;
}
