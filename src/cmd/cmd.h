/*
 * cmd — what every command receives, and the helpers they share.
 *
 * main.c parses the global options (--db, --now, --config, --help) wherever
 * they appear, then calls the command's function with the remaining
 * arguments. Commands return an exit status: 0 success, 1 run-time failure,
 * 2 bad usage or bad input (SPEC.md "Command line").
 */
#ifndef RELANCE_CMD_H
#define RELANCE_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct cmd_ctx {
	const char *db_url;     /* --db, $RELANCE_DB, or "relance.db" */
	const char *config;     /* --config, $RELANCE_CONFIG, or NULL */
	int64_t now;            /* --now, $RELANCE_NOW, or the system clock */
	int now_given;          /* whether now came from --now or RELANCE_NOW */
	const char *prog;       /* "relance" */
};

struct cmd {
	const char *name;       /* "import", "export positions" */
	int (*run)(struct cmd_ctx *ctx, int argc, char **argv);
	const char *usage;      /* one line of arguments */
	const char *help;       /* paragraph printed by --help */
};

/*
 * Opens the database for a command and checks its schema. Prints one line
 * "relance: URL: reason" on failure and returns the exit status to use
 * (EXIT_USAGE for a bad URL or a schema to create or upgrade, EXIT_RUNTIME
 * for an unreachable server); 0 on success.
 */
int cmd_open_store(struct cmd_ctx *ctx, struct store **out);

/* The author of the entries relance itself writes on customer files. */
#define CMD_AUTHOR "relance"

/*
 * Where commands write: NULL means stdout and stderr. `relance serve` points
 * them at buffers of its own while it runs a command for an API request
 * (one request at a time), so the command's answer and its refusals reach
 * the client instead of the terminal. Only the commands that serve runs
 * write through cmd_out (src/cmd/arrange.c); cmd_fail always uses cmd_err.
 */
extern __thread FILE *cmd_out, *cmd_err;

