/*
 * netproxy-helper: bridges a frame device that Node.js cannot open by itself to a byte stream
 * that it can. The stream is always fd 3 (one end of the AF_UNIX SOCK_STREAM socketpair that
 * Node's child_process creates for a 'pipe' stdio entry) and carries frames in the u32be format:
 * a 4-byte big-endian length, then one bare Ethernet frame.
 *
 * Modes (status lines go to stderr as single-line JSON objects; stdout is unused):
 *
 *   netproxy-helper dgram-listen PATH
 *       Bind an AF_UNIX SOCK_DGRAM socket at PATH (QEMU -netdev dgram remote, libkrun unixgram,
 *       gvproxy -listen-vfkit). One datagram = one frame. The first sender with a non-empty
 *       address becomes the peer ("peer locking"); datagrams from anyone else are ignored. A
 *       first datagram that is exactly "VFKT" (vfkit magic) is consumed. Replies use sendto(peer).
 *
 *   netproxy-helper dgram-fd N
 *       Use the already connected SOCK_DGRAM descriptor N (a socketpair end), send()/recv().
 *
 *   netproxy-helper tap --netns PATH [--ifname NAME] [--mac MAC] [--addr A.B.C.D/P]
 *                       [--gateway A.B.C.D] [--addr6 X::Y/P] [--gateway6 X::Z] [--mtu N]
 *                       [--disable-ipv6] [--vnet-hdr]
 *       setns() into the network namespace PATH, create a TAP device (IFF_TAP|IFF_NO_PI), set its
 *       MAC and MTU, bring lo and the TAP up, assign the addresses and add default routes via the
 *       gateways (what `slirp4netns --configure` does), then relay its frames. IPv6 duplicate
 *       address detection is switched off on the TAP (one guest per link), so a static IPv6
 *       address is usable at once; --disable-ipv6 turns IPv6 off on the TAP instead.
 *       --vnet-hdr opens the TAP with IFF_VNET_HDR (a 10-byte little-endian virtio_net_hdr before
 *       every frame, in both directions, relayed as part of the frame) and turns on checksum and
 *       TCP segmentation offload (TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6): the namespace's kernel then
 *       hands over TCP segments of up to 64 KiB with partial checksums, and accepts them back.
 *
 * Exit status: 0 when the stream reaches EOF (the proxy closed the link), 1 on an error (the
 * reason is the last stderr line), 2 on a usage error.
 *
 * Build: gcc -O2 -Wall -Wextra -o netproxy-helper netproxy-helper.c (no dependencies).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define STREAM_FD 3
#define MAX_FRAME 65560              /* largest frame carried (65535-byte IP packet + Ethernet + virtio_net_hdr) */
#define VNET_HDR_LEN 10              /* struct virtio_net_hdr */
#define OBUF_CAP (2u << 20)          /* device -> stream staging */
#define IBUF_CAP (2u << 20)          /* stream -> device staging */
#define SOCK_BUF (7 << 20)           /* datagram socket buffers, as libkrun uses */

enum mode { M_DGRAM_LISTEN, M_DGRAM_FD, M_TAP };

static enum mode mode;
static int dev = -1;
static struct sockaddr_un peer;
static socklen_t peerlen;
static int have_peer;
static unsigned long long n_ignored, n_oversize, n_nopeer, n_send_err;

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void status(const char *event, const char *key, const char *val) {
  fprintf(stderr, "{\"event\":\"%s\"", event);
  if (key) {
    fprintf(stderr, ",\"%s\":", key);
    json_str(stderr, val);
  }
  fputs("}\n", stderr);
  fflush(stderr);
}

static void die(const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  status("error", "message", msg);
  exit(1);
}

static void die_msg(const char *msg) {
  status("error", "message", msg);
  exit(1);
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
}

/* ---------- device setup ---------- */

static void open_dgram_listen(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) die_msg("dgram-listen: path longer than 107 bytes");
  strcpy(a.sun_path, path);
  dev = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (dev < 0) die("socket(AF_UNIX, SOCK_DGRAM)");
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) die_msg("dgram-listen: path exists and is not a socket");
    unlink(path);
  }
  if (bind(dev, (struct sockaddr *)&a, sizeof a) < 0) die("bind(dgram path)");
  int sz = SOCK_BUF;
  setsockopt(dev, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  setsockopt(dev, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

static void open_dgram_fd(const char *s) {
  char *end;
  long fd = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || fd < 0 || fd > 1 << 20) die_msg("dgram-fd: expected a descriptor number");
  int type = 0;
  socklen_t tl = sizeof type;
  if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) die("dgram-fd: getsockopt(SO_TYPE)");
  if (type != SOCK_DGRAM && type != SOCK_SEQPACKET) die_msg("dgram-fd: descriptor is not a datagram socket");
  dev = (int)fd;
  set_nonblock(dev);
}

