/*
 * custfile — the customer file's hash chain: how an entry is encoded, how it
 * is hashed, and how a chain read back from the database is checked. Pure:
 * no I/O, no allocation (docs/customer-file.md describes the format).
 *
 * A customer's file is a sequence of entries numbered 1, 2, 3... Each entry
 * stores the SHA-256 of the previous entry's encoding (32 zero bytes for
 * entry 1) and its own, so that an entry altered, removed or moved in the
 * database no longer matches the entries around it.
 *
 * The encoding names the customer and the account by their external ids,
 * never by the database's keys: a file copied into another database, or
 * into the other engine, still verifies.
 */
#ifndef RELANCE_CUSTFILE_H
#define RELANCE_CUSTFILE_H

#include <stddef.h>
#include <stdint.h>

#define CUSTFILE_HASH_BYTES 32

/* Kinds written today; others ("stage", "action", "outcome"...) will come.
 * The chain does not depend on the kind's meaning. */
#define CUSTFILE_NOTE "note"
#define CUSTFILE_CORRECTION "correction"   /* body: "corrects entry N: ..." */
#define CUSTFILE_IMPORT "import"

/* One entry. Strings are borrowed; NULL reads as "" everywhere. */
struct custfile_entry {
	const char *customer_id;
	int64_t seq;               /* 1 for the first entry of a customer */
	int64_t at;                /* seconds since the epoch, UTC */
	const char *account_id;    /* NULL or "": about the customer as a whole */
	const char *kind, *author, *body;
};

/*
 * Writes the canonical encoding of `e` chained to `prev` into buf[0..size)
 * and returns its length in bytes, which may exceed `size` (nothing is then
 * written past it; call again with a bigger buffer). Format, all integers
 * big-endian:
 *   the 16 bytes "relance-file-v1\n"
 *   u64 length + bytes of: customer_id
 *   i64 seq, i64 at
 *   u64 length + bytes of: account_id (or ""), kind, author, body
 *   the 32 bytes of prev
 * Every variable field carries its length, so no two different entries
 * share an encoding.
 */
size_t custfile_encode(const struct custfile_entry *e, const unsigned char prev[CUSTFILE_HASH_BYTES],
		       unsigned char *buf, size_t size);

/* out = SHA-256(custfile_encode(e, prev)), without building the encoding.
 * prev is 32 zero bytes for entry 1 (custfile_genesis). */
void custfile_hash(const struct custfile_entry *e, const unsigned char prev[CUSTFILE_HASH_BYTES],
		   unsigned char out[CUSTFILE_HASH_BYTES]);

extern const unsigned char custfile_genesis[CUSTFILE_HASH_BYTES];

/* What is wrong with a chain, at the entry custfile_check names. */
enum custfile_fault {
	CUSTFILE_INTACT = 0,
	CUSTFILE_MISSING = 1,       /* no entry with this seq: removed */
	CUSTFILE_OUT_OF_CHAIN = 2,  /* its prev_hash is not the previous entry's hash */
	CUSTFILE_ALTERED = 3,       /* its content no longer gives its stored hash */
};

/* "intact", "missing", "out of chain", "altered". */
const char *custfile_fault_name(int fault);

/*
 * A chain being checked entry by entry, so that a whole database can be
 * verified while it streams by. Reset with custfile_check_init for each
 * customer, then feed its entries in the order read (seq ascending).
 */
struct custfile_check {
	int64_t last_seq;                          /* 0 before the first entry */
	unsigned char last_hash[CUSTFILE_HASH_BYTES];
	int64_t entries;
	int fault;                                 /* first fault, CUSTFILE_INTACT */
	int64_t fault_seq;                         /* the seq that fault names */
};

void custfile_check_init(struct custfile_check *c);
/*
 * Checks the next stored entry: its seq must be the previous one + 1 (else
 * the first seq skipped is MISSING; a seq that goes back or repeats is
 * OUT_OF_CHAIN), its stored prev_hash the previous entry's stored hash
 * (else OUT_OF_CHAIN), its stored hash the hash of its content (else
 * ALTERED). Hashes whose stored length is not 32 bytes do not match.
 * Only the first fault is kept; returns c->fault.
 */
int custfile_check_next(struct custfile_check *c, const struct custfile_entry *e,
			const unsigned char *prev_hash, size_t prev_len,
			const unsigned char *hash, size_t hash_len);

/* An entry as stored, for custfile_verify_chain. */
struct custfile_stored {
	struct custfile_entry e;
	unsigned char prev_hash[CUSTFILE_HASH_BYTES];
	unsigned char hash[CUSTFILE_HASH_BYTES];
};

/* Checks entries[0..n) of one customer in the order given; returns the first
 * fault and writes the seq it names into *seq (untouched when intact). */
int custfile_verify_chain(const struct custfile_stored *entries, size_t n, int64_t *seq);

#endif
