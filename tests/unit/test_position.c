/*
 * Position rules (SPEC.md "Positions") on hand-made ledgers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/core/caltime.h"
#include "../../src/core/position.h"

static int32_t D(const char *s)
{
	int32_t d = 0;

	cr_assert_eq(date_parse(s, strlen(s), &d), CALTIME_OK, "bad test date %s", s);
	return d;
}

static int64_t T(const char *s)
{
	int64_t t = 0;

	cr_assert_eq(instant_parse(s, strlen(s), &t), CALTIME_OK, "bad test instant %s", s);
	return t;
}

static struct ledger_invoice inv(const char *id, const char *issued, const char *due, int64_t a)
{
	return (struct ledger_invoice){ id, D(issued), D(due), a };
}

static struct ledger_credit pay(const char *id, const char *at, int64_t a, const char *invoice)
{
	return (struct ledger_credit){ LEDGER_PAYMENT, id, invoice, T(at), 0, a };
}

static struct ledger_credit note(const char *id, const char *issued, int64_t a, const char *invoice)
{
	return (struct ledger_credit){ LEDGER_CREDIT_NOTE, id, invoice, 0, D(issued), a };
}

static struct account_ledger ledger(const char *zone, struct ledger_invoice *i, size_t ni,
				    struct ledger_credit *c, size_t nc)
{
	return (struct account_ledger){ 1, "A1", "C1", "EUR", 2, zone, i, ni, c, nc };
}

static struct position at(const struct account_ledger *l, const char *now)
{
	struct position p;

	cr_assert_eq(position_compute(l, T(now), &p), POSITION_OK);
	return p;
}

Test(position, empty_ledger_owes_nothing)
{
	struct account_ledger l = ledger("Europe/Paris", NULL, 0, NULL, 0);
	struct position p = at(&l, "2024-07-25T10:00:00Z");

	cr_assert_eq(p.balance, 0);
	cr_assert_eq(p.overdue, 0);
	cr_assert_eq(p.oldest_unpaid_due_on, POSITION_NO_DATE);
	cr_assert_eq(p.days_past_due, 0);
	cr_assert_eq(p.n_open, 0);
	position_release(&p);
}

Test(position, pool_pays_oldest_first_whatever_the_order)
{
	struct ledger_invoice i[] = {
		inv("I3", "2024-03-01", "2024-03-15", 3000),
		inv("I1", "2024-01-01", "2024-01-15", 1000),
		inv("I2", "2024-02-01", "2024-02-15", 2000),
	};
	struct ledger_credit c[] = { pay("P1", "2024-03-20T00:00:00Z", 1500, NULL) };
	struct account_ledger l = ledger("Europe/Paris", i, 3, c, 1);
	struct position p = at(&l, "2024-04-01T12:00:00Z");

	cr_assert_eq(p.balance, 4500);
	cr_assert_eq(p.overdue, 4500);
	/* I1 paid in full, I2 half: the oldest unpaid is I2's due date. */
	cr_assert_eq(p.oldest_unpaid_due_on, D("2024-02-15"));
	cr_assert_eq(p.days_past_due, D("2024-04-01") - D("2024-02-15"));
	cr_assert_eq(p.n_open, 2);
	cr_assert_eq(p.open[0].remaining, 1500);
	cr_assert_eq(p.open[1].remaining, 3000);
	position_release(&p);
}

Test(position, named_invoice_is_paid_first)
{
	struct ledger_invoice i[] = {
		inv("I1", "2024-01-01", "2024-01-15", 1000),
		inv("I2", "2024-02-01", "2024-02-15", 2000),
	};
	struct ledger_credit c[] = { pay("P1", "2024-02-20T00:00:00Z", 2500, "I2") };
	struct account_ledger l = ledger("Europe/Paris", i, 2, c, 1);
	struct position p = at(&l, "2024-03-01T12:00:00Z");

	/* 2000 pays I2, the 500 left pools onto I1. */
	cr_assert_eq(p.balance, 500);
	cr_assert_eq(p.overdue, 500);
	cr_assert_eq(p.oldest_unpaid_due_on, D("2024-01-15"));
	position_release(&p);
}