static int parse_mac(const char *s, unsigned char m[6]) {
  unsigned v[6];
  char tail;
  if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6) return -1;
  for (int i = 0; i < 6; i++) {
    if (v[i] > 255) return -1;
    m[i] = (unsigned char)v[i];
  }
  return 0;
}

static void ifreq_ioctl(int s, unsigned long req, struct ifreq *ifr, const char *what) {
  if (ioctl(s, req, ifr) < 0) die(what);
}

/* struct in6_ifreq from <linux/ipv6.h>, which clashes with the libc headers. */
struct np_in6_ifreq {
  struct in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

static void write_sysctl(const char *ifname, const char *key, const char *val) {
  char p[160];
  snprintf(p, sizeof p, "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
  int f = open(p, O_WRONLY | O_CLOEXEC);
  if (f < 0) return;
  if (write(f, val, strlen(val)) < 0) status("warning", "message", p);
  close(f);
}

static void configure_ipv6(const char *name, const char *addr6, const char *gateway6) {
  int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s6 < 0) die("socket(AF_INET6) for interface configuration");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, name);
  ifreq_ioctl(s6, SIOCGIFINDEX, &ifr, "ioctl(SIOCGIFINDEX)");
  int index = ifr.ifr_ifindex;
  if (addr6) {
    char ip[64];
    int prefix = 64;
    const char *slash = strchr(addr6, '/');
    size_t iplen = slash ? (size_t)(slash - addr6) : strlen(addr6);
    if (iplen >= sizeof ip) die_msg("tap: --addr6 too long");
    memcpy(ip, addr6, iplen);
    ip[iplen] = 0;
    if (slash) {
      char *end;
      long p = strtol(slash + 1, &end, 10);
      if (*end != 0 || p < 1 || p > 128) die_msg("tap: --addr6 prefix must be 1..128");
      prefix = (int)p;
    }
    struct np_in6_ifreq r6;
    memset(&r6, 0, sizeof r6);
    if (inet_pton(AF_INET6, ip, &r6.addr) != 1) die_msg("tap: --addr6 is not an IPv6 address");
    r6.prefixlen = (uint32_t)prefix;
    r6.ifindex = index;
    if (ioctl(s6, SIOCSIFADDR, &r6) < 0) die("ioctl(SIOCSIFADDR inet6)");
  }
  if (gateway6) {
    struct in6_rtmsg rt;
    memset(&rt, 0, sizeof rt);
    if (inet_pton(AF_INET6, gateway6, &rt.rtmsg_gateway) != 1) die_msg("tap: --gateway6 is not an IPv6 address");
    rt.rtmsg_dst_len = 0;
    rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
    rt.rtmsg_metric = 1;
    rt.rtmsg_ifindex = index;
    if (ioctl(s6, SIOCADDRT, &rt) < 0 && errno != EEXIST) die("ioctl(SIOCADDRT inet6 default route)");
  }
  close(s6);
}

