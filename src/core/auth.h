/*
 * auth — passwords, API tokens and scopes (docs/roles.md). Pure: libsodium
 * and nothing of the store; callers keep only what these functions hash.
 *
 * Passwords are hashed with argon2id (crypto_pwhash_str_alg) at libsodium's
 * INTERACTIVE cost: about 64 MiB and a few tenths of a second each, which is
 * what makes a stolen hash expensive to guess. Tests may set the environment
 * variable RELANCE_PWHASH_FAST=1 to hash at the MIN cost instead, to keep
 * the suite fast; never set it in production. The hash string records its
 * own algorithm and cost, so verification works whatever cost made it.
 *
 * API tokens are "rl_" and 43 characters of base64url (32 random bytes, no
 * padding). Only their hash is kept: BLAKE2b-256 (crypto_generichash), fast
 * on purpose, as 256 random bits cannot be guessed from it however fast it
 * is. A token is found by that hash; nothing compares token texts.
 *
 * Nothing here prints, logs or keeps a password or a token: buffers the
 * caller passes in stay the caller's, to wipe (sodium_memzero) when done.
 *
 * Errors: every int function returns AUTH_OK (0) or a negative enum
 * auth_err; auth_strerror names it in words that never quote the secret.
 */
#ifndef RELANCE_AUTH_H
#define RELANCE_AUTH_H

#include <sodium.h>
#include <stddef.h>

enum auth_err {
	AUTH_OK = 0,
	AUTH_ERR_INIT = -1,      /* libsodium could not initialise */
	AUTH_ERR_SHORT = -2,     /* password shorter than AUTH_PASSWORD_MIN bytes */
	AUTH_ERR_LONG = -3,      /* password longer than AUTH_PASSWORD_MAX bytes */
	AUTH_ERR_HASH = -4,      /* hashing failed (out of memory) */
	AUTH_ERR_MISMATCH = -5,  /* wrong password, or a hash that is none */
	AUTH_ERR_SIZE = -6,      /* an output buffer too small */
	AUTH_ERR_SCOPE = -7,     /* unknown, repeated or no scope */
};

/* Password length limits, in bytes. The upper one bounds the work a
 * request can ask of argon2id's first pass; the lower one is the least
 * that a password manager or a passphrase gives without effort. */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 1024

#define AUTH_HASH_STRBYTES crypto_pwhash_STRBYTES   /* with the NUL */

#define AUTH_TOKEN_PREFIX "rl_"
#define AUTH_TOKEN_LEN (3 + 43)                      /* without the NUL */
#define AUTH_TOKEN_SIZE (AUTH_TOKEN_LEN + 1)
#define AUTH_TOKEN_HASH_BYTES 32

/* Initialises libsodium (once; later calls return at once). Every other
 * function calls it too; call it early in a threaded program. */
int auth_init(void);

/* Static text for an enum auth_err. */
const char *auth_strerror(int err);

/* AUTH_OK, AUTH_ERR_SHORT or AUTH_ERR_LONG for a password of strlen(pw). */
int auth_password_check(const char *pw);

/*
 * Hashes `pw` (checked as auth_password_check) into out: an argon2id
 * string ("$argon2id$v=19$m=...") of at most AUTH_HASH_STRBYTES bytes with
 * its NUL. On failure out is "".
 */
int auth_password_hash(const char *pw, char out[AUTH_HASH_STRBYTES]);

/* AUTH_OK when `pw` matches `hash`; AUTH_ERR_MISMATCH otherwise (also for
 * "" or any text that is no hash, and a password beyond the limits, which
 * is refused before any work). Takes the hash's own cost in time. */
int auth_password_verify(const char *hash, const char *pw);

/* 1 when `hash` was made at another cost than auth_password_hash uses now
 * (or is no hash): the caller may store a new one after a good sign-in. */
int auth_password_needs_rehash(const char *hash);

/* Writes a new token (AUTH_TOKEN_LEN characters and a NUL) into token;
 * size must be at least AUTH_TOKEN_SIZE (AUTH_ERR_SIZE otherwise). */
int auth_token_new(char *token, size_t size);

/* Whether `token` has the form of one (prefix, length, alphabet): 1 or 0.
 * Says nothing of whether it is stored. */
int auth_token_well_formed(const char *token);

/* The stored form of a token: BLAKE2b-256 of its text (strlen bytes). */
int auth_token_hash(const char *token, unsigned char out[AUTH_TOKEN_HASH_BYTES]);

/* 1 when the n bytes at a and b are equal, 0 otherwise, in a time that does
 * not depend on where they differ. */
int auth_equal(const void *a, const void *b, size_t n);

/* ---- scopes ----------------------------------------------------------------------- */

/*
 * What an API token may do, one word each: a resource and read or write,
 * and "admin", which allows everything (users and tokens included). The
 * list is fixed here; the routes of `relance serve` each need one of them.
 */
#define AUTH_SCOPES \
	"positions:read file:read file:write ledger:write arrangements:read " \
	"arrangements:write queues:read queues:write reports:read policies:read policies:write admin"

/* Whether `scope` (len bytes) is one of AUTH_SCOPES: 1 or 0. */
int auth_scope_known(const char *scope, size_t len);

/*
 * Checks a space-separated list of scopes (spaces and tabs, any number) and
 * writes it into out in AUTH_SCOPES order, one space apart. AUTH_ERR_SCOPE
 * for an empty list, an unknown or a repeated scope, with the word at fault
 * (or "") in bad[0..badsize); AUTH_ERR_SIZE when out is too small (the whole
 * AUTH_SCOPES always fits in sizeof(AUTH_SCOPES)).
 */
int auth_scopes_check(const char *list, char *out, size_t size, char *bad, size_t badsize);

/* Whether the space-separated `scopes` grant `want`: it is among them, or
 * "admin" is. 1 or 0. */
int auth_scopes_allow(const char *scopes, const char *want);

#endif
