/*
 * account — `relance account show ID [--json]`: the customer file of one
 * account as an agent reads it: who, which services, what is owed at --now,
 * every ledger entry in the order it took effect, the actions decided and
 * not performed yet, then every entry of the customer file (notes, corrections... of every department) in order.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/caltime.h"
#include "../core/money.h"
#include "../core/position.h"
#include "../store/store.h"
#include "cmd.h"
#include "out.h"

/* A ledger entry in the timeline, ordered by when it took effect. */
struct entry {
	int64_t at;             /* sort key: instant (dated entries: 12:00Z) */
	const char *what;       /* "invoice", "payment", "credit note" */
	char *id, *ref;
	int32_t day, due;       /* POSITION_NO_DATE when not dated */
	int64_t received_at;
	int64_t amount;
};

struct show_ctx {
	struct cmd_ctx *cmd;
	struct store *store;
	int json, status, found;
	struct entry *entries;
	size_t n_entries;
	int exponent;
	struct position pos;
};

static int by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int keep_entries(void *arg, const struct account_ledger *l)
{
	struct show_ctx *c = arg;
	size_t n = l->n_invoices + l->n_credits, k = 0;

	c->entries = calloc(n ? n : 1, sizeof(*c->entries));
	if (c->entries == NULL)
		return STORE_ERR_NOMEM;
	for (size_t i = 0; i < l->n_invoices; i++, k++) {
		struct entry *e = &c->entries[k];

		e->what = "invoice";
		e->id = strdup(l->invoices[i].id);
		e->day = l->invoices[i].issued_on;
		e->due = l->invoices[i].due_on;
		e->at = (int64_t)e->day * 86400 + 43200;
		e->amount = l->invoices[i].amount;
	}
	for (size_t i = 0; i < l->n_credits; i++, k++) {
		const struct ledger_credit *cr = &l->credits[i];
		struct entry *e = &c->entries[k];

		e->id = strdup(cr->id);
		e->ref = cr->invoice_id ? strdup(cr->invoice_id) : NULL;
		e->due = POSITION_NO_DATE;
		e->amount = cr->amount;
		if (cr->kind == LEDGER_PAYMENT) {
			e->what = "payment";
			e->day = POSITION_NO_DATE;
			e->received_at = cr->received_at;
			e->at = cr->received_at;
		} else {
			e->what = "credit note";
			e->day = cr->issued_on;
			e->at = (int64_t)e->day * 86400 + 43200;
		}
	}
	c->n_entries = n;
	for (size_t i = 0; i < n; i++)
		if (c->entries[i].id == NULL)
			return STORE_ERR_NOMEM;
	qsort(c->entries, n, sizeof(*c->entries), by_time);
	return 0;
}

static void print_customer_text(const struct customer_view *v)
{
	printf("Customer   %s — %s\n", v->customer_id, v->name);
	printf("           %s, %s, jurisdiction %s\n", v->locale, v->timezone, v->jurisdiction);
	if (v->phone[0] || v->email[0])
		printf("           %s%s%s\n", v->phone, v->phone[0] && v->email[0] ? ", " : "",
		       v->email);
	if (v->segment[0])
		printf("           segment %s\n", v->segment);
}

static void print_customer_json(const struct customer_view *v)
{
	fputs("\"customer\":{\"customer_id\":", stdout);
	out_json(stdout, v->customer_id);
	fputs(",\"name\":", stdout);
	out_json(stdout, v->name);
	fputs(",\"locale\":", stdout);
	out_json(stdout, v->locale);
	fputs(",\"timezone\":", stdout);
	out_json(stdout, v->timezone);
	fputs(",\"jurisdiction\":", stdout);
	out_json(stdout, v->jurisdiction);
	fputs(",\"phone\":", stdout);
	out_json(stdout, v->phone);
	fputs(",\"email\":", stdout);
	out_json(stdout, v->email);
	fputs(",\"segment\":", stdout);
	out_json(stdout, v->segment);
	fputs("},", stdout);
}