static void open_tap(const char *netns, const char *ifname, const char *mac, const char *addr,
                     const char *gateway, const char *addr6, const char *gateway6, int mtu, int disable_ipv6, int vnet_hdr) {
  int nsfd = open(netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) die("open(netns path)");
  if (setns(nsfd, CLONE_NEWNET) < 0) die("setns(CLONE_NEWNET)");
  close(nsfd);

  dev = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (dev < 0) die("open(/dev/net/tun)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
  if (strlen(ifname) >= IFNAMSIZ) die_msg("tap: interface name longer than 15 bytes");
  strcpy(ifr.ifr_name, ifname);
  if (ioctl(dev, TUNSETIFF, &ifr) < 0) die("ioctl(TUNSETIFF)");
  if (vnet_hdr) {
    int hdrsz = VNET_HDR_LEN, le = 1;
    if (ioctl(dev, TUNSETVNETHDRSZ, &hdrsz) < 0) die("ioctl(TUNSETVNETHDRSZ)");
    /* The header is little-endian (the TS side reads it so); native on little-endian hosts. */
    if (ioctl(dev, TUNSETVNETLE, &le) < 0 && errno != EINVAL) die("ioctl(TUNSETVNETLE)");
    if (ioctl(dev, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) die("ioctl(TUNSETOFFLOAD)");
  }
  char name[IFNAMSIZ + 1] = {0};
  memcpy(name, ifr.ifr_name, IFNAMSIZ);

  /* /proc/sys/net reflects the namespace we entered with setns(). */
  if (disable_ipv6) {
    write_sysctl(name, "disable_ipv6", "1");
  } else {
    write_sysctl(name, "accept_dad", "0");
  }

  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket(AF_INET) for interface configuration");
  /* Loopback up, as slirp4netns --configure does. */
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  ifreq_ioctl(s, SIOCGIFFLAGS, &ifr, "ioctl(SIOCGIFFLAGS lo)");
  ifr.ifr_flags |= IFF_UP;
  ifreq_ioctl(s, SIOCSIFFLAGS, &ifr, "ioctl(SIOCSIFFLAGS lo)");

  if (mac) {
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, name);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    if (parse_mac(mac, (unsigned char *)ifr.ifr_hwaddr.sa_data) < 0) die_msg("tap: --mac must be six hex octets separated by ':'");
    ifreq_ioctl(s, SIOCSIFHWADDR, &ifr, "ioctl(SIOCSIFHWADDR)");
  }
  if (mtu > 0) {
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, name);
    ifr.ifr_mtu = mtu;
    ifreq_ioctl(s, SIOCSIFMTU, &ifr, "ioctl(SIOCSIFMTU)");
  }
  if (addr) {
    char ip[64];
    int prefix = 24;
    const char *slash = strchr(addr, '/');
    size_t iplen = slash ? (size_t)(slash - addr) : strlen(addr);
    if (iplen >= sizeof ip) die_msg("tap: --addr too long");
    memcpy(ip, addr, iplen);
    ip[iplen] = 0;
    if (slash) {
      char *end;
      long p = strtol(slash + 1, &end, 10);
      if (*end != 0 || p < 0 || p > 32) die_msg("tap: --addr prefix must be 0..32");
      prefix = (int)p;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, name);
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) die_msg("tap: --addr is not an IPv4 address");
    ifreq_ioctl(s, SIOCSIFADDR, &ifr, "ioctl(SIOCSIFADDR)");
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, name);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
    ifreq_ioctl(s, SIOCSIFNETMASK, &ifr, "ioctl(SIOCSIFNETMASK)");
  }
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, name);
  ifreq_ioctl(s, SIOCGIFFLAGS, &ifr, "ioctl(SIOCGIFFLAGS tap)");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ifreq_ioctl(s, SIOCSIFFLAGS, &ifr, "ioctl(SIOCSIFFLAGS tap)");
  if (gateway) {
    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
    struct sockaddr_in *gw = (struct sockaddr_in *)&rt.rt_gateway;
    struct sockaddr_in *mask = (struct sockaddr_in *)&rt.rt_genmask;
    dst->sin_family = gw->sin_family = mask->sin_family = AF_INET;
    if (inet_pton(AF_INET, gateway, &gw->sin_addr) != 1) die_msg("tap: --gateway is not an IPv4 address");
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = name;
    if (ioctl(s, SIOCADDRT, &rt) < 0) die("ioctl(SIOCADDRT default route)");
  }
  close(s);
  if (!disable_ipv6 && (addr6 || gateway6)) configure_ipv6(name, addr6, gateway6);
  status("configured", "ifname", name);
}

/* ---------- relay ---------- */

static uint8_t *obuf, *ibuf;
static size_t olen, ooff, ilen, ipos;
static int dev_blocked;

