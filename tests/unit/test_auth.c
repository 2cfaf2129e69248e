/*
 * auth: argon2id passwords, tokens and their hashes, scopes. Hashes are
 * made at the MIN cost (RELANCE_PWHASH_FAST=1, set by each test) except in
 * the one test that checks the production cost is what gets used.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/auth.h"

static void fast(void)
{
	setenv("RELANCE_PWHASH_FAST", "1", 1);
	cr_assert_eq(auth_init(), AUTH_OK);
}

TestSuite(auth, .init = fast);

Test(auth, init_twice_is_fine)
{
	cr_expect_eq(auth_init(), AUTH_OK);
	cr_expect_eq(auth_init(), AUTH_OK);
}

Test(auth, password_length_limits)
{
	char pw[AUTH_PASSWORD_MAX + 2];

	cr_expect_eq(auth_password_check(""), AUTH_ERR_SHORT);
	cr_expect_eq(auth_password_check("123456789"), AUTH_ERR_SHORT);
	cr_expect_eq(auth_password_check("1234567890"), AUTH_OK);
	memset(pw, 'x', AUTH_PASSWORD_MAX);
	pw[AUTH_PASSWORD_MAX] = '\0';
	cr_expect_eq(auth_password_check(pw), AUTH_OK);
	pw[AUTH_PASSWORD_MAX] = 'x';
	pw[AUTH_PASSWORD_MAX + 1] = '\0';
	cr_expect_eq(auth_password_check(pw), AUTH_ERR_LONG);
}

Test(auth, hash_refuses_bad_lengths_and_says_why_without_the_password)
{
	char hash[AUTH_HASH_STRBYTES] = "junk";

	cr_expect_eq(auth_password_hash("short", hash), AUTH_ERR_SHORT);
	cr_expect_str_empty(hash);
	cr_expect_str_eq(auth_strerror(AUTH_ERR_SHORT), "the password is shorter than 10 bytes");
	cr_expect(strstr(auth_strerror(AUTH_ERR_LONG), "1024") != NULL);
}

Test(auth, hash_then_verify)
{
	char hash[AUTH_HASH_STRBYTES], again[AUTH_HASH_STRBYTES];

	cr_assert_eq(auth_password_hash("correct horse battery", hash), AUTH_OK);
	cr_expect(strncmp(hash, "$argon2id$", 10) == 0, "%s", hash);
	cr_expect(strstr(hash, "correct horse") == NULL);
	cr_expect_eq(auth_password_verify(hash, "correct horse battery"), AUTH_OK);
	cr_expect_eq(auth_password_verify(hash, "correct horse batterY"), AUTH_ERR_MISMATCH);
	cr_expect_eq(auth_password_verify(hash, "short"), AUTH_ERR_MISMATCH);
	cr_expect_eq(auth_password_verify("", "correct horse battery"), AUTH_ERR_MISMATCH);
	cr_expect_eq(auth_password_verify("$argon2id$nonsense", "correct horse battery"),
		     AUTH_ERR_MISMATCH);
	/* Salted: the same password never hashes the same twice. */
	cr_assert_eq(auth_password_hash("correct horse battery", again), AUTH_OK);
	cr_expect_str_neq(hash, again);
	cr_expect_eq(auth_password_verify(again, "correct horse battery"), AUTH_OK);
}

Test(auth, fast_cost_only_under_the_variable)
{
	char hash[AUTH_HASH_STRBYTES];

	cr_assert_eq(auth_password_hash("correct horse battery", hash), AUTH_OK);
	cr_expect(strstr(hash, "m=8,t=1,") != NULL, "%s", hash);
	cr_expect_eq(auth_password_needs_rehash(hash), 0);
	/* The production cost: 64 MiB, 2 passes. Verifying the fast hash
	 * still works, and it asks to be made again. */
	unsetenv("RELANCE_PWHASH_FAST");
	cr_expect_eq(auth_password_needs_rehash(hash), 1);
	cr_expect_eq(auth_password_verify(hash, "correct horse battery"), AUTH_OK);
	cr_assert_eq(auth_password_hash("correct horse battery", hash), AUTH_OK);
	cr_expect(strstr(hash, "m=65536,t=2,") != NULL, "%s", hash);
	cr_expect_eq(auth_password_needs_rehash(hash), 0);
	cr_expect_eq(auth_password_needs_rehash("not a hash"), 1);
}

