/*
 * generate — `relance generate DIR`: deterministic demo data over the five
 * jurisdictions of SPEC.md (Burundi, Brazil, France, Ukraine, Québec).
 *
 * Determinism: every customer draws from its own generator, seeded from
 * (--seed, customer number) only, so the same arguments and the same --now
 * give byte-identical files, and customer i is the same whatever --customers
 * says. rand() is never used: its sequence differs between C libraries.
 *
 * Shape of the data, chosen so that a summary has something in every ageing
 * bucket: one account per customer (about 1 in 30 has a second one), one or
 * two services per account, one invoice per account and month for --months
 * months ending before the month of --now, and a payment behaviour per
 * account: punctual, late, partial, stopped paying, irregular, or never pays.
 * Payments that would be received after --now are not written (they have not
 * happened yet), which leaves the latest invoices open for most accounts.
 *
 * Order of the rows: customers, accounts, services and credit notes in
 * customer order; invoices by billing month (as a billing system exports its
 * monthly runs) and payments by the month they were received. Those two are
 * spilled into one temporary file per month while customers are walked, then
 * concatenated, so memory stays constant whatever --customers is.
 *
 * Costs: no allocation per row; rows are built in a fixed buffer and written
 * through large stdio buffers. 200,000 customers over 6 months (~3.5 million
 * rows) take a few seconds.
 *
 * Contact details are plausible but harmless: e-mail domains are example.*
 * and every channel of a demo goes to a recording adapter anyway.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/caltime.h"
#include "../core/money.h"
#include "cmd.h"

#define GEN_MAX_MONTHS 120
#define GEN_MAX_CUSTOMERS 100000000LL
#define GEN_ROW_MAX 1024
#define GEN_BUFFER (1 << 20)
#define GEN_SPILL_BUFFER (1 << 16)

/* A name and its ASCII form (for e-mail addresses and user names). */
struct gen_name {
	const char *text, *ascii;
};

/* How a business name is built around a family name. */
struct gen_firm {
	const char *before, *after;
};

#define GEN_NAMES 20

struct gen_juris {
	const char *code;          /* jurisdiction key of the policy */
	const char *zone;
	const char *locale, *alt_locale;   /* alt_locale for 1 customer in 5 */
	const char *currency;
	const char *kind, *adapter;
	const char *email_domain;
	int std_offset;            /* minutes east of UTC outside daylight saving */
	int due_days;              /* payment term */
	int weight;                /* share of the customers, per mille */
	struct gen_name first[GEN_NAMES], last[GEN_NAMES];
	struct gen_firm firms[3];
	const char *methods[3];
	const char *reasons[3];
	int exponent;              /* from ICU at start */
};