static int show_customer(void *arg, const struct customer_view *v)
{
	struct show_ctx *c = arg;

	if (c->json)
		print_customer_json(v);
	else
		print_customer_text(v);
	return 0;
}

static int show_service(void *arg, const struct service_view *v)
{
	struct show_ctx *c = arg;

	if (c->json) {
		fputs(c->found++ ? "," : "", stdout);
		fputs("{\"service_id\":", stdout);
		out_json(stdout, v->service_id);
		fputs(",\"kind\":", stdout);
		out_json(stdout, v->kind);
		fputs(",\"identifier\":", stdout);
		out_json(stdout, v->identifier);
		fputs(",\"adapter\":", stdout);
		out_json(stdout, v->adapter);
		fputs("}", stdout);
	} else {
		printf("%s %s %s (%s) via %s\n", c->found++ ? "          " : "Services  ",
		       v->kind, v->identifier, v->service_id, v->adapter);
	}
	return 0;
}

static void print_entry_time(const struct entry *e)
{
	char buf[INSTANT_TEXT_LEN + 1];

	if (e->day != POSITION_NO_DATE) {
		out_date(stdout, e->day);
		return;
	}
	instant_format(e->received_at, buf);
	fputs(buf, stdout);
}

static void show_position_text(struct show_ctx *c, const struct account_summary *a)
{
	const struct position *p = &c->pos;

	printf("Account    %s (%s)%s%s\n", a->account_id, a->currency,
	       a->stage[0] ? ", stage " : "", a->stage);
	fputs("Position   balance ", stdout);
	out_amount(stdout, p->balance, c->exponent);
	fputs(", overdue ", stdout);
	out_amount(stdout, p->overdue, c->exponent);
	if (p->oldest_unpaid_due_on != POSITION_NO_DATE) {
		fputs(" since ", stdout);
		out_date(stdout, p->oldest_unpaid_due_on);
		printf(" (%d days past due)", p->days_past_due);
	}
	fputs("\n           invoiced ", stdout);
	out_amount(stdout, p->invoiced, c->exponent);
	fputs(", paid ", stdout);
	out_amount(stdout, p->paid, c->exponent);
	fputs(", credited ", stdout);
	out_amount(stdout, p->credited, c->exponent);
	fputs("\n\nLedger\n", stdout);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];

		char amt[MONEY_FILE_FORM_MAX];

		money_format(e->amount, c->exponent, amt, sizeof(amt));
		fputs("  ", stdout);
		print_entry_time(e);
		/* dates are 10 wide, instants 20: keep the columns aligned */
		printf("%*s  %-11s %-22s %16s", e->day != POSITION_NO_DATE ? 10 : 0, "",
		       e->what, e->id, amt);
		if (e->due != POSITION_NO_DATE) {
			fputs("  due ", stdout);
			out_date(stdout, e->due);
		}
		if (e->ref)
			printf("  for %s", e->ref);
		fputc('\n', stdout);
	}
	if (c->n_entries == 0)
		puts("  (no entries)");
}

