/*
 * auth — argon2id passwords, random API tokens and their scopes (auth.h).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int auth_init(void)
{
	/* sodium_init is itself idempotent and thread-safe: 0 the first time,
	 * 1 afterwards, -1 on failure (no entropy source). */
	return sodium_init() < 0 ? AUTH_ERR_INIT : AUTH_OK;
}

const char *auth_strerror(int err)
{
	switch (err) {
	case AUTH_OK: return "no error";
	case AUTH_ERR_INIT: return "the cryptography library could not start";
	case AUTH_ERR_SHORT: return "the password is shorter than 10 bytes";
	case AUTH_ERR_LONG: return "the password is longer than 1024 bytes";
	case AUTH_ERR_HASH: return "hashing the password failed (out of memory)";
	case AUTH_ERR_MISMATCH: return "wrong password";
	case AUTH_ERR_SIZE: return "buffer too small";
	case AUTH_ERR_SCOPE: return "bad scopes";
	}
	return "unknown error";
}

int auth_password_check(const char *pw)
{
	size_t len;

	assert(pw != NULL);
	/* strnlen: a longer text is refused without reading all of it. */
	len = strnlen(pw, AUTH_PASSWORD_MAX + 1);
	if (len < AUTH_PASSWORD_MIN)
		return AUTH_ERR_SHORT;
	if (len > AUTH_PASSWORD_MAX)
		return AUTH_ERR_LONG;
	return AUTH_OK;
}

/* The cost of new hashes: INTERACTIVE, or MIN under RELANCE_PWHASH_FAST=1
 * (tests only: see auth.h). */
static void pwhash_cost(unsigned long long *ops, size_t *mem)
{
	const char *fast = getenv("RELANCE_PWHASH_FAST");

	if (fast != NULL && strcmp(fast, "1") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_MIN;
		*mem = crypto_pwhash_MEMLIMIT_MIN;
	} else {
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	}
}

int auth_password_hash(const char *pw, char out[AUTH_HASH_STRBYTES])
{
	unsigned long long ops;
	size_t mem;
	int rc;

	out[0] = '\0';
	if ((rc = auth_init()) != AUTH_OK || (rc = auth_password_check(pw)) != AUTH_OK)
		return rc;
	pwhash_cost(&ops, &mem);
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		out[0] = '\0';
		return AUTH_ERR_HASH;
	}
	return AUTH_OK;
}

int auth_password_verify(const char *hash, const char *pw)
{
	if (auth_init() != AUTH_OK)
		return AUTH_ERR_INIT;
	if (hash == NULL || pw == NULL || auth_password_check(pw) != AUTH_OK)
		return AUTH_ERR_MISMATCH;
	/* A stored hash is a NUL-terminated string; libsodium reads at most
	 * its STRBYTES, so anything longer is no hash of ours. */
	if (strnlen(hash, AUTH_HASH_STRBYTES) >= AUTH_HASH_STRBYTES)
		return AUTH_ERR_MISMATCH;
	if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0)
		return AUTH_ERR_MISMATCH;
	return AUTH_OK;
}

int auth_password_needs_rehash(const char *hash)
{
	unsigned long long ops;
	size_t mem;

	if (auth_init() != AUTH_OK || hash == NULL ||
	    strnlen(hash, AUTH_HASH_STRBYTES) >= AUTH_HASH_STRBYTES)
		return 1;
	pwhash_cost(&ops, &mem);
	/* 0: same parameters; 1: others; -1: not an argon2id string. */
	return crypto_pwhash_str_needs_rehash(hash, ops, mem) != 0;
}

int auth_token_new(char *token, size_t size)
{
	unsigned char raw[32];
	int rc;

	if (size < AUTH_TOKEN_SIZE)
		return AUTH_ERR_SIZE;
	if ((rc = auth_init()) != AUTH_OK)
		return rc;
	randombytes_buf(raw, sizeof(raw));
	memcpy(token, AUTH_TOKEN_PREFIX, 3);
	/* 32 bytes are 43 characters without padding, and the NUL. */
	sodium_bin2base64(token + 3, size - 3, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	assert(strlen(token) == AUTH_TOKEN_LEN);
	return AUTH_OK;
}

int auth_token_well_formed(const char *token)
{
	if (token == NULL || strncmp(token, AUTH_TOKEN_PREFIX, 3) != 0 ||
	    strnlen(token, AUTH_TOKEN_LEN + 1) != AUTH_TOKEN_LEN)
		return 0;
	for (const char *p = token + 3; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

int auth_token_hash(const char *token, unsigned char out[AUTH_TOKEN_HASH_BYTES])
{
	int rc;

	if ((rc = auth_init()) != AUTH_OK)
		return rc;
	crypto_generichash(out, AUTH_TOKEN_HASH_BYTES, (const unsigned char *)token,
			   strlen(token), NULL, 0);
	return AUTH_OK;
}

int auth_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

/* ---- scopes ----------------------------------------------------------------------- */

static const char *const scopes[] = {
	"positions:read", "file:read", "file:write", "ledger:write", "arrangements:read",
	"arrangements:write", "queues:read", "queues:write", "reports:read", "policies:read", "policies:write", "admin",
};
#define N_SCOPES (sizeof(scopes) / sizeof(scopes[0]))

/* The index of a scope of len bytes in scopes[], or -1. */
static int scope_index(const char *scope, size_t len)
{
	for (size_t i = 0; i < N_SCOPES; i++)
		if (strlen(scopes[i]) == len && memcmp(scopes[i], scope, len) == 0)
			return (int)i;
	return -1;
}

int auth_scope_known(const char *scope, size_t len)
{
	return scope != NULL && scope_index(scope, len) >= 0;
}

int auth_scopes_check(const char *list, char *out, size_t size, char *bad, size_t badsize)
{
	int seen[N_SCOPES] = { 0 }, any = 0;
	size_t off = 0;

	if (badsize > 0)
		bad[0] = '\0';
	if (size > 0)
		out[0] = '\0';
	for (const char *p = list ? list : ""; *p;) {
		size_t n;
		int i;

		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			break;
		if ((i = scope_index(p, n)) < 0 || seen[i]) {
			if (badsize > 0)
				snprintf(bad, badsize, "%.*s", (int)n, p);
			return AUTH_ERR_SCOPE;
		}
		seen[i] = any = 1;
		p += n;
	}
	if (!any)
		return AUTH_ERR_SCOPE;
	for (size_t i = 0; i < N_SCOPES; i++) {
		size_t len = strlen(scopes[i]);

		if (!seen[i])
			continue;
		if (off + (off > 0) + len + 1 > size)
			return AUTH_ERR_SIZE;
		if (off > 0)
			out[off++] = ' ';
		memcpy(out + off, scopes[i], len + 1);
		off += len;
	}
	return AUTH_OK;
}

int auth_scopes_allow(const char *scopes_list, const char *want)
{
	size_t wlen = want ? strlen(want) : 0;

	for (const char *p = scopes_list ? scopes_list : ""; *p;) {
		size_t n;

		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			break;
		if ((n == wlen && memcmp(p, want, n) == 0) || (n == 5 && memcmp(p, "admin", 5) == 0))
			return 1;
		p += n;
	}
	return 0;
}