static struct gen_juris gen_juris[] = {
	{ "BI", "Africa/Bujumbura", "fr-BI", "rn-BI", "BIF", "mobile", "radius", "example.bi",
	  120, 30, 300,
	  { { "Jean", "jean" }, { "Marie", "marie" }, { "Claire", "claire" }, { "Aline", "aline" },
	    { "Eric", "eric" }, { "Diane", "diane" }, { "Pacifique", "pacifique" },
	    { "Gloriose", "gloriose" }, { "Évariste", "evariste" }, { "Ange", "ange" },
	    { "Béatrice", "beatrice" }, { "Fabrice", "fabrice" }, { "Jeanine", "jeanine" },
	    { "Innocent", "innocent" }, { "Clarisse", "clarisse" }, { "Emmanuel", "emmanuel" },
	    { "Divine", "divine" }, { "Prosper", "prosper" }, { "Espérance", "esperance" },
	    { "Léonidas", "leonidas" } },
	  { { "Ndayishimiye", "ndayishimiye" }, { "Niyonzima", "niyonzima" },
	    { "Hakizimana", "hakizimana" }, { "Nkurunziza", "nkurunziza" },
	    { "Irakoze", "irakoze" }, { "Ndikumana", "ndikumana" }, { "Bizimana", "bizimana" },
	    { "Havyarimana", "havyarimana" }, { "Manirakiza", "manirakiza" },
	    { "Nshimirimana", "nshimirimana" }, { "Ntakirutimana", "ntakirutimana" },
	    { "Niyongabo", "niyongabo" }, { "Nduwimana", "nduwimana" },
	    { "Habonimana", "habonimana" }, { "Ndayizeye", "ndayizeye" }, { "Ciza", "ciza" },
	    { "Kaneza", "kaneza" }, { "Iradukunda", "iradukunda" },
	    { "Nsengiyumva", "nsengiyumva" }, { "Butoyi", "butoyi" } },
	  { { "Ets ", "" }, { "Boutique ", "" }, { "Alimentation ", "" } },
	  { "mobile_money", "cash", "bank_transfer" },
	  { "Geste commercial", "Erreur de facturation", "Panne du réseau, 3 jours" } },
	{ "BR", "America/Sao_Paulo", "pt-BR", NULL, "BRL", "fixed_internet", "tr069",
	  "example.com.br", -180, 25, 200,
	  { { "Ana", "ana" }, { "João", "joao" }, { "Maria", "maria" }, { "José", "jose" },
	    { "Francisca", "francisca" }, { "Antônio", "antonio" }, { "Luiz", "luiz" },
	    { "Fernanda", "fernanda" }, { "Gabriel", "gabriel" }, { "Juliana", "juliana" },
	    { "Lucas", "lucas" }, { "Beatriz", "beatriz" }, { "Rafael", "rafael" },
	    { "Camila", "camila" }, { "Matheus", "matheus" }, { "Letícia", "leticia" },
	    { "Pedro", "pedro" }, { "Mariana", "mariana" }, { "Thiago", "thiago" },
	    { "Aline", "aline" } },
	  { { "Silva", "silva" }, { "Santos", "santos" }, { "Oliveira", "oliveira" },
	    { "Souza", "souza" }, { "Lima", "lima" }, { "Pereira", "pereira" },
	    { "Costa", "costa" }, { "Ferreira", "ferreira" }, { "Rodrigues", "rodrigues" },
	    { "Almeida", "almeida" }, { "Nascimento", "nascimento" }, { "Carvalho", "carvalho" },
	    { "Araújo", "araujo" }, { "Ribeiro", "ribeiro" }, { "Gomes", "gomes" },
	    { "Martins", "martins" }, { "Rocha", "rocha" }, { "Barbosa", "barbosa" },
	    { "Melo", "melo" }, { "Conceição", "conceicao" } },
	  { { "", " Comércio Ltda" }, { "Padaria ", "" }, { "", " & Filhos Ltda" } },
	  { "pix", "boleto", "card" },
	  { "Desconto por indisponibilidade do serviço", "Cobrança indevida",
	    "Acordo: desconto de juros e multa" } },
	{ "FR", "Europe/Paris", "fr-FR", NULL, "EUR", "fixed_internet", "radius", "example.fr",
	  60, 30, 200,
	  { { "Marie", "marie" }, { "Jean", "jean" }, { "Camille", "camille" },
	    { "Nicolas", "nicolas" }, { "Julie", "julie" }, { "Thomas", "thomas" },
	    { "Léa", "lea" }, { "Pierre", "pierre" }, { "Chloé", "chloe" },
	    { "Antoine", "antoine" }, { "Manon", "manon" }, { "Hugo", "hugo" },
	    { "Sarah", "sarah" }, { "Louis", "louis" }, { "Émilie", "emilie" },
	    { "Mathieu", "mathieu" }, { "Inès", "ines" }, { "Julien", "julien" },
	    { "Claire", "claire" }, { "François", "francois" } },
	  { { "Martin", "martin" }, { "Bernard", "bernard" }, { "Dubois", "dubois" },
	    { "Thomas", "thomas" }, { "Robert", "robert" }, { "Richard", "richard" },
	    { "Petit", "petit" }, { "Durand", "durand" }, { "Leroy", "leroy" },
	    { "Moreau", "moreau" }, { "Simon", "simon" }, { "Laurent", "laurent" },
	    { "Lefèvre", "lefevre" }, { "Michel", "michel" }, { "Garcia", "garcia" },
	    { "David", "david" }, { "Bertrand", "bertrand" }, { "Roux", "roux" },
	    { "Vincent", "vincent" }, { "Fournier", "fournier" } },
	  { { "SARL ", "" }, { "Boulangerie ", "" }, { "Garage ", "" } },
	  { "direct_debit", "card", "bank_transfer" },
	  { "Geste commercial", "Interruption de service, 4 jours", "Erreur de facturation" } },
	{ "UA", "Europe/Kyiv", "uk-UA", NULL, "UAH", "water", "none", "example.com.ua",
	  120, 30, 150,
	  { { "Олена", "olena" }, { "Андрій", "andrii" }, { "Тетяна", "tetiana" },
	    { "Олександр", "oleksandr" }, { "Наталія", "nataliia" }, { "Сергій", "serhii" },
	    { "Ірина", "iryna" }, { "Володимир", "volodymyr" }, { "Оксана", "oksana" },
	    { "Дмитро", "dmytro" }, { "Юлія", "yuliia" }, { "Микола", "mykola" },
	    { "Світлана", "svitlana" }, { "Іван", "ivan" }, { "Людмила", "liudmyla" },
	    { "Василь", "vasyl" }, { "Галина", "halyna" }, { "Петро", "petro" },
	    { "Марія", "mariia" }, { "Богдан", "bohdan" } },
	  { { "Шевченко", "shevchenko" }, { "Коваленко", "kovalenko" },
	    { "Бондаренко", "bondarenko" }, { "Ткаченко", "tkachenko" },
	    { "Кравченко", "kravchenko" }, { "Олійник", "oliinyk" }, { "Шевчук", "shevchuk" },
	    { "Коваль", "koval" }, { "Поліщук", "polishchuk" }, { "Бондар", "bondar" },
	    { "Мельник", "melnyk" }, { "Бойко", "boiko" }, { "Ткачук", "tkachuk" },
	    { "Савченко", "savchenko" }, { "Руденко", "rudenko" }, { "Марченко", "marchenko" },
	    { "Лисенко", "lysenko" }, { "Мороз", "moroz" }, { "Павленко", "pavlenko" },
	    { "Кузьменко", "kuzmenko" } },
	  { { "ТОВ «", "»" }, { "ФОП ", "" }, { "ОСББ «", "»" } },
	  { "bank_transfer", "card", "cash" },
	  { "Перерахунок за показниками лічильника", "Відсутність водопостачання, 5 днів",
	    "Помилка нарахування" } },
	{ "QC", "America/Toronto", "fr-CA", NULL, "CAD", "mobile", "webhook", "example.ca",
	  -300, 28, 150,
	  { { "Marie", "marie" }, { "Sophie", "sophie" }, { "Julie", "julie" },
	    { "Mathieu", "mathieu" }, { "Félix", "felix" }, { "Élise", "elise" },
	    { "Gabriel", "gabriel" }, { "Léa", "lea" }, { "Samuel", "samuel" },
	    { "Catherine", "catherine" }, { "Olivier", "olivier" }, { "Isabelle", "isabelle" },
	    { "Alexandre", "alexandre" }, { "Geneviève", "genevieve" },
	    { "William", "william" }, { "Chloé", "chloe" }, { "Louis", "louis" },
	    { "Émilie", "emilie" }, { "Jacques", "jacques" }, { "Nathalie", "nathalie" } },
	  { { "Tremblay", "tremblay" }, { "Gagnon", "gagnon" }, { "Roy", "roy" },
	    { "Côté", "cote" }, { "Bouchard", "bouchard" }, { "Gauthier", "gauthier" },
	    { "Morin", "morin" }, { "Lavoie", "lavoie" }, { "Fortin", "fortin" },
	    { "Gagné", "gagne" }, { "Ouellet", "ouellet" }, { "Pelletier", "pelletier" },
	    { "Bélanger", "belanger" }, { "Lévesque", "levesque" }, { "Bergeron", "bergeron" },
	    { "Leblanc", "leblanc" }, { "Paquette", "paquette" }, { "Girard", "girard" },
	    { "Simard", "simard" }, { "Boucher", "boucher" } },
	  { { "Dépanneur ", "" }, { "", " et fils inc." }, { "Garage ", " inc." } },
	  { "pre_authorized_debit", "card", "interac" },
	  { "Crédit de courtoisie", "Frais de résiliation annulés", "Erreur de facturation" } },
};

