/*
 * serve_portal — the customers' portal (docs/portal.md): a customer signs
 * in with a one-time code sent by SMS or e-mail, then sees the balance,
 * invoices, payments and credit notes of their own accounts and the stage
 * of each in plain words, asks for a payment plan within the policy's
 * `plans.customer`, promises a date, reports a payment already made or
 * contests an amount.
 *
 * Who. A portal user is a user of kind "customer" tied to one customer_id
 * (`relance user add NAME --customer ID`). They ask for a code with their
 * user name and the channel (sms: the customer's phone, email: the e-mail
 * address on record, unless flagged bad). The answer is the same whether
 * the name exists or not, and takes as long (send_code says how). A right
 * code opens a session of role "customer" whose only scope is "portal";
 * serve_auth.c lets nobody else through a "portal" route, and every route
 * here checks that the account is one of that customer's (serve_account
 * answers 404 for any other).
 *
 * Codes. 6 digits from libsodium's randomness, valid CODE_SECONDS, one live
 * code per user (a new one replaces it), used once. Only a BLAKE2b hash of
 * user and code is kept, keyed by a random salt of its own, in the
 * database (store.h "serve state"): a code asked on one node works on any
 * other, once, and a restart keeps it. Wrong codes count as failed
 * sign-ins of the name (serve_attempt_allowed: 5 per 15 minutes, then 429).
 * The code travels as an outbox row (action "code", sent by the next cycle
 * through the configured SMS or e-mail peer, or the recording adapter);
 * serve never writes it to its log.
 *
 * Changes go through the commands of the command line (serve_run_command),
 * so the portal refuses exactly what they refuse; the author on the
 * customer file is the portal user. Of the arrangements they answer with,
 * and of those listed, the customer sees only what is theirs to know
 * (arrangement_for): never the name of someone on the staff.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/auth.h"
#include "../core/caltime.h"
#include "../core/casestate.h"
#include "../core/dynbuf.h"
#include "../core/engine.h"
#include "../core/policy.h"
#include "../core/position.h"
#include "../store/store.h"
#include "cmd.h"
#include "holds.h"
#include "serve.h"

#define CODE_SECONDS 600        /* a code is valid 10 minutes */
#define CODE_RESEND_SECONDS 30  /* a new code at most this often per user */
#define TEXT_MAX 2000           /* a note or a reason from the customer, in bytes */

/* ---- the customer's language ----------------------------------------------------------- */

enum lang { LANG_EN, LANG_FR, LANG_PT, LANG_UK, LANG_N };

/* "fr-BI" → fr, "pt-BR" → pt, "uk-UA" → uk; anything else: English. */
static enum lang lang_of(const char *locale)
{
	static const char *const codes[LANG_N] = { "en", "fr", "pt", "uk" };

	for (int i = 0; i < LANG_N; i++)
		if (locale && strncmp(locale, codes[i], 2) == 0 &&
		    (locale[2] == '\0' || locale[2] == '-' || locale[2] == '_'))
			return (enum lang)i;
	return LANG_EN;
}

/* The code message: what comes before the code and what after. */
static const char *const code_text[LANG_N][2] = {
	{ "Your sign-in code: ", ". It is valid for 10 minutes. Never give it to anyone, not "
	  "even to us." },
	{ "Votre code de connexion : ", ". Il est valable 10 minutes. Ne le donnez à personne, "
	  "pas même à nous." },
	{ "Seu código de acesso: ", ". Válido por 10 minutos. Não o passe a ninguém, nem a nós." },
	{ "Ваш код для входу: ", ". Дійсний 10 хвилин. Нікому його не повідомляйте, навіть нам." },
};
static const char *const code_subject[LANG_N] = {
	"Your sign-in code", "Votre code de connexion", "Seu código de acesso",
	"Ваш код для входу",
};

/*
 * Where an account stands, in words a customer understands: from the
 * position, the case and the live arrangements, never the policy's own
 * stage or rule names (an operator's vocabulary). First match wins.
 */
enum stage_word {
	ST_HANDED_OFF, ST_SUSPENDED, ST_DISPUTED, ST_PLAN, ST_PROMISED, ST_NOTICE, ST_REMINDERS,
	ST_OVERDUE, ST_NOT_DUE, ST_UP_TO_DATE, ST_N
};
static const char *const stage_code[ST_N] = {
	"handed_off", "suspended", "disputed", "plan", "promised", "notice", "reminders",
	"overdue", "not_due", "up_to_date",
};
static const char *const stage_text[ST_N][LANG_N] = {
	{ "Passed to an outside agency", "Confié à un organisme extérieur",
	  "Encaminhado a uma empresa externa", "Передано зовнішній організації" },
	{ "Service suspended until payment", "Service suspendu jusqu'au paiement",
	  "Serviço suspenso até o pagamento", "Послугу призупинено до оплати" },
	{ "Under review: you contested an amount", "Contestation en cours d'examen",
	  "Contestação em análise", "Спір розглядається" },
	{ "Payment plan in progress", "Échéancier en cours", "Parcelamento em andamento",
	  "Діє план розстрочки" },
	{ "Payment promised", "Paiement promis", "Pagamento prometido", "Оплату обіцяно" },
	{ "Formal notice sent: the service may be suspended",
	  "Mise en demeure envoyée : le service peut être suspendu",
	  "Aviso formal enviado: o serviço pode ser suspenso",
	  "Надіслано офіційне попередження: послугу може бути призупинено" },
	{ "Reminders sent", "Relances envoyées", "Lembretes enviados", "Надіслано нагадування" },
	{ "Payment overdue", "Paiement en retard", "Pagamento em atraso", "Оплату прострочено" },
	{ "Invoice issued, not yet due", "Facture émise, pas encore échue",
	  "Fatura emitida, ainda não vencida", "Рахунок виставлено, строк оплати ще не настав" },
	{ "Up to date", "À jour", "Em dia", "Заборгованості немає" },
};

