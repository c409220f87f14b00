/*
 * libketama-ref: libketama's continuum (last.fm libketama, ketama.c ketama_create_continuum and
 * ketama_get_server) written from its published rules, so that the C compiler does the float /
 * double arithmetic exactly as it does there. Debian ships no libketama package, so this is the
 * reference for 'libketama' fixtures; sets where libketama and libmemcached's weighted ketama
 * coincide are also checked against the real libmemcached (see gen-ketama-fixtures.mjs).
 *
 * Rules reproduced (ours, not libketama's code):
 *   - every server has memory > 0 (ketama_roll fails on a server line with memory 0);
 *   - pct = (float)memory / (float)total_memory (float), digests = floorf(pct * 40.0 * (float)n):
 *     the product is computed in double (40.0 is a double) and rounded to float by floorf's
 *     parameter;
 *   - digest k = MD5("<addr>-<k>"), k = 0 .. digests-1, points = its four little-endian words;
 *   - qsort by point value only (glibc's merge sort keeps generation order for ties);
 *   - a key goes to the first point >= MD5 LE word 0 of the key, wrapping to point 0.
 * MD5 comes from libhashkit (libmemcached's hashing library), an implementation of RFC 1321.
 *
 * stdin:  <server count>\n then "<addr> <memory>\n" per server, <key count>\n then keys, one a line
 * stdout: one server index (0-based, in input order) per key.
 */
#include <libhashkit-1.0/hashkit.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
  uint32_t value;
  uint32_t server;
};

static int by_value(const void *a, const void *b) {
  uint32_t x = ((const struct point *) a)->value, y = ((const struct point *) b)->value;
  return x < y ? -1 : x > y ? 1 : 0;
}

static uint32_t le_word(const unsigned char *d, int w) {
  return (uint32_t) d[w * 4] | (uint32_t) d[w * 4 + 1] << 8 | (uint32_t) d[w * 4 + 2] << 16
      | (uint32_t) d[w * 4 + 3] << 24;
}

int main(void) {
  unsigned n = 0;
  if (scanf("%u", &n) != 1 || n == 0) return 1;
  char (*addr)[1100] = calloc(n, sizeof *addr);
  unsigned long *memory = calloc(n, sizeof *memory);
  unsigned long total = 0;
  for (unsigned i = 0; i < n; i++) {
    if (scanf("%1099s %lu", addr[i], &memory[i]) != 2 || memory[i] == 0) return 1;
    total += memory[i];
  }

  struct point *points = calloc((size_t) n * 160 + 1, sizeof *points);
  size_t count = 0;
  for (unsigned i = 0; i < n; i++) {
    float pct = (float) memory[i] / (float) total;
    unsigned digests = floorf(pct * 40.0 * (float) n);
    for (unsigned k = 0; k < digests; k++) {
      char name[1200];
      unsigned char d[16];
      int len = snprintf(name, sizeof name, "%s-%u", addr[i], k);
      libhashkit_md5_signature((const unsigned char *) name, (size_t) len, d);
      for (int w = 0; w < 4; w++) {
        points[count].value = le_word(d, w);
        points[count++].server = i;
      }
    }
  }
  qsort(points, count, sizeof *points, by_value);

  unsigned long nkeys = 0;
  if (scanf("%lu", &nkeys) != 1) return 1;
  (void) getchar();
  size_t cap = 0;
  char *line = NULL;
  for (unsigned long k = 0; k < nkeys; k++) {
    ssize_t len = getline(&line, &cap, stdin);
    if (len < 0) return 1;
    if (len > 0 && line[len - 1] == '\n') len--;
    unsigned char d[16];
    libhashkit_md5_signature((const unsigned char *) line, (size_t) len, d);
    uint32_t h = le_word(d, 0);
    size_t lo = 0, hi = count;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (points[mid].value < h) lo = mid + 1;
      else hi = mid;
    }
    printf("%u\n", points[lo == count ? 0 : lo].server);
  }
  free(line);
  free(points);
  free(memory);
  free(addr);
  return 0;
}