Test(position, credit_naming_invoice_not_yet_in_effect_goes_to_pool)
{
	struct ledger_invoice i[] = {
		inv("I1", "2024-01-01", "2024-01-15", 1000),
		inv("I2", "2024-03-01", "2024-03-15", 2000),
	};
	/* Paid in advance for I2, which is issued only on 1 March. */
	struct ledger_credit c[] = { pay("P1", "2024-02-10T00:00:00Z", 2000, "I2") };
	struct account_ledger l = ledger("Europe/Paris", i, 2, c, 1);
	struct position before = at(&l, "2024-02-20T12:00:00Z");
	struct position after = at(&l, "2024-03-20T12:00:00Z");

	/* Before 1 March the payment pools and clears I1: in credit by 1000. */
	cr_assert_eq(before.balance, -1000);
	cr_assert_eq(before.overdue, 0);
	cr_assert_eq(before.invoiced, 1000);
	/* Afterwards it pays I2 first: I1 is overdue again. */
	cr_assert_eq(after.balance, 1000);
	cr_assert_eq(after.overdue, 1000);
	cr_assert_eq(after.oldest_unpaid_due_on, D("2024-01-15"));
	position_release(&before);
	position_release(&after);
}

Test(position, overpayment_gives_negative_balance)
{
	struct ledger_invoice i[] = { inv("I1", "2024-01-01", "2024-01-15", 1000) };
	struct ledger_credit c[] = { pay("P1", "2024-01-10T00:00:00Z", 1500, NULL) };
	struct account_ledger l = ledger("Europe/Paris", i, 1, c, 1);
	struct position p = at(&l, "2024-02-01T00:00:00Z");

	cr_assert_eq(p.balance, -500);
	cr_assert_eq(p.overdue, 0);
	cr_assert_eq(p.n_open, 0);
	position_release(&p);
}

Test(position, credit_note_larger_than_its_invoice)
{
	struct ledger_invoice i[] = {
		inv("I1", "2024-01-01", "2024-01-15", 1000),
		inv("I2", "2024-02-01", "2024-02-15", 2000),
	};
	struct ledger_credit c[] = { note("CN1", "2024-02-20", 1800, "I1") };
	struct account_ledger l = ledger("Europe/Paris", i, 2, c, 1);
	struct position p = at(&l, "2024-03-01T12:00:00Z");

	/* 1000 clears I1, 800 pools onto I2. */
	cr_assert_eq(p.balance, 1200);
	cr_assert_eq(p.credited, 1800);
	cr_assert_eq(p.overdue, 1200);
	cr_assert_eq(p.oldest_unpaid_due_on, D("2024-02-15"));
	position_release(&p);
}

Test(position, payment_received_on_due_date_is_on_time)
{
	struct ledger_invoice i[] = { inv("I1", "2024-07-01", "2024-07-24", 12500) };
	struct ledger_credit c[] = { pay("P1", "2024-07-24T15:00:00Z", 12500, NULL) };
	struct account_ledger l = ledger("Africa/Bujumbura", i, 1, c, 1);
	struct position on_due = at(&l, "2024-07-24T20:00:00Z");
	struct position next = at(&l, "2024-07-25T10:00:00Z");

	cr_assert_eq(on_due.overdue, 0);
	cr_assert_eq(next.overdue, 0);
	cr_assert_eq(next.balance, 0);
	position_release(&on_due);
	position_release(&next);
}

Test(position, unpaid_invoice_is_overdue_from_the_day_after_due)
{
	struct ledger_invoice i[] = { inv("I1", "2024-07-01", "2024-07-24", 12500) };
	struct account_ledger l = ledger("Africa/Bujumbura", i, 1, NULL, 0);
	struct position due_day = at(&l, "2024-07-24T21:59:59Z");
	struct position after = at(&l, "2024-07-24T22:00:00Z"); /* 00:00 in Bujumbura */

	cr_assert_eq(due_day.overdue, 0);
	cr_assert_eq(after.overdue, 12500);
	cr_assert_eq(after.days_past_due, 1);
	position_release(&due_day);
	position_release(&after);
}