/* ---- one-time codes -------------------------------------------------------------------- */

/* Only the lock of the stand-in (see send_code): the codes are in the database. */
static struct {
	pthread_mutex_t lock;
} C = { .lock = PTHREAD_MUTEX_INITIALIZER };

#define CODE_SALT_BYTES crypto_generichash_KEYBYTES

/* The hash of user and code keyed by salt, both in hex as the store keeps them. */
static void code_hash(const char *user, const char *code, const char salt_hex[STORE_HASH_HEX],
		      char out[STORE_HASH_HEX])
{
	unsigned char salt[CODE_SALT_BYTES], h[32];
	crypto_generichash_state st;
	size_t n = 0;

	_Static_assert(CODE_SALT_BYTES * 2 + 1 == STORE_HASH_HEX, "salt size");
	if (strlen(salt_hex) != STORE_HASH_HEX - 1 ||
	    sodium_hex2bin(salt, sizeof(salt), salt_hex, STORE_HASH_HEX - 1, NULL, &n, NULL) != 0 ||
	    n != sizeof(salt))
		randombytes_buf(salt, sizeof(salt));   /* no salt: a hash that never matches */
	crypto_generichash_init(&st, salt, sizeof(salt), sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)user, strlen(user) + 1);
	crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, STORE_HASH_HEX, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(salt, sizeof(salt));
}

/*
 * Issues a new code for `user` into code[7], replacing any live one.
 * Returns 0, or 1 when nothing was issued: one was issued less than
 * CODE_RESEND_SECONDS ago (a user's phone is not flooded; one statement
 * decides, whatever node asks), or `dry`, or the database failed. A dry
 * call makes and hashes a code and reads the user's live code as a real
 * one writes it, and keeps nothing: send_code makes one for every name
 * that is not sent a code, so that the time taken does not say which
 * names are.
 */
static int code_issue(struct store *s, const char *user, char code[7], int dry)
{
	int64_t now = (int64_t)time(NULL);
	unsigned char salt[CODE_SALT_BYTES];
	char salt_hex[STORE_HASH_HEX], h[STORE_HASH_HEX], old_salt[STORE_HASH_HEX],
		old_hash[STORE_HASH_HEX];
	int rc = 1, issued = 0, found = 0;

	snprintf(code, 7, "%06u", (unsigned)randombytes_uniform(1000000));
	randombytes_buf(salt, sizeof(salt));
	sodium_bin2hex(salt_hex, sizeof(salt_hex), salt, sizeof(salt));
	code_hash(user, code, salt_hex, h);
	if (dry) {
		(void)store_code_get(s, user, now, old_salt, old_hash, &found);
	} else if (store_code_put(s, user, salt_hex, h, now, now + CODE_SECONDS,
				  CODE_RESEND_SECONDS, &issued) != STORE_OK) {
		fprintf(stderr, "relance serve: a portal code could not be stored: %s\n",
			store_errmsg(s));
	} else {
		rc = issued ? 0 : 1;
	}
	sodium_memzero(h, sizeof(h));
	if (rc != 0)
		sodium_memzero(code, 7);
	return rc;
}

/*
 * Whether `code` is the live code of `user`: 1 (it is then used up, on
 * every node: only one request of several racing wins it) or 0. A name
 * without a code gets its hash made all the same, so that a wrong code
 * takes as long for a name that was sent one as for any other.
 */
static int code_take(struct store *s, const char *user, const char *code)
{
	int64_t now = (int64_t)time(NULL);
	char salt[STORE_HASH_HEX], live[STORE_HASH_HEX], h[STORE_HASH_HEX];
	int found = 0, taken = 0;

	if (store_code_get(s, user, now, salt, live, &found) != STORE_OK)
		found = 0;
	code_hash(user, code, found ? salt : "", h);
	if (found && auth_equal(h, live, STORE_HASH_HEX - 1) &&
	    store_code_take(s, user, h, now, &taken) != STORE_OK)
		taken = 0;
	sodium_memzero(h, sizeof(h));
	sodium_memzero(live, sizeof(live));
	return taken;
}

/* ---- reading bodies ----------------------------------------------------------------------- */

