/*
 * support — helpers shared by the unit tests: reading a file whole and
 * parsing a policy, failing the test (with every diagnostic) when it does
 * not parse; starting a protocol peer of tests/peers/ and reading what it
 * recorded. Returned buffers, policies and JSON belong to the caller.
 */
#ifndef RELANCE_TEST_SUPPORT_H
#define RELANCE_TEST_SUPPORT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../src/core/policy.h"

/* The whole file, NUL-terminated; *len without the NUL. Fails the test if
 * the file cannot be read. */
char *support_slurp(const char *path, size_t *len);
struct policy *support_parse_policy(const char *name, const char *text, size_t len);
/* examples/policies/NAME.yaml, tests running from the repository's root. */
struct policy *support_load_example(const char *name);

/*
 * Starts `node $TOP/tests/peers/SCRIPT --out OUT extra...` (extra
 * NULL-terminated; $TOP defaults to ".") and returns its pid, with the port
 * it prints as its first line in *port. Fails the test if it does not start
 * within 15 s.
 */
pid_t support_start_peer(const char *script, const char *out, const char *const *extra,
			 int *port);
/* Stops a peer started above (SIGTERM, then waits); *pid becomes -1. */
void support_stop_peer(pid_t *pid);
/*
 * A peer's working folder for one test: /tmp/relance-NAME.XXXXXX, the file
 * the peer records to in it, and the peer's pid (-1: none running).
 */
struct support_peer {
	char dir[64], out[128];
	pid_t pid;
};
/* Makes the folder and names out (OUT_NAME in it); fails the test when the
 * folder cannot be made. */
void support_peer_init(struct support_peer *p, const char *name, const char *out_name);
/* Stops the peer, removes out and the folder (other files in it are the
 * caller's to remove first). */
void support_peer_release(struct support_peer *p);
/* A port on 127.0.0.1 nothing listens on: bound, then closed. */
int support_dead_port(void);
/* Line n (from 0) of a JSON-lines file as JSON, or NULL past the end. */
json_t *support_jsonl_line(const char *path, int n);
/* The number of lines of a JSON-lines file (0 when missing). */
int support_jsonl_count(const char *path);

#endif