#define GEN_N_JURIS (sizeof(gen_juris) / sizeof(gen_juris[0]))

/* Rows of gen_juris, for what differs in shape rather than in data. */
enum gen_where { J_BI, J_BR, J_FR, J_UA, J_QC };

static enum gen_where gen_where(const struct gen_juris *j)
{
	return (enum gen_where)(j - gen_juris);
}

/* Payment behaviour of an account, per mille of the accounts. */
enum gen_habit {
	HABIT_PUNCTUAL,     /* 640: pays in full around the due date */
	HABIT_LATE,         /* 170: pays in full, 1 to 50 days late */
	HABIT_PARTIAL,      /*  80: pays part, often the rest later */
	HABIT_STOPPED,      /*  60: paid, then stopped in the last 5 months */
	HABIT_IRREGULAR,    /*  30: pays 7 invoices in 10, 5 to 70 days late */
	HABIT_NEVER,        /*  20: has not paid anything */
};

/* ---- the generator ------------------------------------------------------ */

/* splitmix64: tiny, fast, and the same on every platform. */
static uint64_t gen_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n); the modulo bias is below 2^-40 for the n used here. */
static int64_t gen_below(uint64_t *state, int64_t n)
{
	assert(n > 0);
	return (int64_t)(gen_next(state) % (uint64_t)n);
}

static int64_t gen_between(uint64_t *state, int64_t lo, int64_t hi)
{
	return lo + gen_below(state, hi - lo + 1);
}

static int gen_permille(uint64_t *state, int p)
{
	return gen_below(state, 1000) < p;
}

/* ---- rows ------------------------------------------------------------------ */

/* One CSV row being built; fields are bounded, so GEN_ROW_MAX always fits. */
struct gen_row {
	char buf[GEN_ROW_MAX];
	size_t len;
	int fields;
};

static void row_put(struct gen_row *r, const char *s, size_t n)
{
	assert(r->len + n < sizeof(r->buf));
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void row_puts(struct gen_row *r, const char *s)
{
	row_put(r, s, strlen(s));
}

/* Starts the next field: a comma before every field but the first. */
static void row_field(struct gen_row *r)
{
	if (r->fields++ > 0)
		row_put(r, ",", 1);
}

/* A whole text field, quoted (RFC 4180) when it holds a comma or a quote. */
static void row_text(struct gen_row *r, const char *s)
{
	row_field(r);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		row_puts(r, s);
		return;
	}
	row_put(r, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			row_put(r, "\"", 1);
		row_put(r, s, 1);
	}
	row_put(r, "\"", 1);
}

/* Decimal digits of v, zero-padded to `width`. */
static void row_num(struct gen_row *r, uint64_t v, int width)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < width);
	assert(r->len + (size_t)n < sizeof(r->buf));
	while (n > 0)
		r->buf[r->len++] = digits[--n];
}

static void row_amount(struct gen_row *r, int64_t minor, int exponent)
{
	char buf[MONEY_FILE_FORM_MAX];
	int n = money_format(minor, exponent, buf, sizeof(buf));

	assert(n > 0);
	row_field(r);
	row_put(r, buf, (size_t)n);
}

static void row_date(struct gen_row *r, int32_t day)
{
	char buf[DATE_TEXT_LEN + 1];

	date_format(day, buf);
	row_field(r);
	row_put(r, buf, DATE_TEXT_LEN);
}

/* Ends the row and hands it to `f`; the row is then empty again. */
static int row_end(struct gen_row *r, FILE *f)
{
	row_put(r, "\n", 1);
	if (fwrite(r->buf, 1, r->len, f) != r->len)
		return -1;
	r->len = 0;
	r->fields = 0;
	return 0;
}

/* ---- output files ---------------------------------------------------------- */

enum gen_file { F_CUSTOMERS, F_ACCOUNTS, F_SERVICES, F_INVOICES, F_PAYMENTS, F_CREDIT_NOTES,
		F_COUNT };

static const char *const gen_file_names[F_COUNT] = {
	"customers.csv", "accounts.csv", "services.csv", "invoices.csv", "payments.csv",
	"credit_notes.csv",
};

