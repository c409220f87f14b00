/*
 * libmemcached-ref: asks the real libmemcached (Debian libmemcached-dev) which server each key
 * goes to under MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED. No network: memcached_generate_hash() only
 * hashes the key and searches the continuum that memcached_server_add_with_weight() builds.
 *
 * stdin:  <server count>\n  then per server "<host> <port> <weight>\n"
 *         <key count>\n     then one key per line (bytes up to '\n'; no '\r' handling)
 * stdout: one server index (0-based, in add order) per key.
 *
 * Built and run by scripts/gen-ketama-fixtures.mjs:  gcc -O2 -o ref libmemcached-ref.c -lmemcached
 */
#include <libmemcached/memcached.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, memcached_st *memc, memcached_return_t rc) {
  fprintf(stderr, "libmemcached-ref: %s: %s\n", what, memc ? memcached_strerror(memc, rc) : "");
  exit(1);
}

int main(void) {
  memcached_st *memc = memcached_create(NULL);
  if (memc == NULL) die("memcached_create", NULL, MEMCACHED_FAILURE);

  /* KETAMA_WEIGHTED also switches the key hash and the distribution hash to MD5. */
  memcached_return_t rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
  if (rc != MEMCACHED_SUCCESS) die("behavior KETAMA_WEIGHTED", memc, rc);

  unsigned nservers = 0;
  if (scanf("%u", &nservers) != 1 || nservers == 0) die("bad server count", NULL, rc);
  for (unsigned i = 0; i < nservers; i++) {
    char host[1100];
    unsigned port = 0, weight = 0;
    if (scanf("%1099s %u %u", host, &port, &weight) != 3) die("bad server line", NULL, rc);
    rc = memcached_server_add_with_weight(memc, host, (in_port_t) port, weight);
    if (rc != MEMCACHED_SUCCESS) die("memcached_server_add_with_weight", memc, rc);
  }
  if (memcached_server_count(memc) != nservers) die("server count mismatch", NULL, rc);

  unsigned long nkeys = 0;
  if (scanf("%lu", &nkeys) != 1) die("bad key count", NULL, rc);
  int c = getchar(); /* the newline after the count */
  (void) c;

  size_t cap = 0;
  char *line = NULL;
  for (unsigned long k = 0; k < nkeys; k++) {
    ssize_t len = getline(&line, &cap, stdin);
    if (len < 0) die("missing keys", NULL, rc);
    if (len > 0 && line[len - 1] == '\n') len--;
    printf("%u\n", memcached_generate_hash(memc, line, (size_t) len));
  }
  free(line);
  memcached_free(memc);
  return 0;
}