static const char *member(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* ---- asking for a code and signing in --------------------------------------------------------- */

struct portal_user {
	int found, customer, disabled;
	char customer_id[128];
};

static int keep_user(void *ctx, const struct user_view *u)
{
	struct portal_user *p = ctx;

	p->found = 1;
	p->customer = strcmp(u->kind, "customer") == 0;
	p->disabled = u->disabled_at != 0;
	snprintf(p->customer_id, sizeof(p->customer_id), "%s", u->customer_id);
	return 0;
}

/* A customer's user, active: 1; else 0 (whatever the reason). */
static int portal_user_get(struct store *s, const char *name, struct portal_user *u)
{
	memset(u, 0, sizeof(*u));
	if (store_user_get(s, name, keep_user, u) != STORE_OK)
		return 0;
	return u->found && u->customer && !u->disabled && u->customer_id[0];
}

struct contact {
	int found;
	char name[256], locale[36], phone[64], email[256];
};

static int keep_contact(void *ctx, const struct customer_view *v)
{
	struct contact *c = ctx;

	c->found = 1;
	snprintf(c->name, sizeof(c->name), "%s", v->name ? v->name : "");
	snprintf(c->locale, sizeof(c->locale), "%s", v->locale ? v->locale : "");
	snprintf(c->phone, sizeof(c->phone), "%s", v->phone ? v->phone : "");
	snprintf(c->email, sizeof(c->email), "%s", v->email ? v->email : "");
	return 0;
}

/* The first of a customer's accounts (account_id order), which an outbox row needs. */
struct first_account {
	int found;
	int64_t account_key;
	char account_id[128];
};

static int keep_first(void *ctx, const struct customer_account *a)
{
	struct first_account *fa = ctx;

	fa->found = strlen(a->account_id) < sizeof(fa->account_id);
	fa->account_key = a->account_key;
	snprintf(fa->account_id, sizeof(fa->account_id), "%s", a->account_id);
	return STORE_STOP;
}

/*
 * The customer whose records an unknown name's request reads in place of
 * its own (see send_code): the last portal user's who asked. "" until one
 * has, after a start: until then those reads find nothing, a little sooner
 * than reads that find a customer. Under C.lock.
 */
static char stand_in[128];

/*
 * Queues the code for the customer's phone or e-mail address, if the user
 * is a portal user with that contact, not flagged bad. Says nothing back:
 * the caller answers the same either way.
 *
 * Timing. Had an unknown name stopped at the user look-up, the answer
 * would come measurably sooner for it than for a portal user (three more
 * reads and a hash), and the time taken would tell which names are
 * customers'. So every name gets the same work: the user look-up, then the
 * customer, the contact's flag and the first account read for the user's
 * customer, or for a stand-in customer when the name is nobody's portal
 * user (unknown, a staff or API user, disabled), then a code made and
 * hashed (code_issue, dry when nothing is to be sent). A contact missing on
 * record is looked up under a value that never matches, for the same
 * reason. What remains different is the queueing itself, one outbox row,
 * at most once per CODE_RESEND_SECONDS for a name, and the customer then
 * receives a code they did not ask for.
 */
static void send_code(struct app *app, const char *user, const char *channel)
{
	struct serve_thread *t = serve_thread(app);
	struct portal_user u;
	struct contact c = { 0 };
	struct first_account fa = { 0 };
	char customer[128], code[7] = "", text[512], key[160], *payload = NULL;
	unsigned char nonce[8];
	const char *to;
	int known, bad = 1, scanned, send, sms = strcmp(channel, "sms") == 0;
	enum lang l;
	struct dynbuf b = { .max = 8192 };
	struct outbox_row row = { 0 };
	struct store_outcome out;

	known = portal_user_get(t->store, user, &u);
	pthread_mutex_lock(&C.lock);
	if (known)
		snprintf(stand_in, sizeof(stand_in), "%s", u.customer_id);
	snprintf(customer, sizeof(customer), "%s", known ? u.customer_id : stand_in);
	pthread_mutex_unlock(&C.lock);
	c.found = store_customer_get(t->store, customer, keep_contact, &c) == STORE_OK && c.found;
	to = sms ? c.phone : c.email;
	if (store_contact_bad(t->store, customer, sms ? "phone" : "email", to[0] ? to : "\x01",
			      &bad) != STORE_OK)
		bad = 1;
	scanned = store_accounts_of_customer(t->store, customer, keep_first, &fa);
	/* An outbox row belongs to an account: the customer's first. */
	send = known && c.found && to[0] && !bad && (scanned == STORE_OK || scanned == STORE_STOP) &&
	       fa.found;
	if (code_issue(t->store, user, code, !send) != 0)
		goto out;
	l = lang_of(c.locale);
	snprintf(text, sizeof(text), "%s%s%s", code_text[l][0], code, code_text[l][1]);
	/* Unique per code, and telling nothing of it. */
	randombytes_buf(nonce, sizeof(nonce));
	snprintf(key, sizeof(key), "portal-code|%s|%02x%02x%02x%02x%02x%02x%02x%02x", user,
		 nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7]);
	dynbuf_str(&b, "{\"customer_id\":");
	dynbuf_json_str(&b, u.customer_id);
	dynbuf_str(&b, ",\"account_id\":");
	dynbuf_json_str(&b, fa.account_id);
	dynbuf_str(&b, ",\"to\":");
	dynbuf_json_str(&b, to);
	if (!sms) {
		dynbuf_str(&b, ",\"subject\":");
		dynbuf_json_str(&b, code_subject[l]);
	}
	dynbuf_str(&b, ",\"text\":");
	dynbuf_json_str(&b, text);
	dynbuf_str(&b, "}");
	if (b.failed)
		goto out;
	payload = b.p;
	b.p = NULL;
	row.idempotency_key = key;
	row.account_key = fa.account_key;
	row.channel = channel;
	row.action = "code";
	row.due_at = serve_now(app);
	row.payload = payload;
	row.rule = "portal/code";
	row.created_at = serve_now(app);
	if (store_outbox_put(t->store, &row, 1, &out) != STORE_OK)
		fprintf(stderr, "relance serve: a portal code could not be queued: %s\n",
			store_errmsg(t->store));
	else
		serve_cycle_soon(app);   /* sent within seconds, not at the next cycle */
out:
	sodium_memzero(code, sizeof(code));
	sodium_memzero(text, sizeof(text));
	if (payload)
		sodium_memzero(payload, strlen(payload));
	free(payload);
	free(b.p);
}