/* The header of each file: exactly the columns `relance import` reads. */
static const char *const gen_headers[F_COUNT] = {
	"customer_id,name,locale,timezone,jurisdiction,phone,email,segment\n",
	"account_id,customer_id,currency\n",
	"service_id,account_id,kind,identifier,adapter\n",
	"invoice_id,account_id,issued_on,due_on,amount\n",
	"payment_id,account_id,received_at,amount,method,invoice_id\n",
	"credit_note_id,account_id,invoice_id,issued_on,amount,reason\n",
};

struct gen {
	const char *dir;
	uint64_t seed;
	int64_t customers;
	int months;
	const struct gen_juris *only; /* --jurisdiction: every customer there */
	int64_t now;
	int32_t first_month;       /* year * 12 + month - 1 of the first invoice */

	FILE *out[F_COUNT];        /* DIR/NAME.tmp, renamed when all went well */
	char *bufs[F_COUNT];
	char tmp_path[F_COUNT][PATH_MAX], final_path[F_COUNT][PATH_MAX];
	/* Invoices by billing month, payments by month received (one more:
	 * the month of --now). */
	FILE *inv_spill[GEN_MAX_MONTHS], *pay_spill[GEN_MAX_MONTHS + 1];
	char *spill_bufs[2 * GEN_MAX_MONTHS + 1];

	int64_t count[F_COUNT];
	int write_failed;
	struct gen_row row;
};

/* An invoice of the account being generated. */
struct gen_invoice {
	int32_t issued_on, due_on;
	int64_t amount;
	int month;                  /* 0 .. months - 1 */
};

/* What identifies an account in ids: "BI-0000042" or "BI-0000042-2". */
struct gen_account {
	char stem[32];
	const struct gen_juris *j;
	struct gen_invoice inv[GEN_MAX_MONTHS];
};

static void gen_emit(struct gen *g, FILE *f, enum gen_file kind)
{
	if (row_end(&g->row, f) != 0)
		g->write_failed = 1;
	g->count[kind]++;
}

/* ---- customers, accounts, services ----------------------------------------- */

static void gen_phone(uint64_t *rs, const struct gen_juris *j, char *buf, size_t size)
{
	static const char *const bi[] = { "61", "62", "68", "69", "71", "72", "75", "76", "77",
					  "79" };
	static const char *const br[] = { "11", "21", "31", "41", "51", "61", "71", "81", "85",
					  "19" };
	static const char *const ua[] = { "50", "66", "67", "68", "63", "73", "93", "95", "96",
					  "97", "98", "99" };
	static const char *const qc[] = { "514", "438", "450", "418", "581", "819" };
	long long tail;

	switch (gen_where(j)) {
	case J_BI:  /* +257 and 8 digits */
		tail = gen_below(rs, 1000000);
		snprintf(buf, size, "+257%s%06lld", bi[gen_below(rs, 10)], tail);
		break;
	case J_BR:  /* +55, area code, 9 and 8 digits */
		tail = gen_below(rs, 100000000);
		snprintf(buf, size, "+55%s9%08lld", br[gen_below(rs, 10)], tail);
		break;
	case J_FR:  /* +33, 6 or 7 and 8 digits */
		tail = gen_below(rs, 100000000);
		snprintf(buf, size, "+33%d%08lld", gen_permille(rs, 700) ? 6 : 7, tail);
		break;
	case J_UA:  /* +380, operator code and 7 digits */
		tail = gen_below(rs, 10000000);
		snprintf(buf, size, "+380%s%07lld", ua[gen_below(rs, 12)], tail);
		break;
	case J_QC:  /* +1, area code, exchange 2xx-9xx and 4 digits */
		tail = gen_between(rs, 2000000, 9999999);
		snprintf(buf, size, "+1%s%07lld", qc[gen_below(rs, 6)], tail);
		break;
	}
}

/* A service identifier of the kind the jurisdiction's adapter acts on. */
static void gen_identifier(uint64_t *rs, const struct gen_juris *j, const char *phone,
			   const char *user, char *buf, size_t size)
{
	static const char *const vendors[] = { "ZTEG", "HWTC", "FHTT", "ALCL" };
	char other[24];

	if (strcmp(j->kind, "mobile") == 0) {
		/* the MSISDN: the customer's number without '+', or another line */
		if (phone[0] == '\0' || gen_permille(rs, 500)) {
			gen_phone(rs, j, other, sizeof(other));
			phone = other;
		}
		snprintf(buf, size, "%s", phone + 1);
	} else if (strcmp(j->adapter, "tr069") == 0) {
		snprintf(buf, size, "%s%08llX", vendors[gen_below(rs, 4)],
			 (unsigned long long)gen_below(rs, INT64_C(0x100000000)));
	} else if (strcmp(j->adapter, "radius") == 0) {
		snprintf(buf, size, "%s%lld@fibre", user, (long long)gen_below(rs, 10000));
	} else {
		snprintf(buf, size, "WM%09lld", (long long)gen_below(rs, 1000000000));
	}
}

/* ---- the ledger of one account --------------------------------------------- */

/* A typical monthly amount for the account's plan, in minor units. */
static int64_t gen_plan(uint64_t *rs, const struct gen_juris *j)
{
	static const int64_t brl[] = { 7990, 9990, 11990, 14990, 19990 };
	static const int64_t eur[] = { 1999, 2999, 3999, 4999, 5999 };

	switch (gen_where(j)) {
	case J_BI:  /* BIF 5,000 to 80,000 in round hundreds */
		return gen_between(rs, 50, 800) * 100;
	case J_BR:
		return brl[gen_below(rs, 5)];
	case J_FR:
		return eur[gen_below(rs, 5)];
	case J_UA:  /* water: by consumption around this */
		return gen_between(rs, 150, 600) * 100;
	case J_QC:  /* CAD 35 to 120 */
		break;
	}
	return gen_between(rs, 35, 110) * 100 + gen_below(rs, 2) * 1000 - 1;
}

