/*
 * users — who may use `relance serve` (docs/roles.md):
 *
 *   relance user add NAME --role agent|supervisor|manager|administrator --password-stdin
 *   relance user add NAME --customer CUSTOMER_ID
 *   relance user add NAME --api
 *   relance user passwd NAME --password-stdin
 *   relance user disable NAME
 *   relance token add USER --scopes "SCOPE ..."
 *   relance token revoke KEY
 *
 * Passwords come from standard input only, one line: on a command line they
 * would show in `ps`, in shell history and in audit logs. They are hashed
 * (argon2id, src/core/auth.h) as soon as read and the text is wiped. A new
 * token is printed once on standard output, alone on its line so that a
 * script can capture it, and only its hash is stored: lost, it is revoked
 * and replaced, never shown again. No message of this file quotes a
 * password or a token, not even a rejected one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../core/auth.h"
#include "../core/csvin.h"
#include "../store/store.h"
#include "cmd.h"

struct user_args {
	const char *name;               /* the one positional argument */
	const char *role, *customer, *scopes;
	int api, password_stdin;
};

/* The options a command takes (parse_args' `allowed`). */
enum {
	OPT_ROLE = 1,
	OPT_CUSTOMER = 2,
	OPT_API = 4,
	OPT_PASSWORD_STDIN = 8,
	OPT_SCOPES = 16,
};

/* Parses NAME and the options of `allowed`. Returns 0 or an exit status
 * after saying why. */
static int parse_args(int argc, char **argv, unsigned allowed, struct user_args *a,
		      const char *usage)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		int r = 0;

		/* Refused by name, and the value never repeated back. */
		if (strcmp(arg, "--password") == 0 || strncmp(arg, "--password=", 11) == 0)
			return cmd_fail(EXIT_USAGE, "passwords are never given on the command line "
					"(they would show in ps and in shell history): use "
					"--password-stdin and write it on standard input");
		if (allowed & OPT_ROLE)
			r = cmd_option(argc, argv, &i, "--role", &a->role);
		if (r == 0 && (allowed & OPT_CUSTOMER))
			r = cmd_option(argc, argv, &i, "--customer", &a->customer);
		if (r == 0 && (allowed & OPT_SCOPES))
			r = cmd_option(argc, argv, &i, "--scopes", &a->scopes);
		if (r == 0 && (allowed & OPT_API) && strcmp(arg, "--api") == 0)
			r = a->api = 1;
		if (r == 0 && (allowed & OPT_PASSWORD_STDIN) && strcmp(arg, "--password-stdin") == 0)
			r = a->password_stdin = 1;
		if (r < 0)
			return cmd_fail(EXIT_USAGE, "%s needs a value", arg);
		if (r > 0)
			continue;
		if (arg[0] == '-' && arg[1] == '-')
			return cmd_fail(EXIT_USAGE, "unknown option %.*s; usage: %s",
					(int)strcspn(arg, "="), arg, usage);
		if (a->name != NULL)
			return cmd_fail(EXIT_USAGE, "usage: %s", usage);
		a->name = arg;
	}
	if (a->name == NULL)
		return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	if (!csvin_utf8_valid(a->name, strlen(a->name)))
		return cmd_fail(EXIT_USAGE, "the name is not valid UTF-8");
	return 0;
}

static int is_staff_role(const char *role)
{
	static const char *const roles[] = { "agent", "supervisor", "manager", "administrator" };

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return 1;
	return 0;
}

static int store_status(struct store *s, int rc)
{
	return cmd_fail(rc == STORE_ERR_INPUT ? EXIT_USAGE : EXIT_RUNTIME, "%s", store_errmsg(s));
}

static int keep_kind(void *ctx, const struct user_view *u)
{
	snprintf(ctx, 16, "%s", u->kind);
	return STORE_OK;
}

/*
 * The kind of user `name` into kind[16], "" when there is none. Asked
 * before a password is read, so that nobody types one for nothing; the
 * store checks again when it writes.
 */
static int user_kind(struct store *s, const char *name, char kind[16])
{
	int rc = store_user_get(s, name, keep_kind, kind);

	if (rc != STORE_OK)
		kind[0] = '\0';
	if (rc == STORE_OK || rc == STORE_ERR_INPUT)
		return 0;
	return store_status(s, rc);
}

/* ---- passwords ------------------------------------------------------------------------ */

/*
 * Reads one line from standard input into pw (size AUTH_PASSWORD_MAX + 3:
 * the longest password, "\r\n" and the NUL) without its line end. On a
 * terminal it asks on standard error and does not echo. Returns 0 or an
 * exit status; pw is wiped on failure.
 */