/* POST /api/v1/portal/code {"user", "channel": "sms" | "email"}: 202 whatever
 * the name, so that the answer never tells who is a customer. */
static int ask_code(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const names[] = { "user", "channel", NULL };
	json_t *o = serve_body_fields(r, names, 0, a);
	const char *user, *channel;

	if (o == NULL)
		return 0;
	user = member(o, "user");
	channel = member(o, "channel");
	if (user == NULL || user[0] == '\0' || strlen(user) > STORE_USER_NAME_MAX) {
		http_answer_problem(a, 400, "Bad Request", "\"user\" must be a user name of 1 to %d "
				    "bytes", STORE_USER_NAME_MAX);
	} else if (channel == NULL || (strcmp(channel, "sms") != 0 && strcmp(channel, "email") != 0)) {
		http_answer_problem(a, 400, "Bad Request", "\"channel\" must be \"sms\" or \"email\"");
	} else {
		send_code(ctx, user, channel);
		http_answer_json(a, 202, strdup("{\"status\":\"if this user may sign in by this "
						"channel, a code is on its way\"}"));
	}
	json_decref(o);
	return 0;
}

/* POST /api/v1/portal/session {"user", "code"}: a customer signs in. */
static int sign_in(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const names[] = { "user", "code", NULL };
	struct serve_thread *t = serve_thread(ctx);
	json_t *o = serve_body_fields(r, names, 0, a);
	const char *user, *code;
	char attempts[STORE_USER_NAME_MAX + 8];
	struct portal_user u;
	struct principal p = { 0 };
	int retry, ok;

	if (o == NULL)
		return 0;
	user = member(o, "user");
	code = member(o, "code");
	if (user == NULL || user[0] == '\0' || strlen(user) > STORE_USER_NAME_MAX ||
	    code == NULL || strlen(code) != 6 || strspn(code, "0123456789") != 6) {
		http_answer_problem(a, 400, "Bad Request", "the body is {\"user\": ..., \"code\": "
				    "...}, the code being the 6 digits sent");
		json_decref(o);
		return 0;
	}
	/* Counted apart from passwords: guessing codes does not lock a name
	 * out of the staff sign-in, nor the reverse. */
	snprintf(attempts, sizeof(attempts), "code:%s", user);
	serve_state_sweep(t->store);
	if (!serve_attempt_allowed(t->store, attempts, &retry)) {
		a->retry_after = retry;
		http_answer_problem(a, 429, "Too Many Requests", "too many wrong codes for this user: "
				    "try again in %d seconds", retry);
		json_decref(o);
		return 0;
	}
	ok = code_take(t->store, user, code) && portal_user_get(t->store, user, &u);
	serve_attempt_result(t->store, attempts, ok);
	if (!ok) {
		json_decref(o);
		http_answer_problem(a, 401, "Unauthorized", "the code is wrong or expired: ask for a "
				    "new one");
		return 0;
	}
	snprintf(p.user, sizeof(p.user), "%s", user);
	snprintf(p.role, sizeof(p.role), "customer");
	snprintf(p.scopes, sizeof(p.scopes), "portal");
	snprintf(p.customer_id, sizeof(p.customer_id), "%s", u.customer_id);
	json_decref(o);
	return serve_session_open(t->store, &p, a);
}

/* ---- what the customer sees ------------------------------------------------------------------ */

/*
 * An arrangement as the customer sees it, made from the object the
 * arrangement commands print: a list of what is shown, not of what is
 * hidden, so that a member the commands print one day stays out of the
 * portal until someone decides it is the customer's to know.
 *
 * Shown: what it is and where it stands (id, kind, state), what it covers
 * (accounts, invoice_id), its amounts and dates, and what it holds back.
 * Shown only when a portal user of this customer made it: its author and
 * the note or reason, which are then the customer's own words. Never: the
 * name of a staff or API author (the staff's, not the customer's to know;
 * the commands print it as created_by), a note or reason staff wrote (what
 * an agent writes for colleagues), the version (a counter for staff edits
 * made at once), customer_id (the answer says whose it is already) and the
 * party a case was handed to (a partner as the operator names it).
 */
static const char *const shown[] = {
	"id", "kind", "state", "accounts", "currency", "amount", "due_on", "total",
	"down_payment", "instalments", "expires_on", "was_due_on", "answer_by", "invoice_id",
	"holds", NULL,
};
static const char *const shown_if_theirs[] = { "created_by", "note", "reason", NULL };