/* This month's amount: fixed plans for internet, usage for mobile and water. */
static int64_t gen_month_amount(uint64_t *rs, const struct gen_juris *j, int64_t plan)
{
	int64_t v;

	if (strcmp(j->kind, "fixed_internet") == 0)
		return plan;
	if (j->exponent == 0) {               /* BIF: +-20%, round hundreds */
		v = plan + (plan / 5) * (gen_below(rs, 41) - 20) / 20;
		v = v / 100 * 100;
		return v < 5000 ? 5000 : v > 80000 ? 80000 : v;
	}
	if (strcmp(j->kind, "water") == 0) {  /* 100.00 to 900.00 */
		v = plan + plan * (gen_below(rs, 61) - 30) / 100 + gen_below(rs, 100);
		return v < 10000 ? 10000 : v > 90000 ? 90000 : v;
	}
	/* mobile with some usage over the plan now and then, 35 to 120 */
	v = plan + (gen_permille(rs, 250) ? gen_between(rs, 100, 1500) : 0);
	return v > 12000 ? 12000 : v;
}

static void gen_invoice_id(struct gen_row *r, const struct gen *g, const struct gen_account *a,
			   int month)
{
	int ym = g->first_month + month;

	row_puts(r, "I-");
	row_puts(r, a->stem);
	row_put(r, "-", 1);
	row_num(r, (uint64_t)(ym / 12), 4);
	row_num(r, (uint64_t)(ym % 12 + 1), 2);
}

/* The local month index (0 = first invoice month) of a day. */
static int gen_month_of(const struct gen *g, int32_t day)
{
	int y, m, d;

	date_to_ymd(day, &y, &m, &d);
	return y * 12 + m - 1 - g->first_month;
}

/*
 * One payment of `amount` received on local `day` for invoice `inv` (NULL:
 * names none). The received_at form varies as it does between payment
 * channels: UTC instants, instants with the zone's standard offset, and bare
 * dates (local midnight). Returns 0 when it would be received after --now
 * (not written: it has not happened yet).
 */
static int gen_payment(struct gen *g, uint64_t *rs, const struct gen_account *a,
		       const struct gen_invoice *inv, int32_t day, int64_t amount, char suffix)
{
	const struct gen_juris *j = a->j;
	struct gen_row *r = &g->row;
	int64_t secs = gen_between(rs, 7 * 3600, 22 * 3600 - 1);
	int64_t at = (int64_t)day * 86400 + secs - (int64_t)j->std_offset * 60;
	int form = (int)gen_below(rs, 10), month;
	char text[INSTANT_TEXT_LEN + 8];

	if (at > g->now)
		return 0;
	month = gen_month_of(g, day);
	assert(month >= 0 && month <= g->months);
	row_field(r);
	row_puts(r, "P-");
	row_puts(r, a->stem);
	row_put(r, "-", 1);
	row_num(r, (uint64_t)((g->first_month + inv->month) / 12), 4);
	row_num(r, (uint64_t)((g->first_month + inv->month) % 12 + 1), 2);
	if (suffix)
		row_put(r, &suffix, 1);
	row_field(r);
	row_put(r, "A-", 2);
	row_puts(r, a->stem);
	row_field(r);
	if (form < 5) {
		instant_format(at, text);
		row_put(r, text, INSTANT_TEXT_LEN);
	} else if (form < 8) {
		int off = j->std_offset < 0 ? -j->std_offset : j->std_offset;

		instant_format(at + (int64_t)j->std_offset * 60, text);
		row_put(r, text, INSTANT_TEXT_LEN - 1);
		row_put(r, j->std_offset < 0 ? "-" : "+", 1);
		row_num(r, (uint64_t)(off / 60), 2);
		row_put(r, ":", 1);
		row_num(r, (uint64_t)(off % 60), 2);
	} else {
		date_format(day, text);
		row_put(r, text, DATE_TEXT_LEN);
	}
	row_amount(r, amount, j->exponent);
	row_text(r, j->methods[gen_below(rs, 3)]);
	row_field(r);
	/* A catch-up payment (suffix) covers several invoices: it names none. */
	if (gen_permille(rs, 650) && !suffix)
		gen_invoice_id(r, g, a, inv->month);
	gen_emit(g, g->pay_spill[month], F_PAYMENTS);
	return 1;
}

