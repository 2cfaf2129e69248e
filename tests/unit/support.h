/*
 * support — helpers shared by the unit tests: reading a file whole and
 * parsing a policy, failing the test (with every diagnostic) when it does
 * not parse. Returned buffers and policies belong to the caller.
 */
#ifndef RELANCE_TEST_SUPPORT_H
#define RELANCE_TEST_SUPPORT_H

#include <stddef.h>

#include "../../src/core/policy.h"

/* The whole file, NUL-terminated; *len without the NUL. Fails the test if
 * the file cannot be read. */
char *support_slurp(const char *path, size_t *len);
struct policy *support_parse_policy(const char *name, const char *text, size_t len);
/* examples/policies/NAME.yaml, tests running from the repository's root. */
struct policy *support_load_example(const char *name);

#endif