Test(auth, tokens_are_prefixed_base64url_and_distinct)
{
	char a[AUTH_TOKEN_SIZE], b[AUTH_TOKEN_SIZE], small[AUTH_TOKEN_LEN];

	cr_assert_eq(auth_token_new(a, sizeof(a)), AUTH_OK);
	cr_assert_eq(auth_token_new(b, sizeof(b)), AUTH_OK);
	cr_expect_eq(strlen(a), AUTH_TOKEN_LEN);
	cr_expect(strncmp(a, "rl_", 3) == 0, "%s", a);
	cr_expect(strspn(a + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789-_") == 43, "%s", a);
	cr_expect_str_neq(a, b);
	cr_expect(auth_token_well_formed(a));
	cr_expect_eq(auth_token_new(small, sizeof(small)), AUTH_ERR_SIZE);
}

Test(auth, well_formed_tokens)
{
	char t[AUTH_TOKEN_SIZE];

	cr_assert_eq(auth_token_new(t, sizeof(t)), AUTH_OK);
	cr_expect(auth_token_well_formed(t));
	t[10] = '+';
	cr_expect(!auth_token_well_formed(t));
	cr_expect(!auth_token_well_formed(NULL));
	cr_expect(!auth_token_well_formed("rl_short"));
	cr_expect(!auth_token_well_formed("xx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	cr_expect(auth_token_well_formed("rl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	cr_expect(!auth_token_well_formed("rl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

Test(auth, token_hash_is_blake2b_of_the_text)
{
	/* BLAKE2b-256 of "abc" (RFC 7693 parameters, 32-byte output). */
	static const unsigned char abc[32] = {
		0xbd, 0xdd, 0x81, 0x3c, 0x63, 0x42, 0x39, 0x72, 0x31, 0x71, 0xef, 0x3f,
		0xee, 0x98, 0x57, 0x9b, 0x94, 0x96, 0x4e, 0x3b, 0xb1, 0xcb, 0x3e, 0x42,
		0x72, 0x62, 0xc8, 0xc0, 0x68, 0xd5, 0x23, 0x19,
	};
	unsigned char h[32], h2[32];
	char t[AUTH_TOKEN_SIZE];

	cr_assert_eq(auth_token_hash("abc", h), AUTH_OK);
	cr_expect(memcmp(h, abc, 32) == 0);
	cr_assert_eq(auth_token_new(t, sizeof(t)), AUTH_OK);
	cr_assert_eq(auth_token_hash(t, h), AUTH_OK);
	cr_assert_eq(auth_token_hash(t, h2), AUTH_OK);
	cr_expect(auth_equal(h, h2, 32));
	t[5] ^= 1;
	cr_assert_eq(auth_token_hash(t, h2), AUTH_OK);
	cr_expect(!auth_equal(h, h2, 32));
}

Test(auth, equal_compares_every_byte)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };

	cr_expect(auth_equal(a, b, 32));
	b[31] = 1;
	cr_expect(!auth_equal(a, b, 32));
	cr_expect(auth_equal(a, b, 31));
	b[0] = 1;
	cr_expect(!auth_equal(a, b, 1));
}

Test(auth, scopes_are_checked_and_put_in_order)
{
	char out[sizeof(AUTH_SCOPES)], bad[64];

	cr_assert_eq(auth_scopes_check("  ledger:write\tpositions:read ", out, sizeof(out), bad,
				       sizeof(bad)), AUTH_OK);
	cr_expect_str_eq(out, "positions:read ledger:write");
	cr_expect_str_empty(bad);
	cr_assert_eq(auth_scopes_check(AUTH_SCOPES, out, sizeof(out), bad, sizeof(bad)), AUTH_OK);
	cr_expect_str_eq(out, AUTH_SCOPES);
	cr_expect_eq(auth_scopes_check("positions:read ledger:delete", out, sizeof(out), bad,
				       sizeof(bad)), AUTH_ERR_SCOPE);
	cr_expect_str_eq(bad, "ledger:delete");
	cr_expect_eq(auth_scopes_check("admin admin", out, sizeof(out), bad, sizeof(bad)),
		     AUTH_ERR_SCOPE);
	cr_expect_str_eq(bad, "admin");
	cr_expect_eq(auth_scopes_check("   ", out, sizeof(out), bad, sizeof(bad)), AUTH_ERR_SCOPE);
	cr_expect_str_empty(bad);
	cr_expect_eq(auth_scopes_check(NULL, out, sizeof(out), bad, sizeof(bad)), AUTH_ERR_SCOPE);
	cr_expect_eq(auth_scopes_check("positions:read", out, 5, bad, sizeof(bad)), AUTH_ERR_SIZE);
	cr_expect(auth_scope_known("queues:read", 11));
	cr_expect(!auth_scope_known("queues:rea", 10));
	cr_expect(!auth_scope_known("Admin", 5));
}

Test(auth, scopes_allow_their_own_and_admin_everything)
{
	cr_expect(auth_scopes_allow("positions:read ledger:write", "ledger:write"));
	cr_expect(!auth_scopes_allow("positions:read ledger:write", "ledger:read"));
	cr_expect(!auth_scopes_allow("positions:read", "positions"));
	cr_expect(auth_scopes_allow("admin", "policies:write"));
	cr_expect(!auth_scopes_allow("", "positions:read"));
	cr_expect(!auth_scopes_allow("administrator", "positions:read"));
}
