/*
 * file — the customer file from the command line:
 *   relance note add ACCOUNT --author NAME --text TEXT
 *   relance note correct ACCOUNT SEQ --author NAME --text TEXT
 *   relance verify
 *
 * Notes go on the file of the account's customer, so that every agent of
 * every department reads the same file (SPEC.md situation 5). Nothing here
 * edits or removes an entry: a correction is a new entry naming the one it
 * corrects, and the original stays. docs/customer-file.md has the format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/csvin.h"
#include "../core/custfile.h"
#include "../store/store.h"
#include "cmd.h"

/* A note longer than this is a document, not a note: refused (exit 2). */
#define FILE_TEXT_MAX (64 * 1024)

struct note_args {
	const char *account_id, *author, *text, *seq;
	char *owned_text;   /* --text -: read from standard input */
};

/* Reads standard input whole, up to FILE_TEXT_MAX bytes, dropping the final
 * newlines that `echo` and editors add. Returns 0 or an exit status. */
static int read_stdin(char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *np;
	int status = 0;

	*out = NULL;
	if (buf == NULL)
		return cmd_fail(EXIT_RUNTIME, "out of memory");
	for (;;) {
		size_t n;

		if (len + 1 >= cap) {
			if (cap > FILE_TEXT_MAX) {
				status = cmd_fail(EXIT_USAGE, "--text -: more than %d bytes",
						  FILE_TEXT_MAX);
				goto out;
			}
			if ((np = realloc(buf, cap * 2)) == NULL) {
				status = cmd_fail(EXIT_RUNTIME, "out of memory");
				goto out;
			}
			buf = np;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - 1 - len, stdin);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(stdin)) {
		status = cmd_fail(EXIT_RUNTIME, "reading standard input: %s", strerror(errno));
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		status = cmd_fail(EXIT_USAGE, "--text -: the text holds a NUL byte");
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	free(buf);
	return status;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* Author: one line of text. Text: any UTF-8 of reasonable length. */
static int check_field(const char *what, const char *v, int one_line)
{
	size_t len = strlen(v);

	if (is_blank(v))
		return cmd_fail(EXIT_USAGE, "%s is empty", what);
	if (len > FILE_TEXT_MAX)
		return cmd_fail(EXIT_USAGE, "%s: more than %d bytes", what, FILE_TEXT_MAX);
	if (!csvin_utf8_valid(v, len))
		return cmd_fail(EXIT_USAGE, "%s is not valid UTF-8", what);
	for (size_t i = 0; one_line && i < len; i++)
		if ((unsigned char)v[i] < 0x20)
			return cmd_fail(EXIT_USAGE, "%s must be one line of text", what);
	return 0;
}

/* Parses ACCOUNT [SEQ] --author NAME --text TEXT; want_seq for `correct`. */
static int parse_note(int argc, char **argv, int want_seq, struct note_args *a,
		      const char *usage)
{
	int status;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		int r = cmd_option(argc, argv, &i, "--author", &a->author);

		if (r == 0)
			r = cmd_option(argc, argv, &i, "--text", &a->text);
		if (r < 0)
			return cmd_fail(EXIT_USAGE, "%s needs a value", argv[i]);
		if (r > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return cmd_fail(EXIT_USAGE, "unknown option %s; usage: %s", argv[i], usage);
		if (a->account_id == NULL)
			a->account_id = argv[i];
		else if (want_seq && a->seq == NULL)
			a->seq = argv[i];
		else
			return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	}
	if (a->account_id == NULL || a->author == NULL || a->text == NULL ||
	    (want_seq && a->seq == NULL))
		return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	if (strcmp(a->text, "-") == 0) {
		if ((status = read_stdin(&a->owned_text)) != 0)
			return status;
		a->text = a->owned_text;
	}
	if ((status = check_field("--author", a->author, 1)) != 0 ||
	    (status = check_field("--text", a->text, 0)) != 0)
		return status;
	return 0;
}

/* ---- finding the account's customer and an entry ------------------------- */

struct owner {
	char *customer_id;   /* NULL: no such account */
};

static int keep_owner(void *arg, const struct account_summary *a)
{
	struct owner *o = arg;

	if ((o->customer_id = strdup(a->customer_id)) == NULL)
		return STORE_ERR_NOMEM;
	return STORE_STOP;
}

struct seek {
	int64_t seq;
	int found;
};

static int seek_entry(void *arg, const struct file_entry_view *e)
{
	struct seek *k = arg;

	if (e->seq != k->seq)
		return 0;
	k->found = 1;
	return STORE_STOP;
}

static int store_status(struct store *s, int rc)
{
	return cmd_fail(rc == STORE_ERR_INPUT ? EXIT_USAGE : EXIT_RUNTIME, "%s", store_errmsg(s));
}

/*
 * Appends a note (seq == 0) or a correction of entry `seq` to the file of
 * the account's customer, and prints what it wrote.
 */
static int append_note(struct cmd_ctx *ctx, const struct note_args *a, int64_t seq)
{
	struct store *s = NULL;
	struct owner o = { NULL };
	char *body = NULL;
	const char *kind = CUSTFILE_NOTE;
	int64_t written = 0;
	int rc, status;

	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	rc = store_accounts_scan(s, a->account_id, keep_owner, &o);
	if (rc != STORE_OK && rc != STORE_STOP) {
		status = store_status(s, rc);
		goto out;
	}
	if (o.customer_id == NULL) {
		status = cmd_fail(EXIT_USAGE, "no account %s", a->account_id);
		goto out;
	}
	if (seq > 0) {
		struct seek k = { seq, 0 };
		size_t size = strlen(a->text) + 64;

		rc = store_file_scan(s, o.customer_id, seek_entry, &k);
		if (rc != STORE_OK && rc != STORE_STOP) {
			status = store_status(s, rc);
			goto out;
		}
		if (!k.found) {
			status = cmd_fail(EXIT_USAGE, "the file of customer %s has no entry %lld",
					  o.customer_id, (long long)seq);
			goto out;
		}
		if ((body = malloc(size)) == NULL) {
			status = cmd_fail(EXIT_RUNTIME, "out of memory");
			goto out;
		}
		/* The reference leads the body, where a reader and a program
		 * both find it: "corrects entry N: ...". */
		snprintf(body, size, "corrects entry %lld: %s", (long long)seq, a->text);
		kind = CUSTFILE_CORRECTION;
	}
	if ((rc = store_begin(s)) != STORE_OK ||
	    (rc = store_file_append(s, o.customer_id, a->account_id, ctx->now, kind, a->author,
				    body ? body : a->text, &written)) != STORE_OK ||
	    (rc = store_commit(s)) != STORE_OK) {
		status = store_status(s, rc);
		store_rollback(s);
		goto out;
	}
	printf("customer %s: entry %lld (%s)\n", o.customer_id, (long long)written, kind);
out:
	free(body);
	free(o.customer_id);
	store_close(s);
	return status;
}

int cmd_note_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance note add ACCOUNT --author NAME --text TEXT|-";
	struct note_args a;
	int status = parse_note(argc, argv, 0, &a, usage);

	if (status == 0)
		status = append_note(ctx, &a, 0);
	free(a.owned_text);
	return status;
}

int cmd_note_correct(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance note correct ACCOUNT SEQ --author NAME --text TEXT|-";
	struct note_args a;
	int status = parse_note(argc, argv, 1, &a, usage);
	char *end = NULL;
	long long seq = 0;

	if (status == 0) {
		errno = 0;
		seq = strtoll(a.seq, &end, 10);
		if (errno != 0 || end == a.seq || *end != '\0' || seq < 1)
			status = cmd_fail(EXIT_USAGE, "SEQ '%s' is not an entry number", a.seq);
	}
	if (status == 0)
		status = append_note(ctx, &a, seq);
	free(a.owned_text);
	return status;
}

/* ---- verify ------------------------------------------------------------------ */

struct verify {
	char *customer;       /* the chain being read; NULL before the first */
	struct custfile_check check;
	int64_t customers, entries, broken;
};

/* Reports the chain just finished, if it is broken. */
static void verify_close(struct verify *v)
{
	if (v->customer == NULL || v->check.fault == CUSTFILE_INTACT)
		return;
	v->broken++;
	printf("customer %s: entry %lld %s\n", v->customer, (long long)v->check.fault_seq,
	       custfile_fault_name(v->check.fault));
}

static int verify_entry(void *arg, const struct file_entry_view *e)
{
	struct verify *v = arg;
	struct custfile_entry ce = {
		e->customer_id, e->seq, e->at, e->account_id, e->kind, e->author, e->body
	};

	/* Entries come by customer, so a new id starts a new chain. */
	if (v->customer == NULL || strcmp(v->customer, e->customer_id) != 0) {
		verify_close(v);
		free(v->customer);
		if ((v->customer = strdup(e->customer_id)) == NULL)
			return STORE_ERR_NOMEM;
		custfile_check_init(&v->check);
		v->customers++;
	}
	v->entries++;
	custfile_check_next(&v->check, &ce, e->prev_hash, e->prev_hash_len, e->hash, e->hash_len);
	return 0;
}

int cmd_verify(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct verify v;
	struct store *s = NULL;
	int rc, status;

	(void)argv;
	if (argc > 0)
		return cmd_fail(EXIT_USAGE, "usage: relance verify");
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	memset(&v, 0, sizeof(v));
	rc = store_file_scan(s, NULL, verify_entry, &v);
	if (rc != STORE_OK) {
		status = store_status(s, rc);
		goto out;
	}
	verify_close(&v);
	printf("%lld customer%s, %lld entr%s: ", (long long)v.customers,
	       v.customers == 1 ? "" : "s", (long long)v.entries, v.entries == 1 ? "y" : "ies");
	if (v.broken == 0) {
		puts("every chain intact");
	} else {
		printf("%lld chain%s broken\n", (long long)v.broken, v.broken == 1 ? "" : "s");
		status = EXIT_RUNTIME;
	}
out:
	free(v.customer);
	store_close(s);
	return status;
}