static int listed(const char *const *names, const char *name)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Whether `name` is a portal user of customer_id, disabled or not. */
static int theirs(struct store *s, const char *name, const char *customer_id)
{
	struct portal_user u;

	memset(&u, 0, sizeof(u));
	return name != NULL && name[0] && store_user_get(s, name, keep_user, &u) == STORE_OK &&
	       u.found && u.customer && strcmp(u.customer_id, customer_id) == 0;
}

/*
 * `text` (len bytes), one arrangement as the commands print it in JSON,
 * as the customer of customer_id sees it: a new string (free it), or NULL
 * when it is not a JSON object or memory ran out.
 */
static char *arrangement_for(struct store *s, const char *customer_id, const char *text,
			     size_t len)
{
	json_t *in = json_loadb(text, len, 0, NULL), *out = json_object(), *v;
	const char *key;
	char *res = NULL;
	int own;

	if (!json_is_object(in) || out == NULL)
		goto out;
	own = theirs(s, member(in, "created_by"), customer_id);
	json_object_foreach(in, key, v)
		if ((listed(shown, key) || (own && listed(shown_if_theirs, key))) &&
		    json_object_set(out, key, v) != 0)
			goto out;
	res = json_dumps(out, JSON_COMPACT);
out:
	json_decref(in);
	json_decref(out);
	return res;
}

/* The answer of an arrangement command, when it succeeded, as arrangement_for. */
static int answer_for(struct store *s, const char *customer_id, struct http_answer *a)
{
	char *text;

	if (a->status < 200 || a->status > 299)
		return 0;
	if ((text = arrangement_for(s, customer_id, a->body, a->len)) == NULL)
		return -1;
	http_answer_json(a, a->status, text);
	return 0;
}

struct live {
	struct store *s;
	const char *customer_id;
	struct dynbuf *b;
	int n, handoff, plan, dispute, promise;
};

static int keep_live(void *ctx, const struct arrangement_view *v)
{
	struct live *l = ctx;
	char *text = NULL, *shown_text = NULL;
	size_t len = 0;
	FILE *saved = cmd_out;
	int rc;

	l->handoff |= strcmp(v->kind, "handoff") == 0;
	l->plan |= strcmp(v->kind, "plan") == 0 && strcmp(v->state, "current") == 0;
	l->dispute |= strcmp(v->kind, "dispute") == 0;
	l->promise |= strcmp(v->kind, "promise") == 0;
	/* As the arrangement commands print it (amounts as decimal text),
	 * less what is not the customer's. */
	if ((cmd_out = open_memstream(&text, &len)) == NULL) {
		cmd_out = saved;
		return STORE_ERR_NOMEM;
	}
	rc = cmd_arrangement_print(v, 1, 1);
	fclose(cmd_out);
	cmd_out = saved;
	if (rc == 0 && (text == NULL ||
			(shown_text = arrangement_for(l->s, l->customer_id, text, len)) == NULL))
		rc = STORE_ERR_NOMEM;
	if (rc == 0) {
		dynbuf_str(l->b, l->n++ ? "," : "");
		dynbuf_str(l->b, shown_text);
	}
	free(shown_text);
	free(text);
	return rc;
}

struct case_seen {
	int found;
	char *state;
};

static int keep_case(void *ctx, const struct case_row *c)
{
	struct case_seen *cs = ctx;

	cs->found = 1;
	cs->state = strdup(c->state);
	return cs->state ? 0 : STORE_ERR_NOMEM;
}

/*
 * Appends one account of customer_id: position, stage in words, live
 * arrangements. Returns 0, 1 when there is no such account (nothing
 * appended), -1 when it could not be read.
 */
static int account_json(struct serve_thread *t, const char *customer_id, const char *id,
			enum lang l, struct dynbuf *b, int first)
{
	struct account_facts f;
	struct case_seen cs = { 0 };
	struct case_state st;
	struct live lv = { t->store, customer_id, b, 0, 0, 0, 0, 0 };
	char date[DATE_TEXT_LEN + 1], num[64];
	enum stage_word w;
	int rc;

