/*
 * position — what an account owes at an instant (SPEC.md "Positions").
 *
 * A position is a pure function of the ledger entries in effect at T and of
 * the customer's local date at T; import order never matters.
 *
 *   1. A credit naming an invoice in effect pays that invoice first, up to what
 *      it still owes; the rest, and every credit naming none (or an invoice not
 *      in effect at T), goes to a pool.
 *   2. The pool pays the remaining invoices by due_on, issued_on, invoice id.
 *   3. balance = invoices - payments - credit notes (negative: in credit).
 *   4. overdue = still owed on invoices due before the local date of T.
 *   5. oldest_unpaid_due_on / days_past_due from those invoices.
 *
 * A snapshot is the allocation with every entry in effect: its open items and
 * balance. It answers for any T at or after `complete_at` (the instant the last
 * entry took effect) without reading the ledger again, which is how positions
 * are kept current as entries arrive.
 */
#ifndef RELANCE_POSITION_H
#define RELANCE_POSITION_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define POSITION_NO_DATE INT32_MIN

/* An invoice with something still owed after allocation. */
struct open_item {
	int32_t due_on;
	int32_t issued_on;
	int64_t remaining;  /* minor units, > 0 */
};

struct position {
	int64_t balance;
	int64_t invoiced;     /* invoices in effect */
	int64_t paid;         /* payments in effect */
	int64_t credited;     /* credit notes in effect */
	int64_t overdue;
	int32_t today;        /* local date of T */
	int32_t oldest_unpaid_due_on;  /* POSITION_NO_DATE when nothing overdue */
	int32_t days_past_due;         /* 0 when nothing overdue */
	int64_t complete_at;  /* instant from which every entry is in effect in
			       * any zone (a dated entry counts from 12:00Z of
			       * its day); INT64_MIN for an empty ledger */
	/* Open items sorted by due_on, issued_on, invoice id. Owned by the
	 * position: position_release frees them. */
	struct open_item *open;
	size_t n_open;
};

enum position_err {
	POSITION_OK = 0,
	POSITION_NOMEM = -1,
	POSITION_ZONE = -2,      /* the ledger's timezone is unknown */
	POSITION_OVERFLOW = -3,  /* sums beyond int64_t */
};

/*
 * Computes the position of `l` at instant `now`. Entries may come in any
 * order. On success *out owns a fresh open-item array (release it); on error
 * *out is zeroed and holds nothing.
 */
int position_compute(const struct account_ledger *l, int64_t now, struct position *out);

/*
 * Re-derives overdue, oldest_unpaid_due_on and days_past_due of a snapshot
 * (a position whose open items cover every entry) for local date `today`.
 * Valid only when the instant of `today` is at or after p->complete_at.
 */
void position_at_date(struct position *p, int32_t today);

void position_release(struct position *p);

/* An instant at which every possible entry is in effect (9999-12-31T00:00Z):
 * position_compute at POSITION_FOREVER gives an account's snapshot. */
#define POSITION_FOREVER INT64_C(253402214400)

/* Ageing buckets by days past due of each open item. */
enum { AGE_CURRENT, AGE_1_30, AGE_31_60, AGE_61_90, AGE_OVER_90, AGE_BUCKETS };
void position_ageing(const struct position *p, int32_t today, int64_t buckets[AGE_BUCKETS]);

/*
 * Open items packed for storage: 16 bytes each, little-endian
 * (due_on int32, issued_on int32, remaining int64). pack returns the byte
 * count written into buf (caller sizes it as 16 * n); unpack allocates.
 */
#define POSITION_ITEM_BYTES 16
size_t position_pack_items(const struct open_item *items, size_t n, unsigned char *buf);
int position_unpack_items(const unsigned char *buf, size_t len, struct open_item **items, size_t *n);

#endif
