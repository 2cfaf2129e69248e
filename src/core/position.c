/*
 * position — SPEC.md's position rules as one pure computation.
 *
 * Cost: O(i log i + c log i) for i invoices and c credits of one account;
 * the only allocation is the working array of invoices in effect, which
 * becomes the open-item array of the result.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "position.h"
#include "tz.h"

/* An invoice in effect with what it still owes during allocation. */
struct work_item {
	const struct ledger_invoice *inv;
	int64_t remaining;
};

static int by_payment_order(const void *a, const void *b)
{
	const struct ledger_invoice *x = ((const struct work_item *)a)->inv;
	const struct ledger_invoice *y = ((const struct work_item *)b)->inv;

	if (x->due_on != y->due_on)
		return x->due_on < y->due_on ? -1 : 1;
	if (x->issued_on != y->issued_on)
		return x->issued_on < y->issued_on ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int by_id(const void *a, const void *b)
{
	const struct work_item *const *x = a, *const *y = b;

	return strcmp((*x)->inv->id, (*y)->inv->id);
}

static struct work_item *find_invoice(struct work_item **index, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(index[mid]->inv->id, id);

		if (c == 0)
			return index[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int add_checked(int64_t *sum, int64_t v)
{
	return __builtin_add_overflow(*sum, v, sum) ? POSITION_OVERFLOW : POSITION_OK;
}

void position_at_date(struct position *p, int32_t today)
{
	size_t i;

	p->today = today;
	p->overdue = 0;
	p->oldest_unpaid_due_on = POSITION_NO_DATE;
	p->days_past_due = 0;
	/* Open items are sorted by due_on: the overdue ones are a prefix. */
	for (i = 0; i < p->n_open && p->open[i].due_on < today; i++) {
		assert(p->open[i].remaining > 0);
		p->overdue += p->open[i].remaining;
	}
	if (i > 0) {
		p->oldest_unpaid_due_on = p->open[0].due_on;
		p->days_past_due = today - p->open[0].due_on;
	}
}

int position_compute(const struct account_ledger *l, int64_t now, struct position *out)
{
	struct work_item *items = NULL, **index = NULL;
	struct open_item *open = NULL;
	struct tz *zone = NULL;
	int64_t pool = 0, last_effect = INT64_MIN;
	int32_t today, last_day = INT32_MIN;
	size_t n = 0, n_open = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (tz_get(l->timezone, &zone) != TZ_OK)
		return POSITION_ZONE;
	if (tz_local_date(zone, now, &today) != TZ_OK)
		return POSITION_ZONE;

	if (l->n_invoices > 0) {
		items = malloc(l->n_invoices * sizeof(*items));
		index = malloc(l->n_invoices * sizeof(*index));
		if (items == NULL || index == NULL) {
			rc = POSITION_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < l->n_invoices; i++) {
		const struct ledger_invoice *inv = &l->invoices[i];

		assert(inv->amount > 0);
		if (inv->issued_on > last_day)
			last_day = inv->issued_on;
		if (inv->issued_on > today)
			continue;
		if ((rc = add_checked(&out->invoiced, inv->amount)) != POSITION_OK)
			goto out;
		items[n].inv = inv;
		items[n].remaining = inv->amount;
		index[n] = &items[n];
		n++;
	}
	if (n > 0) {
		qsort(items, n, sizeof(*items), by_payment_order);
		for (i = 0; i < n; i++)
			index[i] = &items[i];
		qsort(index, n, sizeof(*index), by_id);
	}

	/* Rule 1: a credit pays the invoice it names first, the rest pools. */
	for (i = 0; i < l->n_credits; i++) {
		const struct ledger_credit *cr = &l->credits[i];
		struct work_item *target = NULL;
		int64_t rest = cr->amount;

		assert(cr->amount > 0);
		if (cr->kind == LEDGER_PAYMENT && cr->received_at > last_effect)
			last_effect = cr->received_at;
		if (cr->kind == LEDGER_CREDIT_NOTE && cr->issued_on > last_day)
			last_day = cr->issued_on;
		if (cr->kind == LEDGER_PAYMENT ? cr->received_at > now : cr->issued_on > today)
			continue;
		rc = add_checked(cr->kind == LEDGER_PAYMENT ? &out->paid : &out->credited, cr->amount);
		if (rc != POSITION_OK)
			goto out;
		if (cr->invoice_id != NULL && cr->invoice_id[0] != '\0')
			target = find_invoice(index, n, cr->invoice_id);
		if (target != NULL) {
			int64_t take = rest < target->remaining ? rest : target->remaining;

			target->remaining -= take;
			rest -= take;
		}
		if ((rc = add_checked(&pool, rest)) != POSITION_OK)
			goto out;
	}

	/* Rule 2: the pool pays the oldest invoices first. */
	for (i = 0; i < n && pool > 0; i++) {
		int64_t take = pool < items[i].remaining ? pool : items[i].remaining;

		items[i].remaining -= take;
		pool -= take;
	}

	for (i = 0; i < n; i++)
		if (items[i].remaining > 0)
			n_open++;
	if (n_open > 0) {
		open = malloc(n_open * sizeof(*open));
		if (open == NULL) {
			rc = POSITION_NOMEM;
			goto out;
		}
		n_open = 0;
		for (i = 0; i < n; i++) {
			if (items[i].remaining == 0)
				continue;
			open[n_open].due_on = items[i].inv->due_on;
			open[n_open].issued_on = items[i].inv->issued_on;
			open[n_open].remaining = items[i].remaining;
			n_open++;
		}
	}

	/* Rule 3: balance; subtractions cannot overflow after the checks above
	 * only if each sum fits, which add_checked guaranteed. */
	if (__builtin_sub_overflow(out->invoiced, out->paid, &out->balance) ||
	    __builtin_sub_overflow(out->balance, out->credited, &out->balance)) {
		rc = POSITION_OVERFLOW;
		goto out;
	}
	out->open = open;
	out->n_open = n_open;
	open = NULL;
	/* A dated entry takes effect at its day's local midnight, which in any
	 * zone (UTC-12 to UTC+14) is at the latest 12:00Z that day. Using that
	 * bound keeps snapshots valid whatever the customer's zone becomes. */
	if (last_day != INT32_MIN && (int64_t)last_day * 86400 + 43200 > last_effect)
		last_effect = (int64_t)last_day * 86400 + 43200;
	out->complete_at = last_effect;
	/* Rules 4 and 5. */
	position_at_date(out, today);
	rc = POSITION_OK;
out:
	free(items);
	free(index);
	free(open);
	if (rc != POSITION_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

void position_release(struct position *p)
{
	free(p->open);
	p->open = NULL;
	p->n_open = 0;
}

void position_ageing(const struct position *p, int32_t today, int64_t buckets[AGE_BUCKETS])
{
	size_t i;

	for (i = 0; i < p->n_open; i++) {
		int32_t late = today - p->open[i].due_on;
		int b;

		if (late <= 0)
			b = AGE_CURRENT;
		else if (late <= 30)
			b = AGE_1_30;
		else if (late <= 60)
			b = AGE_31_60;
		else if (late <= 90)
			b = AGE_61_90;
		else
			b = AGE_OVER_90;
		buckets[b] += p->open[i].remaining;
	}
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t position_pack_items(const struct open_item *items, size_t n, unsigned char *buf)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = buf + i * POSITION_ITEM_BYTES;

		put_le(p, (uint32_t)items[i].due_on, 4);
		put_le(p + 4, (uint32_t)items[i].issued_on, 4);
		put_le(p + 8, (uint64_t)items[i].remaining, 8);
	}
	return n * POSITION_ITEM_BYTES;
}

int position_unpack_items(const unsigned char *buf, size_t len, struct open_item **items, size_t *n)
{
	size_t count = len / POSITION_ITEM_BYTES;

	*items = NULL;
	*n = 0;
	if (len % POSITION_ITEM_BYTES != 0)
		return POSITION_OVERFLOW;
	if (count == 0)
		return POSITION_OK;
	*items = malloc(count * sizeof(**items));
	if (*items == NULL)
		return POSITION_NOMEM;
	for (size_t i = 0; i < count; i++) {
		const unsigned char *p = buf + i * POSITION_ITEM_BYTES;

		(*items)[i].due_on = (int32_t)(uint32_t)get_le(p, 4);
		(*items)[i].issued_on = (int32_t)(uint32_t)get_le(p + 4, 4);
		(*items)[i].remaining = (int64_t)get_le(p + 8, 8);
	}
	*n = count;
	return POSITION_OK;
}