static void gen_ledger(struct gen *g, uint64_t *rs, struct gen_account *a, int32_t today)
{
	const struct gen_juris *j = a->j;
	struct gen_row *r = &g->row;
	int64_t plan = gen_plan(rs, j), habit_roll = gen_below(rs, 1000);
	enum gen_habit habit;
	int cycle = (int)gen_between(rs, 1, 28), stop = g->months;
	int64_t owed_extra = 0;     /* what a partial payer still owes */

	habit = habit_roll < 640 ? HABIT_PUNCTUAL : habit_roll < 810 ? HABIT_LATE :
		habit_roll < 890 ? HABIT_PARTIAL : habit_roll < 950 ? HABIT_STOPPED :
		habit_roll < 980 ? HABIT_IRREGULAR : HABIT_NEVER;
	if (habit == HABIT_STOPPED)
		stop = g->months - 1 - (int)gen_below(rs, g->months < 5 ? g->months : 5);

	for (int m = 0; m < g->months; m++) {
		struct gen_invoice *inv = &a->inv[m];
		int ym = g->first_month + m;
		int rc = date_from_ymd(ym / 12, ym % 12 + 1, cycle, &inv->issued_on);

		assert(rc == CALTIME_OK);
		(void)rc;
		inv->due_on = inv->issued_on + j->due_days;
		inv->amount = gen_month_amount(rs, j, plan);
		inv->month = m;

		row_field(r);
		gen_invoice_id(r, g, a, m);
		row_field(r);
		row_put(r, "A-", 2);
		row_puts(r, a->stem);
		row_date(r, inv->issued_on);
		row_date(r, inv->due_on);
		row_amount(r, inv->amount, j->exponent);
		gen_emit(g, g->inv_spill[m], F_INVOICES);
	}

	for (int m = 0; m < g->months; m++) {
		const struct gen_invoice *inv = &a->inv[m];
		int32_t day = inv->due_on - (int32_t)gen_between(rs, 0, 12);
		int64_t part;

		if (day <= inv->issued_on)
			day = inv->issued_on + 1;
		switch (habit) {
		case HABIT_PUNCTUAL:
			gen_payment(g, rs, a, inv, day, inv->amount, 0);
			break;
		case HABIT_LATE:
			gen_payment(g, rs, a, inv, inv->due_on + (int32_t)gen_between(rs, 1, 50),
				    inv->amount, 0);
			break;
		case HABIT_PARTIAL:
			part = inv->amount * gen_between(rs, 4, 9) / 10;
			if (j->exponent == 0)
				part = part / 100 * 100;
			if (part <= 0)
				part = inv->amount;
			if (gen_payment(g, rs, a, inv, day, part, 0))
				owed_extra += inv->amount - part;
			/* now and then the rest, later and naming no invoice */
			if (owed_extra > 0 && gen_permille(rs, 450) &&
			    gen_payment(g, rs, a, inv, day + (int32_t)gen_between(rs, 10, 40),
					owed_extra, 'b'))
				owed_extra = 0;
			break;
		case HABIT_STOPPED:
			if (m < stop)
				gen_payment(g, rs, a, inv, day + (int32_t)gen_between(rs, 0, 20),
					    inv->amount, 0);
			break;
		case HABIT_IRREGULAR:
			if (gen_permille(rs, 700))
				gen_payment(g, rs, a, inv, inv->due_on + (int32_t)gen_between(rs, 5, 70),
					    inv->amount, 0);
			break;
		case HABIT_NEVER:
			break;
		}
	}

	/* A few credit notes: goodwill, billing errors, outages. */
	if (gen_permille(rs, 15)) {
		int m = (int)gen_below(rs, g->months);
		const struct gen_invoice *inv = &a->inv[m];
		int32_t day = inv->issued_on + (int32_t)gen_between(rs, 3, 25);
		int64_t amount = inv->amount * gen_between(rs, 1, 10) / 10;

		if (j->exponent == 0)
			amount = amount / 100 * 100;
		/* before the UTC date of --now: in effect in every zone by then */
		if (day < today && amount > 0) {
			row_field(r);
			row_puts(r, "CN-");
			row_puts(r, a->stem);
			row_put(r, "-1", 2);
			row_field(r);
			row_put(r, "A-", 2);
			row_puts(r, a->stem);
			row_field(r);
			if (gen_permille(rs, 700))
				gen_invoice_id(r, g, a, m);
			row_date(r, day);
			row_amount(r, amount, j->exponent);
			row_text(r, j->reasons[gen_below(rs, 3)]);
			gen_emit(g, g->out[F_CREDIT_NOTES], F_CREDIT_NOTES);
		}
	}
}

/* ---- one customer ---------------------------------------------------------- */

static void gen_customer(struct gen *g, int64_t number, int32_t today)
{
	static struct gen_account acct;
	uint64_t state = g->seed * UINT64_C(0xd1342543de82ef95) + (uint64_t)number;
	uint64_t *rs = &state;
	struct gen_row *r = &g->row;
	const struct gen_juris *j = &gen_juris[0];
	const struct gen_name *first, *last;
	int64_t pick;
	int business, n_accounts;
	char phone[24] = "", user[32], id[24], name[128];

	gen_next(rs);   /* decorrelate neighbouring customers */
	pick = gen_below(rs, 1000);
	for (size_t i = 0; i < GEN_N_JURIS; i++) {
		j = &gen_juris[i];
		if (pick < j->weight)
			break;
		pick -= j->weight;
	}
	/* Drawn all the same: the rest of the customer stays as without the
	 * option. */
	if (g->only != NULL)
		j = g->only;
	first = &j->first[gen_below(rs, GEN_NAMES)];
	last = &j->last[gen_below(rs, GEN_NAMES)];
	business = gen_permille(rs, 130);
	n_accounts = gen_permille(rs, business ? 150 : 15) ? 2 : 1;
	snprintf(id, sizeof(id), "%s-%07lld", j->code, (long long)number);

	/* customers.csv */
	row_field(r);
	row_puts(r, "C-");
	row_puts(r, id);
	if (business) {
		const struct gen_firm *f = &j->firms[gen_below(rs, 3)];

		snprintf(name, sizeof(name), "%s%s%s", f->before, last->text, f->after);
	} else {
		snprintf(name, sizeof(name), "%s %s", first->text, last->text);
	}
	row_text(r, name);
	row_text(r, j->alt_locale && gen_permille(rs, 200) ? j->alt_locale : j->locale);
	row_text(r, j->zone);
	row_text(r, j->code);
	if (gen_permille(rs, 970))
		gen_phone(rs, j, phone, sizeof(phone));
	row_text(r, phone);
	row_field(r);
	if (gen_permille(rs, business ? 950 : 820)) {
		if (business) {
			row_puts(r, "contact.");
			row_puts(r, last->ascii);
		} else {
			row_puts(r, first->ascii);
			row_put(r, ".", 1);
			row_puts(r, last->ascii);
		}
		row_num(r, (uint64_t)gen_below(rs, 1000), 0);
		row_put(r, "@", 1);
		row_puts(r, j->email_domain);
	}
	row_text(r, business ? "business" : "residential");
	gen_emit(g, g->out[F_CUSTOMERS], F_CUSTOMERS);
	snprintf(user, sizeof(user), "%c%s", first->ascii[0], last->ascii);

	for (int k = 1; k <= n_accounts; k++) {
		int n_services = gen_permille(rs, 200) ? 2 : 1;

		acct.j = j;
		if (k == 1)
			snprintf(acct.stem, sizeof(acct.stem), "%s", id);
		else
			snprintf(acct.stem, sizeof(acct.stem), "%s-%d", id, k);

		row_field(r);
		row_put(r, "A-", 2);
		row_puts(r, acct.stem);
		row_field(r);
		row_puts(r, "C-");
		row_puts(r, id);
		row_text(r, j->currency);
		gen_emit(g, g->out[F_ACCOUNTS], F_ACCOUNTS);

		for (int s = 1; s <= n_services; s++) {
			char ident[96];

			gen_identifier(rs, j, phone, user, ident, sizeof(ident));
			row_field(r);
			row_put(r, "S-", 2);
			row_puts(r, acct.stem);
			row_put(r, "-", 1);
			row_num(r, (uint64_t)s, 0);
			row_field(r);
			row_put(r, "A-", 2);
			row_puts(r, acct.stem);
			row_text(r, j->kind);
			row_text(r, ident);
			row_text(r, j->adapter);
			gen_emit(g, g->out[F_SERVICES], F_SERVICES);
		}
		gen_ledger(g, rs, &acct, today);
	}
}