	if (account_facts_get(&t->cmd, t->store, id, &f) != 0)
		return -1;
	if (!f.found)
		return 1;
	case_state_init(&st);
	if ((rc = store_case_get(t->store, f.account_key, keep_case, &cs)) != STORE_OK ||
	    (cs.found && case_state_decode(cs.state, strlen(cs.state), &st, NULL, 0) != 0)) {
		free(cs.state);
		account_facts_release(&f);
		return -1;
	}
	free(cs.state);
	dynbuf_str(b, first ? "{\"account_id\":" : ",{\"account_id\":");
	dynbuf_json_str(b, f.account_id);
	dynbuf_str(b, ",\"currency\":");
	dynbuf_json_str(b, f.currency);
	serve_json_amount(b, "balance", f.pos.balance, f.exponent);
	serve_json_amount(b, "overdue", f.pos.overdue, f.exponent);
	dynbuf_str(b, ",\"oldest_unpaid_due_on\":");
	if (f.pos.oldest_unpaid_due_on == POSITION_NO_DATE) {
		dynbuf_str(b, "null");
	} else {
		date_format(f.pos.oldest_unpaid_due_on, date);
		dynbuf_json_str(b, date);
	}
	snprintf(num, sizeof(num), ",\"days_past_due\":%d,\"arrangements\":[", f.pos.days_past_due);
	dynbuf_str(b, num);
	rc = store_arrangements_of_account(t->store, f.account_key, 1, keep_live, &lv);
	dynbuf_str(b, "]");
	if (lv.handoff)
		w = ST_HANDED_OFF;
	else if (st.n_suspended > 0)
		w = ST_SUSPENDED;
	else if (lv.dispute)
		w = ST_DISPUTED;
	else if (lv.plan)
		w = ST_PLAN;
	else if (lv.promise)
		w = ST_PROMISED;
	else if (st.stage && st.notice_at != ENGINE_NEVER)
		w = ST_NOTICE;
	else if (st.stage)
		w = ST_REMINDERS;
	else if (f.pos.overdue > 0)
		w = ST_OVERDUE;
	else if (f.pos.balance > 0)
		w = ST_NOT_DUE;
	else
		w = ST_UP_TO_DATE;
	dynbuf_str(b, ",\"stage\":{\"code\":");
	dynbuf_json_str(b, stage_code[w]);
	dynbuf_str(b, ",\"text\":");
	dynbuf_json_str(b, stage_text[w][l]);
	dynbuf_str(b, "}}");
	case_state_release(&st);
	account_facts_release(&f);
	return rc == STORE_OK ? 0 : -1;
}

struct policy_seen {
	struct policy *p;
};

static int keep_policy(void *ctx, const struct stored_policy *sp)
{
	struct policy_seen *ps = ctx;
	struct policy_diags d = { 0 };

	if (policy_parse(sp->source, sp->body, sp->body_len, &ps->p, &d) != 0)
		ps->p = NULL;
	policy_diags_release(&d);
	return 0;
}

/* The customer's accounts into the answer, one by one as the store lists them. */
struct listing {
	struct serve_thread *t;
	const char *customer_id;
	enum lang l;
	struct dynbuf *b;
	size_t n;
};

static int list_account(void *ctx, const struct customer_account *ca)
{
	struct listing *ls = ctx;
	int rc = account_json(ls->t, ls->customer_id, ca->account_id, ls->l, ls->b, ls->n == 0);

	if (rc < 0 || ls->b->failed)
		return -1;
	ls->n += rc == 0;
	return 0;
}

/*
 * GET /api/v1/portal/accounts: the signed-in customer's accounts, every
 * one the accounts table gives them (with or without a ledger entry or an
 * entry on the file), by account_id. No cap on their number: the answer's
 * own (16 MiB, tens of thousands of accounts) is the only bound, and
 * reaching it is a 503, never a list cut short without a word.
 */
static int accounts(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct serve_thread *t = serve_thread(ctx);
	struct principal *who = r->principal;
	struct contact c = { 0 };
	struct policy_seen ps = { 0 };
	struct dynbuf b = { .max = 16u << 20 };
	struct listing ls = { t, who->customer_id, LANG_EN, &b, 0 };
	char num[128];
	int rc;

	if (store_customer_get(t->store, who->customer_id, keep_contact, &c) != STORE_OK) {
		http_answer_problem(a, 503, "Service Unavailable", "the accounts could not be read");
		return 0;
	}
	ls.l = lang_of(c.locale);
	dynbuf_str(&b, "{\"customer_id\":");
	dynbuf_json_str(&b, who->customer_id);
	dynbuf_str(&b, ",\"name\":");
	dynbuf_json_str(&b, c.name);
	dynbuf_str(&b, ",\"locale\":");
	dynbuf_json_str(&b, c.locale[0] ? c.locale : "en");
	/* What the customer may ask for alone (the page says it beforehand). */
	store_policy_get(t->store, 0, keep_policy, &ps);
	if (ps.p != NULL) {
		snprintf(num, sizeof(num), ",\"plans\":{\"max_instalments\":%d,"
			 "\"min_down_payment_percent\":%d},\"promise_max_days\":%d",
			 ps.p->arrangements.customer.max_instalments,
			 ps.p->arrangements.customer.min_down_payment_pct,
			 ps.p->arrangements.promise_max_days);
		dynbuf_str(&b, num);
		policy_free(ps.p);
	} else {
		dynbuf_str(&b, ",\"plans\":null");
	}
	dynbuf_str(&b, ",\"accounts\":[");
	rc = store_accounts_of_customer(t->store, who->customer_id, list_account, &ls);
	dynbuf_str(&b, "]}");
	if (rc != STORE_OK || b.failed) {
		free(b.p);
		http_answer_problem(a, 503, "Service Unavailable", "the accounts could not be read");
		return 0;
	}
	http_answer_json(a, 200, b.p);
	return 0;
}

struct ledger_page {
	struct dynbuf *b;
};

static void amount_member(struct dynbuf *b, const char *name, int64_t minor, int exponent)
{
	serve_json_amount(b, name, minor, exponent);
}