static void show_position_json(struct show_ctx *c, const struct account_summary *a)
{
	const struct position *p = &c->pos;

	fputs("\"account_id\":", stdout);
	out_json(stdout, a->account_id);
	fputs(",\"currency\":", stdout);
	out_json(stdout, a->currency);
	fputs(",\"stage\":", stdout);
	out_json(stdout, a->stage);
	fputs(",\"position\":{\"balance\":\"", stdout);
	out_amount(stdout, p->balance, c->exponent);
	fputs("\",\"overdue\":\"", stdout);
	out_amount(stdout, p->overdue, c->exponent);
	fputs("\",\"oldest_unpaid_due_on\":", stdout);
	if (p->oldest_unpaid_due_on == POSITION_NO_DATE) {
		fputs("null", stdout);
	} else {
		fputc('"', stdout);
		out_date(stdout, p->oldest_unpaid_due_on);
		fputc('"', stdout);
	}
	printf(",\"days_past_due\":%d,\"invoiced\":\"", p->days_past_due);
	out_amount(stdout, p->invoiced, c->exponent);
	fputs("\",\"paid\":\"", stdout);
	out_amount(stdout, p->paid, c->exponent);
	fputs("\",\"credited\":\"", stdout);
	out_amount(stdout, p->credited, c->exponent);
	fputs("\"},\"ledger\":[", stdout);
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct entry *e = &c->entries[i];

		fputs(i ? ",{\"type\":" : "{\"type\":", stdout);
		out_json(stdout, e->what);
		fputs(",\"id\":", stdout);
		out_json(stdout, e->id);
		fputs(e->day != POSITION_NO_DATE ? ",\"issued_on\":\"" : ",\"received_at\":\"",
		      stdout);
		print_entry_time(e);
		fputs("\",\"amount\":\"", stdout);
		out_amount(stdout, e->amount, c->exponent);
		fputc('"', stdout);
		if (e->due != POSITION_NO_DATE) {
			fputs(",\"due_on\":\"", stdout);
			out_date(stdout, e->due);
			fputc('"', stdout);
		}
		if (e->ref) {
			fputs(",\"invoice_id\":", stdout);
			out_json(stdout, e->ref);
		}
		fputc('}', stdout);
	}
	fputs("]", stdout);
}

/* One entry of the customer file: all of the customer's entries are shown,
 * whichever account they name, since the file is the customer's. */
static int show_file_entry(void *arg, const struct file_entry_view *e)
{
	struct show_ctx *c = arg;
	char at[INSTANT_TEXT_LEN + 1];

	instant_format(e->at, at);
	if (c->json) {
		printf("%s{\"seq\":%lld,\"at\":\"%s\",\"kind\":", c->found++ ? "," : "",
		       (long long)e->seq, at);
		out_json(stdout, e->kind);
		fputs(",\"author\":", stdout);
		out_json(stdout, e->author);
		fputs(",\"account_id\":", stdout);
		if (e->account_id[0])
			out_json(stdout, e->account_id);
		else
			fputs("null", stdout);
		fputs(",\"body\":", stdout);
		out_json(stdout, e->body);
		fputc('}', stdout);
		return 0;
	}
	c->found++;
	printf("  #%lld %s %s by %s%s%s\n", (long long)e->seq, at, e->kind, e->author,
	       e->account_id[0] ? ", account " : "", e->account_id);
	/* The body under its heading, every line indented alike. */
	for (const char *line = e->body; ; ) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		printf("     %.*s\n", len, line);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return 0;
}

/* One pending action: an outbox row not performed yet (pending, or claimed
 * by a worker performing it now), with when it is due and the rule that
 * decided it: the agent sees what will happen next, and why. */
static int show_pending_row(void *arg, const struct outbox_view *o)
{
	struct show_ctx *c = arg;
	char due[INSTANT_TEXT_LEN + 1];

	instant_format(o->due_at, due);
	if (c->json) {
		printf("%s{\"due_at\":\"%s\",\"channel\":", c->found++ ? "," : "", due);
		out_json(stdout, o->channel);
		fputs(",\"action\":", stdout);
		out_json(stdout, o->action);
		fputs(",\"rule\":", stdout);
		out_json(stdout, o->rule);
		printf(",\"policy_version\":%lld,\"state\":", (long long)o->policy_version);
		out_json(stdout, o->state);
		fputc('}', stdout);
		return 0;
	}
	c->found++;
	printf("  %s  %s %s (%s, policy v%lld)%s\n", due, o->channel, o->action, o->rule,
	       (long long)o->policy_version, strcmp(o->state, "claimed") == 0 ?
	       ", being performed" : "");
	return 0;
}

/* After the ledger: `"pending":[...]` or a "Pending actions" section. */
static int show_pending(struct show_ctx *c, int64_t account_key)
{
	int rc;

	c->found = 0;   /* counts rows from here on */
	fputs(c->json ? ",\"pending\":[" : "\nPending actions\n", stdout);
	rc = store_outbox_scan(c->store, account_key, STORE_OUTBOX_PENDING | STORE_OUTBOX_CLAIMED,
			       show_pending_row, c);
	if (c->json)
		fputc(']', stdout);
	else if (rc == STORE_OK && c->found == 0)
		puts("  (none)");
	return rc;
}