/* ---- files --------------------------------------------------------------- */

/* mkdir -p: the bench keeps its data under build/bench/data. */
static int gen_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -1;
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return -1;
		path[i] = i == len ? '\0' : '/';
	}
	return 0;
}

static FILE *gen_spill(char **buf)
{
	FILE *f = tmpfile();

	if (f == NULL)
		return NULL;
	*buf = malloc(GEN_SPILL_BUFFER);
	if (*buf != NULL)
		setvbuf(f, *buf, _IOFBF, GEN_SPILL_BUFFER);
	return f;
}

/* Appends a spilled month to its file, then closes the spill. */
static int gen_drain(FILE **spill, FILE *to, char *chunk, size_t size)
{
	size_t n;
	int rc = 0;

	if (fflush(*spill) != 0 || fseek(*spill, 0, SEEK_SET) != 0)
		rc = -1;
	while (rc == 0 && (n = fread(chunk, 1, size, *spill)) > 0)
		if (fwrite(chunk, 1, n, to) != n)
			rc = -1;
	if (ferror(*spill))
		rc = -1;
	fclose(*spill);
	*spill = NULL;
	return rc;
}

static int gen_open(struct gen *g)
{
	for (int k = 0; k < F_COUNT; k++) {
		int n1 = snprintf(g->final_path[k], PATH_MAX, "%s/%s", g->dir, gen_file_names[k]);
		int n2 = snprintf(g->tmp_path[k], PATH_MAX, "%s/%s.tmp", g->dir, gen_file_names[k]);

		if (n1 < 0 || n2 < 0 || n1 >= PATH_MAX || n2 >= PATH_MAX)
			return cmd_fail(EXIT_USAGE, "generate: %s: path too long", g->dir);
		g->out[k] = fopen(g->tmp_path[k], "w");
		if (g->out[k] == NULL)
			return cmd_fail(EXIT_RUNTIME, "%s: %s", g->tmp_path[k], strerror(errno));
		g->bufs[k] = malloc(GEN_BUFFER);
		if (g->bufs[k] != NULL)
			setvbuf(g->out[k], g->bufs[k], _IOFBF, GEN_BUFFER);
		if (fputs(gen_headers[k], g->out[k]) == EOF)
			return cmd_fail(EXIT_RUNTIME, "%s: %s", g->tmp_path[k], strerror(errno));
	}
	for (int m = 0; m <= g->months; m++) {
		if (m < g->months &&
		    (g->inv_spill[m] = gen_spill(&g->spill_bufs[2 * m])) == NULL)
			return cmd_fail(EXIT_RUNTIME, "generate: temporary file: %s", strerror(errno));
		if ((g->pay_spill[m] = gen_spill(&g->spill_bufs[2 * m + 1])) == NULL)
			return cmd_fail(EXIT_RUNTIME, "generate: temporary file: %s", strerror(errno));
	}
	return 0;
}

/* Concatenates the spills and renames every file into place. */
static int gen_finish(struct gen *g)
{
	char *chunk = malloc(GEN_BUFFER);
	int status = 0;

	if (chunk == NULL)
		return cmd_fail(EXIT_RUNTIME, "out of memory");
	for (int m = 0; m <= g->months && status == 0; m++) {
		if ((m < g->months &&
		     gen_drain(&g->inv_spill[m], g->out[F_INVOICES], chunk, GEN_BUFFER) != 0) ||
		    gen_drain(&g->pay_spill[m], g->out[F_PAYMENTS], chunk, GEN_BUFFER) != 0)
			status = cmd_fail(EXIT_RUNTIME, "generate: temporary file: %s",
					  strerror(errno));
	}
	free(chunk);
	for (int k = 0; k < F_COUNT && status == 0; k++) {
		int rc = fclose(g->out[k]);

		g->out[k] = NULL;
		if (rc != 0 || rename(g->tmp_path[k], g->final_path[k]) != 0)
			status = cmd_fail(EXIT_RUNTIME, "%s: %s", g->final_path[k],
					  strerror(errno));
	}
	return status;
}