/* Read as many frames from the device as fit; returns 0 on EAGAIN, -1 on device EOF. */
static int pump_dev_to_buf(void) {
  for (int iter = 0; iter < 256; iter++) {
    if (OBUF_CAP - olen < MAX_FRAME + 5) {
      if (ooff == 0) return 0;
      memmove(obuf, obuf + ooff, olen - ooff);
      olen -= ooff;
      ooff = 0;
      if (OBUF_CAP - olen < MAX_FRAME + 5) return 0;
    }
    uint8_t *dst = obuf + olen + 4;
    ssize_t n;
    struct sockaddr_un from;
    socklen_t fromlen = sizeof from;
    if (mode == M_DGRAM_LISTEN) n = recvfrom(dev, dst, MAX_FRAME + 1, 0, (struct sockaddr *)&from, &fromlen);
    else n = read(dev, dst, MAX_FRAME + 1);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return 0;
      if (mode == M_TAP && errno == EIO) return 0; /* link down */
      die("read(device)");
    }
    if (n == 0 && mode == M_DGRAM_FD) {
      /* zero-length datagram: not a frame; a socketpair never reports EOF this way */
      continue;
    }
    if (mode == M_DGRAM_LISTEN) {
      if (!have_peer) {
        if (fromlen <= sizeof(sa_family_t)) {
          if (n_ignored++ < 3) status("ignored", "reason", "datagram from an unbound (unnamed) sender; it cannot be answered");
          continue;
        }
        memcpy(&peer, &from, fromlen);
        peerlen = fromlen;
        have_peer = 1;
        char path[sizeof from.sun_path + 1] = {0};
        memcpy(path, from.sun_path, fromlen - sizeof(sa_family_t));
        status("peer", "path", path[0] ? path : "@abstract");
      } else if (fromlen != peerlen || memcmp(&from, &peer, fromlen) != 0) {
        if (n_ignored++ < 3) status("ignored", "reason", "datagram from a sender other than the locked peer");
        continue;
      }
      /* The vfkit magic is consumed, never treated as a frame (4 bytes cannot be Ethernet). */
      if (n == 4 && memcmp(dst, "VFKT", 4) == 0) continue;
    }
    if (n == 0) continue;
    if (n > MAX_FRAME) {
      n_oversize++;
      continue;
    }
    uint8_t *h = obuf + olen;
    h[0] = (uint8_t)(n >> 24);
    h[1] = (uint8_t)(n >> 16);
    h[2] = (uint8_t)(n >> 8);
    h[3] = (uint8_t)n;
    olen += 4 + (size_t)n;
  }
  return 0;
}

static void flush_stream(void) {
  while (ooff < olen) {
    ssize_t w = write(STREAM_FD, obuf + ooff, olen - ooff);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      if (errno == EPIPE || errno == ECONNRESET) exit(0);
      die("write(stream)");
    }
    ooff += (size_t)w;
  }
  olen = ooff = 0;
}

/* Write parsed frames from ibuf to the device; stops when the device would block. */
static void drain_ibuf_to_dev(void) {
  while (ilen - ipos >= 4) {
    uint8_t *h = ibuf + ipos;
    uint32_t len = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    if (len == 0 || len > MAX_FRAME) {
      char msg[128];
      snprintf(msg, sizeof msg, "stream from the proxy carried an invalid length %u", len);
      die_msg(msg);
    }
    if (ilen - ipos < 4 + len) break;
    ssize_t w;
    if (mode == M_DGRAM_LISTEN) {
      if (!have_peer) {
        n_nopeer++;
        ipos += 4 + len;
        continue;
      }
      w = sendto(dev, h + 4, len, 0, (struct sockaddr *)&peer, peerlen);
    } else {
      w = write(dev, h + 4, len);
    }
    if (w < 0) {
      if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
        dev_blocked = 1;
        break;
      }
      /* Peer gone (ECONNREFUSED/ENOENT) or a frame the device refuses: drop it, say so once. */
      if (n_send_err++ < 3) {
        char msg[128];
        snprintf(msg, sizeof msg, "dropping a frame the device refused: %s", strerror(errno));
        status("warning", "message", msg);
      }
    }
    ipos += 4 + len;
  }
  if (ipos == ilen) ipos = ilen = 0;
  else if (ipos > IBUF_CAP / 2) {
    memmove(ibuf, ibuf + ipos, ilen - ipos);
    ilen -= ipos;
    ipos = 0;
  }
}