static int show_arrangement(void *arg, const struct arrangement_view *a)
{
	struct show_ctx *c = arg;

	return cmd_arrangement_print(a, c->json, c->found++ == 0);
}

/* Every arrangement of the account, live or past, with what it holds:
 * `"arrangements":[...]` or an "Arrangements" section. */
static int show_arrangements(struct show_ctx *c, int64_t account_key)
{
	int rc;

	c->found = 0;
	fputs(c->json ? ",\"arrangements\":[" : "\nArrangements\n", stdout);
	rc = store_arrangements_of_account(c->store, account_key, 0, show_arrangement, c);
	if (c->json)
		fputc(']', stdout);
	else if (rc == STORE_OK && c->found == 0)
		puts("  (none)");
	return rc;
}

/* The customer file after the ledger: `"file":[...]` or a "File" section. */
static int show_file(struct show_ctx *c, const char *customer_id)
{
	int rc;

	c->found = 0;   /* counts entries from here on */
	fputs(c->json ? ",\"file\":[" : "\nFile\n", stdout);
	rc = store_file_scan(c->store, customer_id, show_file_entry, c);
	if (c->json)
		fputc(']', stdout);
	else if (rc == STORE_OK && c->found == 0)
		puts("  (no entries)");
	return rc;
}

static int show_account(void *arg, const struct account_summary *a)
{
	struct show_ctx *c = arg;
	int rc;

	c->found = 1;
	money_currency_exponent(a->currency, &c->exponent);
	if ((c->status = cmd_position_at(c->cmd, c->store, a, &c->pos)) != 0)
		return -1;
	rc = store_ledger_scan(c->store, &a->account_key, 1, keep_entries, c);
	if (rc != STORE_OK)
		goto failed;
	if (c->json)
		fputc('{', stdout);
	if ((rc = store_customer_get(c->store, a->customer_id, show_customer, c)) != STORE_OK)
		goto failed;
	if (c->json)
		fputs("\"services\":[", stdout);
	c->found = 0;   /* counts services from here on */
	if ((rc = store_services_scan(c->store, a->account_key, show_service, c)) != STORE_OK)
		goto failed;
	if (c->json) {
		fputs("],", stdout);
		show_position_json(c, a);
	} else {
		if (c->found == 0)
			puts("Services   (none)");
		show_position_text(c, a);
	}
	if ((rc = show_arrangements(c, a->account_key)) != STORE_OK ||
	    (rc = show_pending(c, a->account_key)) != STORE_OK ||
	    (rc = show_file(c, a->customer_id)) != STORE_OK)
		goto failed;
	if (c->json)
		fputs("}\n", stdout);
	c->found = 1;
	return 0;
failed:
	c->status = cmd_fail(rc == STORE_ERR_DB ? EXIT_RUNTIME : EXIT_USAGE, "%s",
			     store_errmsg(c->store));
	return -1;
}

int cmd_account_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct show_ctx c = { .cmd = ctx };
	const char *id = NULL;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
		else if (id == NULL)
			id = argv[i];
		else
			return cmd_fail(EXIT_USAGE, "usage: relance account show ID [--json]");
	}
	if (id == NULL)
		return cmd_fail(EXIT_USAGE, "usage: relance account show ID [--json]");
	if ((rc = cmd_open_store(ctx, &c.store)) != 0)
		return rc;
	rc = store_accounts_scan(c.store, id, show_account, &c);
	if (rc != STORE_OK && c.status == 0)
		c.status = cmd_fail(EXIT_RUNTIME, "%s", store_errmsg(c.store));
	else if (!c.found && c.status == 0)
		c.status = cmd_fail(EXIT_USAGE, "no account %s", id);
	for (size_t i = 0; i < c.n_entries; i++) {
		free(c.entries[i].id);
		free(c.entries[i].ref);
	}
	free(c.entries);
	position_release(&c.pos);
	store_close(c.store);
	return c.status;
}
