/*
 * ledger — the entries of one account as the position rules read them.
 *
 * These are plain views: every pointer (ids, arrays) is owned by whoever
 * filled the struct (a store scan, a test) and stays valid only for the call
 * that receives it. The ledger is append-only: corrections are new entries,
 * so nothing here is ever edited in place.
 */
#ifndef RELANCE_LEDGER_H
#define RELANCE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

/* An invoice is in effect from its issue date (customer's local date). */
struct ledger_invoice {
	const char *id;
	int32_t issued_on;  /* day number (caltime.h) */
	int32_t due_on;
	int64_t amount;     /* minor units, > 0 */
};

enum ledger_credit_kind {
	LEDGER_PAYMENT = 1,     /* in effect from received_at */
	LEDGER_CREDIT_NOTE = 2, /* in effect from issued_on */
};

struct ledger_credit {
	int kind;                 /* enum ledger_credit_kind */
	const char *id;
	const char *invoice_id;   /* NULL when it names no invoice */
	int64_t received_at;      /* payments: instant */
	int32_t issued_on;        /* credit notes: day number */
	int64_t amount;           /* minor units, > 0 */
};

struct account_ledger {
	int64_t account_key;      /* the store's internal key */
	const char *account_id;
	const char *customer_id;
	const char *currency;     /* ISO 4217 */
	int exponent;             /* decimals of currency */
	const char *timezone;     /* the customer's IANA zone */
	const struct ledger_invoice *invoices;
	size_t n_invoices;
	const struct ledger_credit *credits;
	size_t n_credits;
};

#endif
