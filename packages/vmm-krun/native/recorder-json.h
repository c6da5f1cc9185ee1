/*
 * JSON-lines call log of the libkrun recorder (libkrun-recorder.c): a fixed buffer per call,
 * string/array/MAC encoders, and the append to $KRUN_RECORDER_LOG. Header-only, included once.
 */
#ifndef RECORDER_JSON_H
#define RECORDER_JSON_H
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct buf {
  char data[65536];
  size_t len;
};

static void put(struct buf *b, const char *s) {
  size_t n = strlen(s);
  if (b->len + n >= sizeof b->data) n = sizeof b->data - 1 - b->len;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

static void putf(struct buf *b, const char *fmt, long long v) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, fmt, v);
  put(b, tmp);
}

static void put_str(struct buf *b, const char *s) {
  if (!s) {
    put(b, "null");
    return;
  }
  put(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char tmp[8];
    if (*p == '"' || *p == '\\') {
      tmp[0] = '\\';
      tmp[1] = (char)*p;
      tmp[2] = 0;
    } else if (*p < 0x20) {
      snprintf(tmp, sizeof tmp, "\\u%04x", *p);
    } else {
      tmp[0] = (char)*p;
      tmp[1] = 0;
    }
    put(b, tmp);
  }
  put(b, "\"");
}

static void put_strv(struct buf *b, const char *const *v) {
  if (!v) {
    put(b, "null");
    return;
  }
  put(b, "[");
  for (int i = 0; v[i]; i++) {
    if (i) put(b, ",");
    put_str(b, v[i]);
  }
  put(b, "]");
}

static void put_mac(struct buf *b, const uint8_t *mac) {
  if (!mac) {
    put(b, "null");
    return;
  }
  char tmp[32];
  snprintf(tmp, sizeof tmp, "\"%02x:%02x:%02x:%02x:%02x:%02x\"", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  put(b, tmp);
}

static void begin(struct buf *b, const char *fn) {
  b->len = 0;
  b->data[0] = 0;
  put(b, "{\"fn\":");
  put_str(b, fn);
  put(b, ",\"args\":{");
}

static int finish(struct buf *b, int rc) {
  putf(b, "},\"rc\":%lld}\n", rc);
  const char *path = getenv("KRUN_RECORDER_LOG");
  if (path && *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ssize_t off = 0;
      while ((size_t)off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w <= 0) break;
        off += w;
      }
      close(fd);
    }
  }
  return rc;
}

#endif
