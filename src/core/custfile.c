/*
 * custfile — encoding, hashing and checking of the customer file's chain.
 *
 * The encoding is produced once, by emit(), into either a byte buffer or a
 * SHA-256 state: hashing never builds the encoding in memory, and the two
 * can never disagree.
 */
#include <assert.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "custfile.h"

#define CUSTFILE_MAGIC "relance-file-v1\n"
#define CUSTFILE_MAGIC_LEN 16

const unsigned char custfile_genesis[CUSTFILE_HASH_BYTES] = { 0 };

/* Where emit() sends bytes: a bounded buffer (counting what would not fit)
 * or a hash state. */
struct sink {
	crypto_hash_sha256_state *sha;
	unsigned char *buf;
	size_t size, len;
};

static void put(struct sink *k, const void *p, size_t n)
{
	if (k->sha != NULL) {
		crypto_hash_sha256_update(k->sha, p, n);
	} else if (k->len < k->size) {
		size_t room = k->size - k->len;

		memcpy(k->buf + k->len, p, n < room ? n : room);
	}
	k->len += n;
}

static void put_u64(struct sink *k, uint64_t v)
{
	unsigned char b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	put(k, b, 8);
}

static void put_str(struct sink *k, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(k, (uint64_t)n);
	put(k, s ? s : "", n);
}

static void emit(struct sink *k, const struct custfile_entry *e,
		 const unsigned char prev[CUSTFILE_HASH_BYTES])
{
	put(k, CUSTFILE_MAGIC, CUSTFILE_MAGIC_LEN);
	put_str(k, e->customer_id);
	/* Two's complement, so a negative instant (before 1970) is encoded too. */
	put_u64(k, (uint64_t)e->seq);
	put_u64(k, (uint64_t)e->at);
	put_str(k, e->account_id);
	put_str(k, e->kind);
	put_str(k, e->author);
	put_str(k, e->body);
	put(k, prev, CUSTFILE_HASH_BYTES);
}

size_t custfile_encode(const struct custfile_entry *e, const unsigned char prev[CUSTFILE_HASH_BYTES],
		       unsigned char *buf, size_t size)
{
	struct sink k = { NULL, buf, size, 0 };

	emit(&k, e, prev);
	return k.len;
}

/* sodium_init() once per process; it is itself thread-safe, so two threads
 * racing through here only call it twice, which it allows. */
static atomic_int sodium_ready;

void custfile_hash(const struct custfile_entry *e, const unsigned char prev[CUSTFILE_HASH_BYTES],
		   unsigned char out[CUSTFILE_HASH_BYTES])
{
	crypto_hash_sha256_state st;
	struct sink k = { &st, NULL, 0, 0 };

	if (!atomic_load(&sodium_ready)) {
		if (sodium_init() < 0) {
			/* Only without a random source, which SHA-256 does not
			 * use: hashing goes on either way. */
		}
		atomic_store(&sodium_ready, 1);
	}
	crypto_hash_sha256_init(&st);
	emit(&k, e, prev);
	crypto_hash_sha256_final(&st, out);
}

const char *custfile_fault_name(int fault)
{
	switch (fault) {
	case CUSTFILE_INTACT:
		return "intact";
	case CUSTFILE_MISSING:
		return "missing";
	case CUSTFILE_OUT_OF_CHAIN:
		return "out of chain";
	case CUSTFILE_ALTERED:
		return "altered";
	}
	return "unknown fault";
}

void custfile_check_init(struct custfile_check *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->last_hash, custfile_genesis, CUSTFILE_HASH_BYTES);
}

static int fault(struct custfile_check *c, int what, int64_t seq)
{
	c->fault = what;
	c->fault_seq = seq;
	return what;
}

int custfile_check_next(struct custfile_check *c, const struct custfile_entry *e,
			const unsigned char *prev_hash, size_t prev_len,
			const unsigned char *hash, size_t hash_len)
{
	unsigned char want[CUSTFILE_HASH_BYTES];
	int hash_ok;

	assert(c != NULL && e != NULL);
	c->entries++;
	if (c->fault != CUSTFILE_INTACT)
		return c->fault;
	if (e->seq > c->last_seq + 1)
		return fault(c, CUSTFILE_MISSING, c->last_seq + 1);
	if (e->seq <= c->last_seq)
		return fault(c, CUSTFILE_OUT_OF_CHAIN, e->seq);
	if (prev_hash == NULL || prev_len != CUSTFILE_HASH_BYTES ||
	    memcmp(prev_hash, c->last_hash, CUSTFILE_HASH_BYTES) != 0)
		return fault(c, CUSTFILE_OUT_OF_CHAIN, e->seq);
	/* Checked against the stored prev_hash, which equals last_hash here. */
	custfile_hash(e, c->last_hash, want);
	hash_ok = hash != NULL && hash_len == CUSTFILE_HASH_BYTES &&
		  memcmp(hash, want, CUSTFILE_HASH_BYTES) == 0;
	if (!hash_ok)
		return fault(c, CUSTFILE_ALTERED, e->seq);
	c->last_seq = e->seq;
	memcpy(c->last_hash, hash, CUSTFILE_HASH_BYTES);
	return CUSTFILE_INTACT;
}

int custfile_verify_chain(const struct custfile_stored *entries, size_t n, int64_t *seq)
{
	struct custfile_check c;

	custfile_check_init(&c);
	for (size_t i = 0; i < n && c.fault == CUSTFILE_INTACT; i++)
		custfile_check_next(&c, &entries[i].e, entries[i].prev_hash, CUSTFILE_HASH_BYTES,
				    entries[i].hash, CUSTFILE_HASH_BYTES);
	if (c.fault != CUSTFILE_INTACT)
		*seq = c.fault_seq;
	return c.fault;
}