static int keep_ledger(void *ctx, const struct account_ledger *l)
{
	struct dynbuf *b = ((struct ledger_page *)ctx)->b;
	char d1[DATE_TEXT_LEN + 1], d2[DATE_TEXT_LEN + 1], when[INSTANT_TEXT_LEN + 1];
	int n = 0;

	dynbuf_str(b, ",\"invoices\":[");
	for (size_t i = 0; i < l->n_invoices; i++) {
		const struct ledger_invoice *v = &l->invoices[i];

		date_format(v->issued_on, d1);
		date_format(v->due_on, d2);
		dynbuf_str(b, i ? ",{\"id\":" : "{\"id\":");
		dynbuf_json_str(b, v->id);
		dynbuf_str(b, ",\"issued_on\":");
		dynbuf_json_str(b, d1);
		dynbuf_str(b, ",\"due_on\":");
		dynbuf_json_str(b, d2);
		amount_member(b, "amount", v->amount, l->exponent);
		dynbuf_str(b, "}");
	}
	for (int kind = LEDGER_PAYMENT; kind <= LEDGER_CREDIT_NOTE; kind++) {
		dynbuf_str(b, kind == LEDGER_PAYMENT ? "],\"payments\":[" : "],\"credit_notes\":[");
		n = 0;
		for (size_t i = 0; i < l->n_credits; i++) {
			const struct ledger_credit *c = &l->credits[i];

			if (c->kind != kind)
				continue;
			dynbuf_str(b, n++ ? ",{\"id\":" : "{\"id\":");
			dynbuf_json_str(b, c->id);
			if (kind == LEDGER_PAYMENT) {
				instant_format(c->received_at, when);
				dynbuf_str(b, ",\"received_at\":");
				dynbuf_json_str(b, when);
			} else {
				date_format(c->issued_on, d1);
				dynbuf_str(b, ",\"issued_on\":");
				dynbuf_json_str(b, d1);
			}
			dynbuf_str(b, ",\"invoice_id\":");
			if (c->invoice_id)
				dynbuf_json_str(b, c->invoice_id);
			else
				dynbuf_str(b, "null");
			amount_member(b, "amount", c->amount, l->exponent);
			dynbuf_str(b, "}");
		}
	}
	dynbuf_str(b, "]");
	return 0;
}

/* GET /api/v1/portal/accounts/{id}/ledger: invoices, payments, credit notes. */
static int ledger(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	struct account_facts f;
	struct dynbuf b = { .max = 16u << 20 };
	struct ledger_page lp = { &b };
	int rc;

	if (serve_account(app, r, &f, a) != 0)
		return 0;
	dynbuf_str(&b, "{\"account_id\":");
	dynbuf_json_str(&b, f.account_id);
	dynbuf_str(&b, ",\"currency\":");
	dynbuf_json_str(&b, f.currency);
	serve_json_amount(&b, "balance", f.pos.balance, f.exponent);
	rc = store_ledger_scan(serve_thread(app)->store, &f.account_key, 1, keep_ledger, &lp);
	dynbuf_str(&b, "}");
	account_facts_release(&f);
	if (rc != STORE_OK || b.failed) {
		free(b.p);
		http_answer_problem(a, 503, "Service Unavailable", "the ledger could not be read");
		return 0;
	}
	http_answer_json(a, 200, b.p);
	return 0;
}

/* ---- what the customer asks for ------------------------------------------------------------- */

/*
 * Whether the route's account is the customer's (404 otherwise, as for an
 * account that does not exist) and its id names one account only (a
 * command would read "A,B" as a list).
 */
static int own_account(struct app *app, struct http_request *r, struct http_answer *a)
{
	struct account_facts f;

	if (strchr(r->params[0], ',') != NULL) {
		http_answer_problem(a, 404, "Not Found", "no account %s", r->params[0]);
		return 0;
	}
	if (serve_account(app, r, &f, a) != 0)
		return 0;
	account_facts_release(&f);
	return 1;
}

/*
 * Runs `fn` for the request with `body` (taken) as the body's fields; the
 * arrangement it answers with is filtered as in GET /api/v1/portal/accounts
 * (arrangement_for).
 */
static int run_with(struct app *app, struct http_request *r, struct http_answer *a, command_fn fn,
		    const char *subject, json_t *body, const struct field_option *fields, size_t n,
		    unsigned how)
{
	struct http_request r2 = *r;
	char *text = json_dumps(body, JSON_COMPACT);
	int rc;

	json_decref(body);
	if (text == NULL)
		return -1;
	r2.body = text;
	r2.body_len = strlen(text);
	rc = serve_run_command(app, &r2, a, fn, subject, fields, n, how);
	free(text);
	if (rc == 0)
		rc = answer_for(serve_thread(app)->store,
				((const struct principal *)r->principal)->customer_id, a);
	return rc;
}

/* A text of the customer's (a note, a reason): absent, or 1 to TEXT_MAX bytes. */
static int text_ok(json_t *o, const char *name, int required, struct http_answer *a)
{
	const char *v = member(o, name);

	if ((v == NULL && !required) || (v && v[0] && strlen(v) <= TEXT_MAX))
		return 1;
	http_answer_problem(a, 400, "Bad Request", "\"%s\" must be a text of 1 to %d bytes", name,
			    TEXT_MAX);
	return 0;
}