static int read_password(char *pw, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *got;
	size_t len;
	int status = 0;

	/* Unbuffered: stdio would otherwise keep a copy of the password in
	 * its own buffer, which nothing wipes. A line is read a byte at a
	 * time, which costs nothing at this size. */
	setvbuf(stdin, NULL, _IONBF, 0);
	if (tty) {
		fputs("password: ", stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	got = fgets(pw, (int)size, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (got == NULL) {
		status = ferror(stdin) ? cmd_fail(EXIT_RUNTIME, "reading standard input: %s",
						  strerror(errno)) :
			 cmd_fail(EXIT_USAGE, "no password on standard input");
		goto out;
	}
	len = strlen(pw);
	/* No line end in a full buffer: the line goes on beyond any
	 * password we take. */
	if (len == size - 1 && pw[len - 1] != '\n') {
		status = cmd_fail(EXIT_USAGE, "%s", auth_strerror(AUTH_ERR_LONG));
		goto out;
	}
	if (len > 0 && pw[len - 1] == '\n')
		pw[--len] = '\0';
	if (len > 0 && pw[len - 1] == '\r')
		pw[--len] = '\0';
	if (auth_password_check(pw) != AUTH_OK)
		status = cmd_fail(EXIT_USAGE, "%s", auth_strerror(auth_password_check(pw)));
out:
	if (status != 0)
		sodium_memzero(pw, size);
	return status;
}

/* Reads a password from standard input and hashes it into hash. */
static int password_from_stdin(char hash[AUTH_HASH_STRBYTES])
{
	char pw[AUTH_PASSWORD_MAX + 3];
	int status, rc;

	if (auth_init() != AUTH_OK)
		return cmd_fail(EXIT_RUNTIME, "%s", auth_strerror(AUTH_ERR_INIT));
	if ((status = read_password(pw, sizeof(pw))) != 0)
		return status;
	rc = auth_password_hash(pw, hash);
	sodium_memzero(pw, sizeof(pw));
	if (rc != AUTH_OK)
		return cmd_fail(rc == AUTH_ERR_HASH || rc == AUTH_ERR_INIT ? EXIT_RUNTIME :
				EXIT_USAGE, "%s", auth_strerror(rc));
	return 0;
}

/* ---- user add, passwd, disable ---------------------------------------------------------- */

int cmd_user_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"relance user add NAME (--role agent|supervisor|manager|administrator "
		"--password-stdin | --customer CUSTOMER_ID | --api)";
	struct user_args a;
	struct store *s = NULL;
	char hash[AUTH_HASH_STRBYTES] = "", found[16];
	const char *kind, *role;
	int status, rc;

	status = parse_args(argc, argv, OPT_ROLE | OPT_CUSTOMER | OPT_API | OPT_PASSWORD_STDIN,
			    &a, usage);
	if (status != 0)
		return status;
	if ((a.role != NULL) + (a.customer != NULL) + a.api != 1)
		return cmd_fail(EXIT_USAGE, "one of --role, --customer or --api; usage: %s", usage);
	if (a.role != NULL) {
		/* store.c checks it too; here it is refused before the
		 * password is asked for. */
		if (!is_staff_role(a.role))
			return cmd_fail(EXIT_USAGE, "unknown role '%s' (agent, supervisor, manager "
					"or administrator)", a.role);
		if (!a.password_stdin)
			return cmd_fail(EXIT_USAGE, "a staff user needs a password: use "
					"--password-stdin and write it on standard input");
		kind = "staff";
		role = a.role;
	} else {
		if (a.password_stdin)
			return cmd_fail(EXIT_USAGE, "%s users have no password (%s)",
					a.api ? "API" : "customer",
					a.api ? "they use tokens: relance token add" :
					"they sign in with one-time codes");
		kind = role = a.api ? "api" : "customer";
	}
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if ((status = user_kind(s, a.name, found)) != 0)
		goto out;
	if (found[0] != '\0') {
		status = cmd_fail(EXIT_USAGE, "user %s exists", a.name);
		goto out;
	}
	if (a.password_stdin && (status = password_from_stdin(hash)) != 0)
		goto out;
	rc = store_user_add(s, a.name, kind, role, a.customer, hash, ctx->now);
	if (rc != STORE_OK) {
		status = store_status(s, rc);
		goto out;
	}
	if (a.customer != NULL)
		printf("user %s added: customer %s\n", a.name, a.customer);
	else
		printf("user %s added: %s%s%s\n", a.name, kind,
		       strcmp(kind, "staff") == 0 ? ", " : "",
		       strcmp(kind, "staff") == 0 ? role : "");
out:
	sodium_memzero(hash, sizeof(hash));
	store_close(s);
	return status;
}

int cmd_user_passwd(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance user passwd NAME --password-stdin";
	struct user_args a;
	struct store *s = NULL;
	char hash[AUTH_HASH_STRBYTES] = "", found[16];
	int status, rc;

	if ((status = parse_args(argc, argv, OPT_PASSWORD_STDIN, &a, usage)) != 0)
		return status;
	if (!a.password_stdin)
		return cmd_fail(EXIT_USAGE, "the new password comes on standard input: "
				"use --password-stdin");
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if ((status = user_kind(s, a.name, found)) != 0)
		goto out;
	if (found[0] == '\0' || strcmp(found, "staff") != 0) {
		status = cmd_fail(EXIT_USAGE, found[0] == '\0' ? "no user %s" :
				  "user %s has no password: only staff users have one", a.name);
		goto out;
	}
	if ((status = password_from_stdin(hash)) != 0)
		goto out;
	if ((rc = store_user_set_password(s, a.name, hash)) != STORE_OK) {
		status = store_status(s, rc);
		goto out;
	}
	printf("user %s: password changed\n", a.name);
out:
	sodium_memzero(hash, sizeof(hash));
	store_close(s);
	return status;
}

int cmd_user_disable(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance user disable NAME";
	struct user_args a;
	struct store *s = NULL;
	int status, rc;

	if ((status = parse_args(argc, argv, 0, &a, usage)) != 0)
		return status;
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if ((rc = store_user_disable(s, a.name, ctx->now)) != STORE_OK)
		status = store_status(s, rc);
	else
		printf("user %s disabled, and every token of theirs\n", a.name);
	store_close(s);
	return status;
}

/* ---- tokens ------------------------------------------------------------------------------ */

int cmd_token_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance token add USER --scopes \"SCOPE ...\"";
	struct user_args a;
	struct store *s = NULL;
	char token[AUTH_TOKEN_SIZE] = "", scopes[sizeof(AUTH_SCOPES)], bad[64];
	unsigned char hash[AUTH_TOKEN_HASH_BYTES];
	int64_t key = 0;
	int status, rc;

	if ((status = parse_args(argc, argv, OPT_SCOPES, &a, usage)) != 0)
		return status;
	if (a.scopes == NULL)
		return cmd_fail(EXIT_USAGE, "--scopes is required; usage: %s", usage);
	if (auth_scopes_check(a.scopes, scopes, sizeof(scopes), bad, sizeof(bad)) != AUTH_OK) {
		if (bad[0] == '\0')
			return cmd_fail(EXIT_USAGE, "no scope given (scopes: %s)", AUTH_SCOPES);
		return cmd_fail(EXIT_USAGE, "scope '%s' is unknown or repeated (scopes: %s)", bad,
				AUTH_SCOPES);
	}
	if (auth_init() != AUTH_OK)
		return cmd_fail(EXIT_RUNTIME, "%s", auth_strerror(AUTH_ERR_INIT));
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if (auth_token_new(token, sizeof(token)) != AUTH_OK ||
	    auth_token_hash(token, hash) != AUTH_OK) {
		status = cmd_fail(EXIT_RUNTIME, "%s", auth_strerror(AUTH_ERR_INIT));
		goto out;
	}
	if ((rc = store_token_add(s, a.name, hash, scopes, ctx->now, &key)) != STORE_OK) {
		status = store_status(s, rc);
		goto out;
	}
	/* Stored first, printed after: a token that is shown works. */
	printf("%s\n", token);
	fprintf(stderr, "token %lld for %s (%s): shown this once, keep it now\n",
		(long long)key, a.name, scopes);
out:
	sodium_memzero(token, sizeof(token));
	store_close(s);
	return status;
}

int cmd_token_revoke(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "relance token revoke KEY";
	struct store *s = NULL;
	char *end = NULL;
	long long key;
	int status, rc;

	if (argc != 1 || argv[0][0] == '-')
		return cmd_fail(EXIT_USAGE, "usage: %s", usage);
	errno = 0;
	key = strtoll(argv[0], &end, 10);
	if (errno != 0 || end == argv[0] || *end != '\0' || key < 1)
		return cmd_fail(EXIT_USAGE, "KEY '%s' is not a token number (the one `relance "
				"token add` gave)", argv[0]);
	if ((status = cmd_open_store(ctx, &s)) != 0)
		return status;
	if ((rc = store_token_revoke(s, key, ctx->now)) != STORE_OK)
		status = store_status(s, rc);
	else
		printf("token %lld revoked\n", key);
	store_close(s);
	return status;
}