Test(position, local_date_differs_from_utc_date)
{
	struct ledger_invoice i[] = { inv("I1", "2024-07-01", "2024-07-24", 10000) };
	struct account_ledger kyiv = ledger("Europe/Kyiv", i, 1, NULL, 0);
	struct account_ledger sao = ledger("America/Sao_Paulo", i, 1, NULL, 0);
	/* 23:30Z on the 24th is already the 25th in Kyiv, still the 24th in São Paulo. */
	struct position k = at(&kyiv, "2024-07-24T23:30:00Z");
	struct position s = at(&sao, "2024-07-24T23:30:00Z");

	cr_assert_eq(k.overdue, 10000);
	cr_assert_eq(k.days_past_due, 1);
	cr_assert_eq(s.overdue, 0);
	cr_assert_eq(s.days_past_due, 0);
	position_release(&k);
	position_release(&s);
}

Test(position, invoice_issued_later_today_local_is_in_effect)
{
	struct ledger_invoice i[] = { inv("I1", "2024-07-25", "2024-08-10", 10000) };
	struct account_ledger l = ledger("Europe/Kyiv", i, 1, NULL, 0);
	/* 21:30Z on the 24th is 00:30 on the 25th in Kyiv. */
	struct position p = at(&l, "2024-07-24T21:30:00Z");
	struct position q = at(&l, "2024-07-24T20:30:00Z");

	cr_assert_eq(p.balance, 10000);
	cr_assert_eq(q.balance, 0);
	position_release(&p);
	position_release(&q);
}

Test(position, days_past_due_across_daylight_saving_change)
{
	struct ledger_invoice i[] = { inv("I1", "2024-03-01", "2024-03-30", 5000) };
	struct account_ledger l = ledger("Europe/Paris", i, 1, NULL, 0);
	/* Clocks go forward in Paris on 31 March: the day is 23 hours long,
	 * yet 1 April is still exactly 2 days after the 30th. */
	struct position p = at(&l, "2024-04-01T00:30:00Z"); /* 02:30 CEST, 1 April */
	struct position q = at(&l, "2024-03-31T21:59:00Z"); /* 23:59 CEST, 31 March */

	cr_assert_eq(p.days_past_due, 2);
	cr_assert_eq(q.days_past_due, 1);
	position_release(&p);
	position_release(&q);
}

Test(position, payment_not_yet_received_is_ignored)
{
	struct ledger_invoice i[] = { inv("I1", "2024-01-01", "2024-01-15", 1000) };
	struct ledger_credit c[] = { pay("P1", "2024-02-01T10:00:00Z", 1000, "I1") };
	struct account_ledger l = ledger("Europe/Paris", i, 1, c, 1);
	struct position before = at(&l, "2024-02-01T09:59:59Z");
	struct position after = at(&l, "2024-02-01T10:00:00Z");

	cr_assert_eq(before.balance, 1000);
	cr_assert_eq(after.balance, 0);
	position_release(&before);
	position_release(&after);
}

Test(position, bif_and_kwd_amounts_stay_exact)
{
	/* BIF has no decimals, KWD three: the engine only sees minor units. */
	struct ledger_invoice bi[] = { inv("I1", "2024-06-01", "2024-06-24", 12500) };
	struct ledger_credit bc[] = { pay("P1", "2024-06-30T00:00:00Z", 12499, NULL) };
	struct account_ledger b = ledger("Africa/Bujumbura", bi, 1, bc, 1);
	struct ledger_invoice ki[] = { inv("I1", "2024-06-01", "2024-06-24", 1234567) };
	struct ledger_credit kc[] = { pay("P1", "2024-06-30T00:00:00Z", 1, NULL) };
	struct account_ledger k = ledger("Asia/Kuwait", ki, 1, kc, 1);
	struct position pb, pk;

	b.currency = "BIF";
	b.exponent = 0;
	k.currency = "KWD";
	k.exponent = 3;
	pb = at(&b, "2024-07-01T00:00:00Z");
	pk = at(&k, "2024-07-01T00:00:00Z");
	cr_assert_eq(pb.overdue, 1);
	cr_assert_eq(pk.overdue, 1234566);
	position_release(&pb);
	position_release(&pk);
}