static void gen_release(struct gen *g)
{
	for (int k = 0; k < F_COUNT; k++) {
		if (g->out[k] != NULL) {
			fclose(g->out[k]);
			remove(g->tmp_path[k]);
		}
		free(g->bufs[k]);
	}
	for (int m = 0; m <= GEN_MAX_MONTHS; m++) {
		if (m < GEN_MAX_MONTHS && g->inv_spill[m] != NULL)
			fclose(g->inv_spill[m]);
		if (g->pay_spill[m] != NULL)
			fclose(g->pay_spill[m]);
	}
	for (int i = 0; i < 2 * GEN_MAX_MONTHS + 1; i++)
		free(g->spill_bufs[i]);
}

/* ---- the command ------------------------------------------------------------ */

/* A whole decimal number in [lo, hi] (strtoll with the end checked). */
static int gen_number(const char *opt, const char *text, long long lo, long long hi,
		      long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return cmd_fail(EXIT_USAGE, "generate: %s '%s' must be a whole number from "
				"%lld to %lld", opt, text, lo, hi);
	*out = v;
	return 0;
}

#define GEN_USAGE "generate DIR [--customers N] [--seed N] [--months N] [--jurisdiction CODE]"

static int gen_args(struct gen *g, int argc, char **argv)
{
	static const char *const opts[] = { "--customers", "--seed", "--months" };
	static const long long lo[] = { 1, 0, 1 };
	static const long long hi[] = { GEN_MAX_CUSTOMERS, LLONG_MAX, GEN_MAX_MONTHS };
	long long values[] = { 5000, 1, 12 };

	g->only = NULL;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *value = NULL;
		int k, got = 0;

		for (k = 0; k < 3 && (got = cmd_option(argc, argv, &i, opts[k], &value)) == 0; k++)
			;
		if (got < 0)
			return cmd_fail(EXIT_USAGE, "generate: %s needs a value", opts[k]);
		if (got > 0) {
			if (gen_number(opts[k], value, lo[k], hi[k], &values[k]) != 0)
				return EXIT_USAGE;
			continue;
		}
		if ((got = cmd_option(argc, argv, &i, "--jurisdiction", &value)) != 0) {
			if (got < 0)
				return cmd_fail(EXIT_USAGE, "generate: --jurisdiction needs a value");
			for (size_t j = 0; j < GEN_N_JURIS && g->only == NULL; j++)
				if (strcmp(gen_juris[j].code, value) == 0)
					g->only = &gen_juris[j];
			if (g->only == NULL)
				return cmd_fail(EXIT_USAGE, "generate: --jurisdiction '%s' is none of "
						"BI, BR, FR, UA, QC", value);
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return cmd_fail(EXIT_USAGE, "generate: unknown option '%s' (usage: relance "
					GEN_USAGE ")", arg);
		} else if (g->dir != NULL) {
			return cmd_fail(EXIT_USAGE, "generate: one directory only ('%s' and '%s')",
					g->dir, arg);
		} else {
			g->dir = arg;
		}
	}
	if (g->dir == NULL)
		return cmd_fail(EXIT_USAGE, "usage: relance " GEN_USAGE);
	g->customers = values[0];
	g->seed = (uint64_t)values[1];
	g->months = (int)values[2];
	return 0;
}

int cmd_generate(struct cmd_ctx *ctx, int argc, char **argv)
{
	static struct gen g;
	int32_t today;
	int y, m, d, status;

	memset(&g, 0, sizeof(g));
	if ((status = gen_args(&g, argc, argv)) != 0)
		return status;
	g.now = ctx->now;
	/* The UTC date is close enough to pick the months: every invoice is at
	 * least a day old in any zone, and payments are checked against now. */
	today = instant_utc_day(ctx->now);
	date_to_ymd(today, &y, &m, &d);
	g.first_month = y * 12 + m - 1 - g.months;
	if (g.first_month < 12 * 1971)
		return cmd_fail(EXIT_USAGE, "generate: --now is too early for %d months", g.months);
	for (size_t i = 0; i < GEN_N_JURIS; i++)
		if (money_currency_exponent(gen_juris[i].currency, &gen_juris[i].exponent) !=
		    MONEY_OK)
			return cmd_fail(EXIT_RUNTIME, "generate: ICU does not know %s",
					gen_juris[i].currency);

	if (gen_mkdirs(g.dir) != 0) {
		status = cmd_fail(EXIT_RUNTIME, "generate: %s: %s", g.dir, strerror(errno));
		goto out;
	}
	if ((status = gen_open(&g)) != 0)
		goto out;
	for (int64_t i = 1; i <= g.customers && !g.write_failed; i++)
		gen_customer(&g, i, today);
	if (g.write_failed) {
		status = cmd_fail(EXIT_RUNTIME, "generate: writing into %s: %s", g.dir,
				  strerror(errno));
		goto out;
	}
	if ((status = gen_finish(&g)) != 0)
		goto out;
	fprintf(stderr, "%s: %lld customers, %lld accounts, %lld services, %lld invoices, "
		"%lld payments, %lld credit notes\n", g.dir, (long long)g.count[F_CUSTOMERS],
		(long long)g.count[F_ACCOUNTS], (long long)g.count[F_SERVICES],
		(long long)g.count[F_INVOICES], (long long)g.count[F_PAYMENTS],
		(long long)g.count[F_CREDIT_NOTES]);
out:
	gen_release(&g);
	return status;
}
