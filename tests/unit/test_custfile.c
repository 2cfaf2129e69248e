/*
 * custfile: the canonical encoding, SHA-256 chaining, and the checks that
 * name the first altered, missing or out-of-chain entry.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "../../src/core/custfile.h"

static const unsigned char zero[CUSTFILE_HASH_BYTES];

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* A chain of n entries for customer C-1, hashed as the store writes them. */
static void build(struct custfile_stored *s, size_t n)
{
	static const char *const bodies[] = {
		"asked to end her contract", "information only", "contract ended",
		"termination fee waived", "called back",
	};

	for (size_t i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].e = (struct custfile_entry){
			"C-1", (int64_t)i + 1, 1721901600 + (int64_t)i * 60,
			i % 2 ? "A-1" : "", "note", i % 2 ? "Luc (contracts)" : "Ana (customer service)",
			bodies[i % 5]
		};
		memcpy(s[i].prev_hash, i ? s[i - 1].hash : custfile_genesis, CUSTFILE_HASH_BYTES);
		custfile_hash(&s[i].e, s[i].prev_hash, s[i].hash);
	}
}

Test(custfile, encoding_is_length_prefixed_and_hash_is_its_sha256)
{
	struct custfile_entry e = { "C-1", 1, 0x0102030405060708ll, NULL, "note", "Ana", "hi" };
	unsigned char buf[256], want[CUSTFILE_HASH_BYTES], got[CUSTFILE_HASH_BYTES];
	size_t n = custfile_encode(&e, zero, buf, sizeof(buf));

	/* magic 16 + (8+3) + 8 + 8 + (8+0) + (8+4) + (8+3) + (8+2) + 32 */
	cr_assert_eq(n, 16 + 11 + 16 + 8 + 12 + 11 + 10 + 32);
	cr_expect_eq(memcmp(buf, "relance-file-v1\n", 16), 0);
	cr_expect_eq(memcmp(buf + 16, "\0\0\0\0\0\0\0\3C-1", 11), 0);
	cr_expect_eq(memcmp(buf + 27, "\0\0\0\0\0\0\0\1\1\2\3\4\5\6\7\10", 16), 0);
	cr_expect_eq(memcmp(buf + 43, "\0\0\0\0\0\0\0\0", 8), 0, "empty account id");
	cr_expect_eq(memcmp(buf + n - 32, zero, 32), 0);
	crypto_hash_sha256(want, buf, n);
	custfile_hash(&e, zero, got);
	cr_expect_eq(memcmp(want, got, sizeof(got)), 0);
	/* A short buffer: the length is still the whole encoding. */
	cr_expect_eq(custfile_encode(&e, zero, buf, 10), n);
}

Test(custfile, known_hash_of_a_first_entry)
{
	/* Pinned (also computed by the few lines of Python in
	 * docs/customer-file.md): changing the format breaks every stored chain. */
	struct custfile_entry e = { "C-QC-1", 1, 1721901600, "A-QC-1", "note",
				    "Ana (customer service)", "asked to end her contract" };
	unsigned char h[CUSTFILE_HASH_BYTES];
	char got[65];

	custfile_hash(&e, custfile_genesis, h);
	hex(h, sizeof(h), got);
	cr_expect_str_eq(got, "d32248edf03cdc77d67812146eab279bb84aebf5aadc06912465e440353e727e");
}

Test(custfile, field_boundaries_cannot_be_shifted)
{
	struct custfile_entry a = { "C-1", 1, 0, "", "note", "ab", "c" };
	struct custfile_entry b = { "C-1", 1, 0, "", "note", "a", "bc" };
	struct custfile_entry c = { "C-1", 1, 0, NULL, "note", "a", "bc" };
	unsigned char ha[32], hb[32], hc[32];

	custfile_hash(&a, zero, ha);
	custfile_hash(&b, zero, hb);
	custfile_hash(&c, zero, hc);
	cr_expect_neq(memcmp(ha, hb, 32), 0);
	cr_expect_eq(memcmp(hb, hc, 32), 0, "NULL and \"\" are the same absent account");
}