/* Prints "relance: " + message + newline on stderr (or cmd_err). Returns `status`. */
int cmd_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * An option "--name V" or "--name=V" at argv[*i]: returns 1 with *value set
 * (and *i on the value's index), 0 when argv[*i] is another argument, -1 when
 * the value is missing.
 */
int cmd_option(int argc, char **argv, int *i, const char *name, const char **value);
/*
 * The arguments of a report over a period, `--since DATE [--days N]
 * [--json]` (report contacts, report calls): *day the date, *days N or the
 * operations file's contacts.attribution_days, *json. 0, or an exit status
 * after printing what is wrong, prefixed with `name`.
 */
int cmd_report_period(struct cmd_ctx *ctx, const char *name, int argc, char **argv,
		      int32_t *day, int *days, int *json);

/* Whether argv holds --json (and removes nothing). */
int cmd_flag(int argc, char **argv, const char *flag);

/*
 * A command's options as a table over its arguments struct: "--name V" or
 * "--name=V" stores V (a const char *, pointing into argv) at offset `off`;
 * a switch ("--name" alone) stores 1 in the int at `off`.
 */
struct cmd_arg_opt {
	const char *name;
	size_t off;
	int is_switch;
};
/*
 * Matches argv[*i] against opts[0..n) and stores what it gives into `args`:
 * returns 1 when it is one of them (*i on the last argument used), 0 when it
 * is none, -1 after printing "--name needs a value" when the value is missing.
 */
int cmd_arg_match(int argc, char **argv, int *i, const struct cmd_arg_opt *opts, size_t n,
		  void *args);
/*
 * cmd_arg_match for a command that takes options only: 0 when argv[*i] is
 * one of opts, else EXIT_USAGE after printing why ("--name needs a value",
 * or "unexpected 'X'; usage: " and usage).
 */
int cmd_arg_take(int argc, char **argv, int *i, const struct cmd_arg_opt *opts, size_t n,
		 void *args, const char *usage);
/*
 * A whole number from min to max (decimal, as strtol reads it, the whole of
 * text) into *out: 0, or -1 leaving *out as it was.
 */
int cmd_number(const char *text, long min, long max, long *out);

/*
 * Prints the store's last error (store_errmsg) and returns the exit status
 * for store code rc: EXIT_RUNTIME when the database or memory failed,
 * EXIT_USAGE for what the store refused (bad input, a conflict, no schema).
 */
int cmd_store_fail(struct store *s, int rc);

struct account_summary;
struct position;
/*
 * The position of a listed account at `now`: from its snapshot when every
 * entry is in effect by then (no ledger read), else computed from its
 * ledger. *out owns its open items (position_release). Returns 0, or an
 * exit status after printing why.
 */
int cmd_position_at(struct cmd_ctx *ctx, struct store *store,
		    const struct account_summary *a, struct position *out);

/* What an import did (import_stream). */
struct import_result {
	int64_t total, inserted, same, updated, errors;
	int64_t *touched;        /* account keys given new ledger entries; malloc'ed */
	size_t n_touched;
};
/*
 * Imports the CSV text on `fd` as `relance import KIND` does (all or
 * nothing, one transaction on `store`), naming it `file` in messages; each
 * bad row's "FILE:LINE: what" line and the summary line go to `errout`
 * (NULL: stderr). Returns an exit status; res->touched is the caller's.
 */
int import_stream(struct cmd_ctx *ctx, struct store *store, const char *kind, const char *file,
		  int fd, FILE *errout, struct import_result *res);

int cmd_init(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_run(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_import(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_export_positions(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_account_show(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_summary(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_generate(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_note_add(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_note_correct(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_verify(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_policy_check(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_policy_load(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_policy_show(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_policy_list(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_report_contacts(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_report_calls(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_reconcile(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_report_dashboard(struct cmd_ctx *ctx, int argc, char **argv);
struct arrangement_view;
/* Prints an arrangement for `account show`: an indented text block, or a
 * JSON object preceded by a comma unless `first`. Returns a store code. */
int cmd_arrangement_print(const struct arrangement_view *a, int json, int first);
int cmd_promise_add(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_promise_list(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_plan_propose(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_plan_accept(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_plan_show(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_dispute_open(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_dispute_review(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_dispute_resolve(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_handoff_recall(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_handoff_export(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_invoice_postpone(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_serve(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_user_add(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_user_passwd(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_user_disable(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_token_add(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_token_revoke(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_queue_list(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_queue_take(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_queue_release(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_queue_close(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_contact_flag(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_voice_call(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_voice_prompt(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_voice_say(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_provision_radius(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_provision_webhook(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_provision_genieacs(struct cmd_ctx *ctx, int argc, char **argv);
struct dynbuf;
struct task_view;
/* Appends task t as the JSON object the command line and the API show
 * (docs/queues.md). queue.c. */
void queue_task_json(struct dynbuf *b, const struct task_view *t);
/*
 * A task for the agents' work queues (dispatch.c): the entry `text` of
 * `kind` on the customer's file by `author`, and an "enqueue" row for
 * queue `queue` at `priority` (1 .. 9), keyed `key` so that the same cause
 * makes one task whatever repeats. Inside the caller's transaction.
 * Returns a store code.
 */
struct queue_task_new {
	const char *customer, *account;
	int64_t account_key;
	const char *kind, *text;        /* the file entry */
	const char *queue;
	int priority;
	const char *key, *rule, *author;
	int64_t policy_version, now;
};
int queue_task_put(struct store *s, const struct queue_task_new *t);
/*
 * A contact found bad (dispatch.c): the entry `text` on the customer's file
 * by `author`, and the "fix contact details" task (queue "contact-fix",
 * priority 2), one per contact value whatever repeats. Inside the caller's
 * transaction. Returns a store code.
 */
int contact_fix_task(struct store *s, const char *customer, const char *account,
		     int64_t account_key, const char *kind, const char *value, const char *text,
		     const char *author, int64_t policy_version, int64_t now);

#endif
