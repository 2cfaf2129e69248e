/*
 * postpone — postponed due dates applied to ledgers (postpone.h).
 */
#include <stdlib.h>
#include <string.h>

#include "../core/arrange.h"
#include "../store/store.h"
#include "postpone.h"

struct moved {
	char *invoice_id;
	int32_t due_on;
};

/* The thread's: `relance serve` reads positions from several threads. */
static __thread struct {
	int loaded;
	struct moved *v;
	size_t n;
	struct ledger_invoice *scratch;   /* a patched copy of one ledger's invoices */
	size_t cap;
} P;

static int cmp_moved(const void *a, const void *b)
{
	return strcmp(((const struct moved *)a)->invoice_id, ((const struct moved *)b)->invoice_id);
}

void postpone_forget(void)
{
	for (size_t i = 0; i < P.n; i++)
		free(P.v[i].invoice_id);
	free(P.v);
	free(P.scratch);
	memset(&P, 0, sizeof(P));
}

static int keep(void *ctx, const struct arrangement_view *a)
{
	struct arrange_terms t;
	struct moved *v;

	(void)ctx;
	if (strcmp(a->kind, "postponement") != 0)
		return 0;
	if (arrange_terms_decode(a->terms, &t) != ARRANGE_OK)
		return STORE_ERR_INPUT;
	if (t.invoice_id == NULL || t.due_on == POSITION_NO_DATE ||
	    (v = realloc(P.v, (P.n + 1) * sizeof(*v))) == NULL) {
		int bad = t.invoice_id == NULL || t.due_on == POSITION_NO_DATE;

		arrange_terms_release(&t);
		return bad ? STORE_ERR_INPUT : STORE_ERR_NOMEM;
	}
	P.v = v;
	v[P.n].invoice_id = t.invoice_id;   /* taken from the terms */
	v[P.n].due_on = t.due_on;
	t.invoice_id = NULL;
	P.n++;
	arrange_terms_release(&t);
	return 0;
}

int postpone_load(struct store *s)
{
	int rc;

	if (P.loaded)
		return STORE_OK;
	rc = store_arrangements_of_customer(s, NULL, 1, keep, NULL);
	if (rc != STORE_OK) {
		postpone_forget();
		return rc;
	}
	if (P.n > 1)
		qsort(P.v, P.n, sizeof(*P.v), cmp_moved);
	P.loaded = 1;
	return STORE_OK;
}

int32_t postpone_due_on(const char *invoice_id)
{
	struct moved key = { (char *)invoice_id, 0 }, *m;

	if (P.n == 0)
		return POSITION_NO_DATE;
	m = bsearch(&key, P.v, P.n, sizeof(key), cmp_moved);
	return m ? m->due_on : POSITION_NO_DATE;
}

int postpone_position(const struct account_ledger *l, int64_t now, struct position *out)
{
	struct account_ledger patched;
	int any = 0;

	if (P.n == 0)
		return position_compute(l, now, out);
	for (size_t i = 0; i < l->n_invoices && !any; i++)
		any = postpone_due_on(l->invoices[i].id) != POSITION_NO_DATE;
	if (!any)
		return position_compute(l, now, out);
	if (l->n_invoices > P.cap) {
		struct ledger_invoice *v = realloc(P.scratch, l->n_invoices * sizeof(*v));

		if (v == NULL) {
			memset(out, 0, sizeof(*out));
			return POSITION_NOMEM;
		}
		P.scratch = v;
		P.cap = l->n_invoices;
	}
	for (size_t i = 0; i < l->n_invoices; i++) {
		int32_t d = postpone_due_on(l->invoices[i].id);

		P.scratch[i] = l->invoices[i];
		if (d != POSITION_NO_DATE)
			P.scratch[i].due_on = d;
	}
	patched = *l;
	patched.invoices = P.scratch;
	return position_compute(&patched, now, out);
}