Test(custfile, intact_chain)
{
	struct custfile_stored s[5];
	int64_t seq = -1;

	build(s, 5);
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_INTACT);
	cr_expect_eq(seq, -1);
	cr_expect_eq(custfile_verify_chain(s, 0, &seq), CUSTFILE_INTACT);
}

Test(custfile, altered_body_is_caught)
{
	struct custfile_stored s[5];
	int64_t seq = 0;

	build(s, 5);
	s[1].e.body = "demande d'information seulement";
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_ALTERED);
	cr_expect_eq(seq, 2);
	build(s, 5);
	s[3].e.at++;
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_ALTERED);
	cr_expect_eq(seq, 4);
	build(s, 5);
	s[4].e.author = "someone else";
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_ALTERED);
	cr_expect_eq(seq, 5);
}

Test(custfile, rehashed_entry_breaks_the_next_link)
{
	struct custfile_stored s[5];
	int64_t seq = 0;

	build(s, 5);
	/* Altered and given a fresh hash: the next entry no longer points at it. */
	s[2].e.body = "nothing happened";
	custfile_hash(&s[2].e, s[2].prev_hash, s[2].hash);
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_OUT_OF_CHAIN);
	cr_expect_eq(seq, 4);
}

Test(custfile, missing_entries_are_caught)
{
	struct custfile_stored s[5];
	int64_t seq = 0;

	build(s, 5);
	memmove(&s[2], &s[3], 2 * sizeof(s[0]));   /* entry 3 removed */
	cr_expect_eq(custfile_verify_chain(s, 4, &seq), CUSTFILE_MISSING);
	cr_expect_eq(seq, 3);
	build(s, 5);
	cr_expect_eq(custfile_verify_chain(s + 1, 4, &seq), CUSTFILE_MISSING, "first removed");
	cr_expect_eq(seq, 1);
}

Test(custfile, reordered_entries_are_caught)
{
	struct custfile_stored s[5], t;
	int64_t seq = 0;

	build(s, 5);
	t = s[1];
	s[1] = s[2];
	s[2] = t;
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_MISSING);
	cr_expect_eq(seq, 2);
	/* Renumbered to hide it: the content no longer gives the hash. */
	s[1].e.seq = 2;
	s[2].e.seq = 3;
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_OUT_OF_CHAIN);
	cr_expect_eq(seq, 2);
	/* A repeated seq. */
	build(s, 5);
	s[2] = s[1];
	cr_expect_eq(custfile_verify_chain(s, 5, &seq), CUSTFILE_OUT_OF_CHAIN);
	cr_expect_eq(seq, 2);
}

Test(custfile, wrong_genesis_and_short_hashes)
{
	struct custfile_stored s[2];
	struct custfile_check c;
	int64_t seq = 0;

	build(s, 2);
	s[0].prev_hash[0] ^= 1;
	cr_expect_eq(custfile_verify_chain(s, 2, &seq), CUSTFILE_OUT_OF_CHAIN);
	cr_expect_eq(seq, 1);
	build(s, 2);
	custfile_check_init(&c);
	cr_expect_eq(custfile_check_next(&c, &s[0].e, s[0].prev_hash, 32, s[0].hash, 31),
		     CUSTFILE_ALTERED);
	custfile_check_init(&c);
	cr_expect_eq(custfile_check_next(&c, &s[0].e, NULL, 0, s[0].hash, 32),
		     CUSTFILE_OUT_OF_CHAIN);
	/* Only the first fault is kept; entries go on being counted. */
	cr_expect_eq(custfile_check_next(&c, &s[1].e, s[1].prev_hash, 32, s[1].hash, 32),
		     CUSTFILE_OUT_OF_CHAIN);
	cr_expect_eq(c.fault_seq, 1);
	cr_expect_eq(c.entries, 2);
	cr_expect_str_eq(custfile_fault_name(CUSTFILE_MISSING), "missing");
	cr_expect_str_eq(custfile_fault_name(CUSTFILE_OUT_OF_CHAIN), "out of chain");
	cr_expect_str_eq(custfile_fault_name(CUSTFILE_ALTERED), "altered");
}