static void relay(void) {
  obuf = malloc(OBUF_CAP);
  ibuf = malloc(IBUF_CAP);
  if (!obuf || !ibuf) die_msg("out of memory");
  set_nonblock(STREAM_FD);
  /* Room on the relay socketpair: with the default ~200 KiB the helper and Node ping-pong on a
     few 64 KiB frames per wake-up. SO_SNDBUFFORCE (CAP_NET_ADMIN) passes net.core.wmem_max;
     without the capability SO_SNDBUF is capped there. */
  int sz = 4 << 20;
  if (setsockopt(STREAM_FD, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0) setsockopt(STREAM_FD, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  if (setsockopt(STREAM_FD, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0) setsockopt(STREAM_FD, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  for (;;) {
    struct pollfd p[2] = {{.fd = dev}, {.fd = STREAM_FD}};
    int obuf_room = OBUF_CAP - (olen - ooff) >= MAX_FRAME + 5;
    if (obuf_room) p[0].events |= POLLIN;
    if (dev_blocked) p[0].events |= POLLOUT;
    if (!dev_blocked && IBUF_CAP - ilen > 0) p[1].events |= POLLIN;
    if (olen > ooff) p[1].events |= POLLOUT;
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (IBUF_CAP - ilen == 0) {
        memmove(ibuf, ibuf + ipos, ilen - ipos);
        ilen -= ipos;
        ipos = 0;
      }
      ssize_t r = read(STREAM_FD, ibuf + ilen, IBUF_CAP - ilen);
      if (r == 0) exit(0);
      if (r < 0) {
        if (errno == ECONNRESET) exit(0);
        if (errno != EAGAIN && errno != EINTR) die("read(stream)");
      } else {
        ilen += (size_t)r;
      }
      drain_ibuf_to_dev();
    }
    if (dev_blocked && (p[0].revents & (POLLOUT | POLLERR))) {
      dev_blocked = 0;
      drain_ibuf_to_dev();
    }
    if (p[0].revents & (POLLIN | POLLERR)) pump_dev_to_buf();
    if (olen > ooff) flush_stream();
  }
}

static void usage(void) {
  fputs("usage: netproxy-helper dgram-listen PATH\n"
        "       netproxy-helper dgram-fd N\n"
        "       netproxy-helper tap --netns PATH [--ifname NAME] [--mac MAC] [--addr IP/PREFIX]\n"
        "                           [--gateway IP] [--addr6 IP/PREFIX] [--gateway6 IP] [--mtu N]\n"
        "                           [--disable-ipv6] [--vnet-hdr]\n"
        "frames are relayed over fd 3 (u32 big-endian length + Ethernet frame)\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) usage();
  struct stat st;
  if (fstat(STREAM_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) die_msg("fd 3 must be a stream socket (the relay channel)");
  if (strcmp(argv[1], "dgram-listen") == 0 && argc == 3) {
    mode = M_DGRAM_LISTEN;
    open_dgram_listen(argv[2]);
  } else if (strcmp(argv[1], "dgram-fd") == 0 && argc == 3) {
    mode = M_DGRAM_FD;
    open_dgram_fd(argv[2]);
  } else if (strcmp(argv[1], "tap") == 0) {
    const char *netns = NULL, *ifname = "tap0", *mac = NULL, *addr = NULL, *gw = NULL, *addr6 = NULL, *gw6 = NULL;
    int mtu = 0, no6 = 0, vnet = 0;
    for (int i = 2; i < argc; i++) {
      const char *a = argv[i];
      const char *v = i + 1 < argc ? argv[i + 1] : NULL;
      if (strcmp(a, "--disable-ipv6") == 0) { no6 = 1; continue; }
      if (strcmp(a, "--vnet-hdr") == 0) { vnet = 1; continue; }
      if (!v) usage();
      if (strcmp(a, "--netns") == 0) netns = v;
      else if (strcmp(a, "--ifname") == 0) ifname = v;
      else if (strcmp(a, "--mac") == 0) mac = v;
      else if (strcmp(a, "--addr") == 0) addr = v;
      else if (strcmp(a, "--gateway") == 0) gw = v;
      else if (strcmp(a, "--addr6") == 0) addr6 = v;
      else if (strcmp(a, "--gateway6") == 0) gw6 = v;
      else if (strcmp(a, "--mtu") == 0) {
        char *end;
        long m = strtol(v, &end, 10);
        if (*end || m < 68 || m > 65521) die_msg("tap: --mtu must be 68..65521");
        mtu = (int)m;
      } else usage();
      i++;
    }
    if (!netns) usage();
    mode = M_TAP;
    open_tap(netns, ifname, mac, addr, gw, addr6, gw6, mtu, no6, vnet);
  } else {
    usage();
  }
  status("ready", NULL, NULL);
  relay();
  return 0;
}