Test(position, snapshot_answers_like_a_full_computation)
{
	struct ledger_invoice i[] = {
		inv("I1", "2024-01-01", "2024-01-15", 1000),
		inv("I2", "2024-02-01", "2024-02-15", 2000),
		inv("I3", "2024-03-01", "2024-03-15", 3000),
	};
	struct ledger_credit c[] = {
		pay("P1", "2024-03-02T00:00:00Z", 1200, NULL),
		note("CN1", "2024-03-03", 300, "I3"),
	};
	struct account_ledger l = ledger("America/Toronto", i, 3, c, 2);
	struct position snap, full;

	cr_assert_eq(position_compute(&l, POSITION_FOREVER, &snap), POSITION_OK);
	cr_assert_geq(T("2024-03-04T00:00:00Z"), snap.complete_at);
	full = at(&l, "2024-04-10T12:00:00Z");
	position_at_date(&snap, D("2024-04-10"));
	cr_assert_eq(snap.balance, full.balance);
	cr_assert_eq(snap.overdue, full.overdue);
	cr_assert_eq(snap.oldest_unpaid_due_on, full.oldest_unpaid_due_on);
	cr_assert_eq(snap.days_past_due, full.days_past_due);
	position_release(&snap);
	position_release(&full);
}

Test(position, ageing_buckets_by_days_late)
{
	struct ledger_invoice i[] = {
		inv("I1", "2024-01-01", "2024-01-10", 100),  /* 112 days late */
		inv("I2", "2024-03-01", "2024-03-10", 200),  /* 52 */
		inv("I3", "2024-04-01", "2024-04-25", 300),  /* 6 */
		inv("I4", "2024-04-20", "2024-05-10", 400),  /* not due */
	};
	struct account_ledger l = ledger("Europe/Paris", i, 4, NULL, 0);
	struct position p = at(&l, "2024-05-01T12:00:00Z");
	int64_t b[AGE_BUCKETS] = { 0 };

	position_ageing(&p, p.today, b);
	cr_assert_eq(b[AGE_CURRENT], 400);
	cr_assert_eq(b[AGE_1_30], 300);
	cr_assert_eq(b[AGE_31_60], 200);
	cr_assert_eq(b[AGE_61_90], 0);
	cr_assert_eq(b[AGE_OVER_90], 100);
	position_release(&p);
}

Test(position, pack_round_trip)
{
	struct open_item items[] = { { -5, -10, 1 }, { 20000, 19990, INT64_MAX } };
	unsigned char buf[2 * POSITION_ITEM_BYTES];
	struct open_item *back;
	size_t n;

	cr_assert_eq(position_pack_items(items, 2, buf), sizeof(buf));
	cr_assert_eq(position_unpack_items(buf, sizeof(buf), &back, &n), POSITION_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(memcmp(back, items, sizeof(items)), 0);
	free(back);
	cr_assert_neq(position_unpack_items(buf, 7, &back, &n), POSITION_OK);
}

Test(position, overflow_is_refused_not_wrapped)
{
	struct ledger_invoice i[] = {
		inv("I1", "2024-01-01", "2024-01-15", INT64_MAX),
		inv("I2", "2024-01-01", "2024-01-15", 1),
	};
	struct account_ledger l = ledger("Europe/Paris", i, 2, NULL, 0);
	struct position p;

	cr_assert_eq(position_compute(&l, T("2024-02-01T00:00:00Z"), &p), POSITION_OVERFLOW);
	cr_assert_null(p.open);
}