/*
 * POST /api/v1/portal/accounts/{id}/plans {"instalments", "every_days" |
 * "day_of_month", "first", "down", "note"}: proposed with the customer's
 * authority (the policy's plans.customer) and, being within it, accepted
 * at once: 201 with the plan, current. Beyond it: 400 with the reason.
 */
static int ask_plan(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const names[] = { "instalments", "every_days", "day_of_month", "first",
					     "down", "note", NULL };
	static const struct field_option f[] = {
		{ "instalments", "--instalments", NULL }, { "every_days", "--every-days", NULL },
		{ "day_of_month", "--day-of-month", NULL }, { "first", "--first", NULL },
		{ "down", "--down", NULL }, { "note", "--note", NULL }, { "role", "--role", NULL },
	};
	struct app *app = ctx;
	json_t *o = serve_body_fields(r, names, 0, a), *made;
	json_error_t jerr;
	char id[64] = "";

	if (o == NULL)
		return 0;
	if (!text_ok(o, "note", 0, a) || !own_account(app, r, a)) {
		json_decref(o);
		return 0;
	}
	/* The customer's own authority, never one the body could name. */
	json_object_set_new(o, "role", json_string("customer"));
	if (run_with(app, r, a, cmd_plan_propose, r->params[0], o, f, sizeof(f) / sizeof(f[0]),
		     RUN_CREATES) != 0)
		return -1;
	if (a->status != 201)
		return 0;
	if ((made = json_loadb(a->body, a->len, 0, &jerr)) != NULL)
		snprintf(id, sizeof(id), "%s", member(made, "id") ? member(made, "id") : "");
	json_decref(made);
	if (!id[0]) {
		http_answer_problem(a, 500, "Internal Server Error", "the plan was proposed but its "
				    "answer is unreadable");
		return 0;
	}
	/* Within what the customer may have alone: agreed now. */
	if (run_with(app, r, a, cmd_plan_accept, id, json_object(), NULL, 0, 0) != 0)
		return -1;
	if (a->status == 200)
		a->status = 201;
	return 0;
}

/* POST /api/v1/portal/accounts/{id}/promises {"amount", "date", "note"}. */
static int promise(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const names[] = { "amount", "date", "note", NULL };
	static const struct field_option f[] = {
		{ "amount", "--amount", NULL }, { "date", "--date", NULL }, { "note", "--note", NULL },
	};
	json_t *o = serve_body_fields(r, names, 0, a);

	if (o == NULL)
		return 0;
	if (!text_ok(o, "note", 0, a) || !own_account(ctx, r, a)) {
		json_decref(o);
		return 0;
	}
	return run_with(ctx, r, a, cmd_promise_add, r->params[0], o, f, 3, RUN_CREATES);
}

/*
 * POST /api/v1/portal/accounts/{id}/disputes {"about": "payment_made" |
 * "amount_wrong", "text", "invoice", "amount"}: a payment the customer says
 * was already made, or an amount contested; either opens a dispute, which
 * freezes the amount until an agent answers.
 */
static int dispute(void *ctx, struct http_request *r, struct http_answer *a)
{
	static const char *const names[] = { "about", "text", "invoice", "amount", NULL };
	static const struct field_option f[] = {
		{ "invoice", "--invoice", NULL }, { "amount", "--amount", NULL },
		{ "reason", "--reason", NULL },
	};
	json_t *o = serve_body_fields(r, names, 0, a);
	const char *about;
	char reason[TEXT_MAX + 64];

	if (o == NULL)
		return 0;
	about = member(o, "about");
	if (about == NULL || (strcmp(about, "payment_made") != 0 &&
			      strcmp(about, "amount_wrong") != 0)) {
		http_answer_problem(a, 400, "Bad Request", "\"about\" must be \"payment_made\" or "
				    "\"amount_wrong\"");
		json_decref(o);
		return 0;
	}
	if (!text_ok(o, "text", 1, a) || !own_account(ctx, r, a)) {
		json_decref(o);
		return 0;
	}
	/* The agents read on the file what the customer reported, in
	 * the customer's words. */
	snprintf(reason, sizeof(reason), "%s: %s", strcmp(about, "payment_made") == 0 ?
		 "the customer reports a payment already made" : "the customer contests the amount",
		 member(o, "text"));
	json_object_del(o, "about");
	json_object_del(o, "text");
	json_object_set_new(o, "reason", json_string(reason));
	return run_with(ctx, r, a, cmd_dispute_open, r->params[0], o, f, 3, RUN_CREATES);
}

const struct http_route serve_portal_routes[] = {
	{ "POST", "/api/v1/portal/code", NULL, ask_code },
	{ "POST", "/api/v1/portal/session", NULL, sign_in },
	{ "GET", "/api/v1/portal/accounts", "portal", accounts },
	{ "GET", "/api/v1/portal/accounts/{id}/ledger", "portal", ledger },
	{ "POST", "/api/v1/portal/accounts/{id}/plans", "portal", ask_plan },
	{ "POST", "/api/v1/portal/accounts/{id}/promises", "portal", promise },
	{ "POST", "/api/v1/portal/accounts/{id}/disputes", "portal", dispute },
};
const size_t serve_portal_n_routes = sizeof(serve_portal_routes) / sizeof(serve_portal_routes[0]);
