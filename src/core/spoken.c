/*
 * spoken — numbers, amounts and dates in words (spoken.h).
 *
 * A number is said group by group (billions, millions, thousands, units,
 * each 0..999); the rules of each language live in its group speller and
 * in how groups are joined:
 *   French: "et" only in 21..71 (vingt et un ... soixante et onze); "cents"
 *     and "quatre-vingts" take their s at the end of a number or before
 *     million/milliard (nouns) but not before "mille" (invariable); 1000 is
 *     "mille", never "un mille".
 *   Portuguese: "e" inside a group (cento e vinte e nove); between groups
 *     only before the last one when it is below 100 or a round hundred
 *     (mil e cem, mil duzentos e trinta); 100 is "cem", 101 "cento e um";
 *     thousands and units agree with a feminine noun (duzentas mil grívnias),
 *     millions do not (milhão is a masculine noun).
 *   Ukrainian: the noun after a number is singular for 1 (not 11),
 *     nominative plural for 2..4 (not 12..14), genitive plural otherwise,
 *     for тисяча, мільйон, мільярд and the currency alike; 1 and 2 agree
 *     in gender (один/одна/одне, два/дві).
 * Round millions take "de" before the currency in French and Portuguese
 * (un million d'euros, dois milhões de reais).
 *
 * Output goes through `struct out`, which never writes past its buffer and
 * remembers an overflow, so the spellers need no error paths.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "caltime.h"
#include "spoken.h"

enum lang { EN, FR, PT, UK, N_LANGS };

struct loc {
	enum lang lang;
	int septante;           /* fr-BE, fr-CH */
	int canada;             /* fr-CA: "cennes" */
};

struct out {
	char *buf;
	size_t size, len;
	int over;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->over || o->len + n + 1 > o->size) {
		o->over = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* A word, after a space unless it is the first. */
static void word(struct out *o, const char *s)
{
	if (o->len > 0)
		put(o, " ");
	put(o, s);
}

static int finish(struct out *o)
{
	if (o->over) {
		if (o->size > 0)
			o->buf[0] = '\0';
		return SPOKEN_BUFFER;
	}
	return (int)o->len;
}

static void out_init(struct out *o, char *buf, size_t size)
{
	o->buf = buf;
	o->size = size;
	o->len = 0;
	o->over = 0;
	if (size > 0)
		buf[0] = '\0';
}

/* The primary subtag decides the language; the region only a few words. */
static void loc_of(const char *locale, struct loc *l)
{
	char lang[4] = "", region[4] = "";
	size_t i = 0, j = 0;

	memset(l, 0, sizeof(*l));
	l->lang = EN;
	if (locale == NULL)
		return;
	while (locale[i] != '\0' && locale[i] != '-' && locale[i] != '_') {
		if (i >= 3)
			return;
		lang[i] = (char)(locale[i] | 0x20);
		i++;
	}
	lang[i] = '\0';
	if (locale[i] != '\0') {
		i++;
		while (j < 3 && locale[i + j] != '\0' && locale[i + j] != '-' && locale[i + j] != '_') {
			region[j] = (char)(locale[i + j] & ~0x20);
			j++;
		}
		region[j] = '\0';
	}
	if (strcmp(lang, "fr") == 0 || strcmp(lang, "fra") == 0) {
		l->lang = FR;
		l->septante = strcmp(region, "BE") == 0 || strcmp(region, "CH") == 0;
		l->canada = strcmp(region, "CA") == 0;
	} else if (strcmp(lang, "pt") == 0 || strcmp(lang, "por") == 0) {
		l->lang = PT;
	} else if (strcmp(lang, "uk") == 0 || strcmp(lang, "ukr") == 0) {
		l->lang = UK;
	}
}

/* ---- English ---------------------------------------------------------- */

static const char *const en_units[20] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
	"eighteen", "nineteen",
};
static const char *const en_tens[10] = {
	"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
};

/* 1..999, American style: "one hundred one". */
static void en_group(struct out *o, int n)
{
	int h = n / 100, r = n % 100;

	if (h) {
		word(o, en_units[h]);
		word(o, "hundred");
	}
	if (r == 0)
		return;
	if (r < 20) {
		word(o, en_units[r]);
	} else {
		word(o, en_tens[r / 10]);
		if (r % 10) {
			put(o, "-");
			put(o, en_units[r % 10]);
		}
	}
}

/* ---- French ----------------------------------------------------------- */

static const char *const fr_units[20] = {
	"zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
	"onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit",
	"dix-neuf",
};
static const char *const fr_tens[10] = {
	"", "dix", "vingt", "trente", "quarante", "cinquante", "soixante", "septante",
	"quatre-vingt", "nonante",
};

/* 1..99. plural_ok: "quatre-vingts" may take its s (not before "mille"). */
static void fr_below100(struct out *o, const struct loc *l, int r, int fem, int plural_ok)
{
	const char *one = fem ? "une" : "un";
	int t = r / 10, u = r % 10;

	assert(r > 0 && r < 100);
	if (r < 20) {
		word(o, r == 1 ? one : fr_units[r]);
		return;
	}
	if (t == 8) {
		word(o, "quatre-vingt");
		if (u == 0) {
			if (plural_ok)
				put(o, "s");
		} else {
			put(o, "-");
			put(o, u == 1 ? one : fr_units[u]);
		}
		return;
	}
	if ((t == 7 || t == 9) && !l->septante) {
		/* 70..79 and 90..99 count on from soixante and quatre-vingt. */
		word(o, t == 7 ? "soixante" : "quatre-vingt");
		if (t == 7 && u == 1) {
			put(o, " et onze");
		} else {
			put(o, "-");
			put(o, fr_units[10 + u]);
		}
		return;
	}
	word(o, fr_tens[t]);
	if (u == 1) {
		put(o, " et ");
		put(o, one);
	} else if (u) {
		put(o, "-");
		put(o, fr_units[u]);
	}
}

static void fr_group(struct out *o, const struct loc *l, int n, int fem, int plural_ok)
{
	int h = n / 100, r = n % 100;

	if (h) {
		if (h > 1)
			word(o, fr_units[h]);
		word(o, "cent");
		if (h > 1 && r == 0 && plural_ok)
			put(o, "s");
	}
	if (r)
		fr_below100(o, l, r, fem, plural_ok);
}

/* ---- Portuguese ------------------------------------------------------- */

static const char *const pt_units[20] = {
	"zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez",
	"onze", "doze", "treze", "catorze", "quinze", "dezesseis", "dezessete", "dezoito",
	"dezenove",
};
static const char *const pt_tens[10] = {
	"", "", "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta",
	"noventa",
};
static const char *const pt_hundreds[2][10] = {
	{ "", "cento", "duzentos", "trezentos", "quatrocentos", "quinhentos", "seiscentos",
	  "setecentos", "oitocentos", "novecentos" },
	{ "", "cento", "duzentas", "trezentas", "quatrocentas", "quinhentas", "seiscentas",
	  "setecentas", "oitocentas", "novecentas" },
};

static const char *pt_unit(int u, int fem)
{
	if (fem && u == 1)
		return "uma";
	if (fem && u == 2)
		return "duas";
	return pt_units[u];
}

static void pt_group(struct out *o, int n, int fem)
{
	int h = n / 100, r = n % 100;

	if (n == 100) {
		word(o, "cem");
		return;
	}
	if (h)
		word(o, pt_hundreds[fem][h]);
	if (r == 0)
		return;
	if (h)
		word(o, "e");
	if (r < 20) {
		word(o, pt_unit(r, fem));
	} else {
		word(o, pt_tens[r / 10]);
		if (r % 10) {
			word(o, "e");
			word(o, pt_unit(r % 10, fem));
		}
	}
}

/* ---- Ukrainian -------------------------------------------------------- */

static const char *const uk_units[20] = {
	"нуль", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять",
	"десять", "одинадцять", "дванадцять", "тринадцять", "чотирнадцять", "п'ятнадцять",
	"шістнадцять", "сімнадцять", "вісімнадцять", "дев'ятнадцять",
};
static const char *const uk_tens[10] = {
	"", "", "двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят", "сімдесят",
	"вісімдесят", "дев'яносто",
};
static const char *const uk_hundreds[10] = {
	"", "сто", "двісті", "триста", "чотириста", "п'ятсот", "шістсот", "сімсот", "вісімсот",
	"дев'ятсот",
};

/* 0: one (1, 21, 101...), 1: few (2..4, 22...), 2: many (0, 5..20, 11..14...). */
static int uk_form(int64_t n)
{
	int64_t r100 = n % 100, r10 = n % 10;

	if (r100 >= 11 && r100 <= 14)
		return 2;
	if (r10 == 1)
		return 0;
	if (r10 >= 2 && r10 <= 4)
		return 1;
	return 2;
}

static const char *uk_unit(int u, enum spoken_gender g, int acc)
{
	if (u == 1 && g == SPOKEN_FEMININE)
		return acc ? "одну" : "одна";
	if (u == 1 && g == SPOKEN_NEUTER)
		return "одне";
	if (u == 2 && g == SPOKEN_FEMININE)
		return "дві";
	return uk_units[u];
}

static void uk_group(struct out *o, int n, enum spoken_gender g, int acc)
{
	int h = n / 100, r = n % 100;

	if (h)
		word(o, uk_hundreds[h]);
	if (r == 0)
		return;
	if (r < 20) {
		word(o, uk_unit(r, g, acc));
	} else {
		word(o, uk_tens[r / 10]);
		if (r % 10)
			word(o, uk_unit(r % 10, g, acc));
	}
}

/* ---- numbers ---------------------------------------------------------- */

/* n in 0..SPOKEN_MAX_MAJOR. */
static void number(struct out *o, const struct loc *l, int64_t n, enum spoken_gender g,
		   int acc)
{
	int groups[4] = {
		(int)(n / 1000000000), (int)(n / 1000000 % 1000), (int)(n / 1000 % 1000),
		(int)(n % 1000),
	};
	int fem = g == SPOKEN_FEMININE, last = -1, first = 1;

	assert(n >= 0 && n <= SPOKEN_MAX_MAJOR);
	if (n == 0) {
		static const char *const zero[N_LANGS] = { "zero", "zéro", "zero", "нуль" };

		word(o, zero[l->lang]);
		return;
	}
	for (int i = 0; i < 4; i++)
		if (groups[i])
			last = i;
	for (int i = 0; i < 4; i++) {
		int v = groups[i];

		if (v == 0)
			continue;
		switch (l->lang) {
		case EN: {
			static const char *const big[3] = { "billion", "million", "thousand" };

			en_group(o, v);
			if (i < 3)
				word(o, big[i]);
			break;
		}
		case FR:
			if (i < 2) {
				fr_group(o, l, v, 0, 1);
				word(o, i == 0 ? "milliard" : "million");
				if (v > 1)
					put(o, "s");
			} else if (i == 2) {
				if (v > 1)
					fr_group(o, l, v, fem, 0);
				word(o, "mille");
			} else {
				fr_group(o, l, v, fem, 1);
			}
			break;
		case PT:
			if (!first && i == last && (v < 100 || v % 100 == 0))
				word(o, "e");
			if (i < 2) {
				pt_group(o, v, 0);
				word(o, i == 0 ? (v == 1 ? "bilhão" : "bilhões")
					       : (v == 1 ? "milhão" : "milhões"));
			} else if (i == 2) {
				if (v > 1)
					pt_group(o, v, fem);
				word(o, "mil");
			} else {
				pt_group(o, v, fem);
			}
			break;
		case UK: {
			static const char *const big[3][3] = {
				{ "мільярд", "мільярди", "мільярдів" },
				{ "мільйон", "мільйони", "мільйонів" },
				{ "тисяча", "тисячі", "тисяч" },
			};
			int f = uk_form(v);

			if (i < 2) {
				uk_group(o, v, SPOKEN_MASCULINE, 0);
				word(o, big[i][f]);
			} else if (i == 2) {
				uk_group(o, v, SPOKEN_FEMININE, acc);
				word(o, acc && f == 0 ? "тисячу" : big[2][f]);
			} else {
				uk_group(o, v, g, acc);
			}
			break;
		}
		default:
			assert(0);
		}
		first = 0;
	}
}

int spoken_number(const char *locale, int64_t n, enum spoken_gender g, unsigned flags,
		  char *buf, size_t size)
{
	struct loc l;
	struct out o;
	static const char *const minus[N_LANGS] = { "minus", "moins", "menos", "мінус" };

	out_init(&o, buf, size);
	if (n < -SPOKEN_MAX_MAJOR || n > SPOKEN_MAX_MAJOR)
		return SPOKEN_RANGE;
	loc_of(locale, &l);
	if (n < 0) {
		word(&o, minus[l.lang]);
		n = -n;
	}
	number(&o, &l, n, g, (flags & SPOKEN_ACCUSATIVE) != 0);
	return finish(&o);
}

/* ---- currencies ------------------------------------------------------- */

/* A noun after a number: one, few (Ukrainian 2..4), many; accusative
 * singular where it differs (Ukrainian feminine nouns). */
struct noun {
	const char *one, *few, *many, *acc_one;
	enum spoken_gender g;
};

struct currency_words {
	const char *code;
	struct noun major[N_LANGS], minor[N_LANGS];   /* minor.one NULL: no minor unit */
};

#define M SPOKEN_MASCULINE
#define F SPOKEN_FEMININE
#define N SPOKEN_NEUTER
#define DOLLAR \
	{ { "dollar", NULL, "dollars", NULL, M }, { "dollar", NULL, "dollars", NULL, M }, \
	  { "dólar", NULL, "dólares", NULL, M }, { "долар", "долари", "доларів", NULL, M } }
#define DOLLAR_CENTS \
	{ { "cent", NULL, "cents", NULL, M }, { "centime", NULL, "centimes", NULL, M }, \
	  { "centavo", NULL, "centavos", NULL, M }, { "цент", "центи", "центів", NULL, M } }

/* Sorted by code. Names: the currency as a person of that language says
 * it; French "réals" because espeak-ng reads "reais" as English. */
static const struct currency_words currencies[] = {
	{ "BIF",
	  { { "Burundian franc", NULL, "Burundian francs", NULL, M },
	    { "franc burundais", NULL, "francs burundais", NULL, M },
	    { "franco burundiano", NULL, "francos burundianos", NULL, M },
	    { "бурундійський франк", "бурундійські франки", "бурундійських франків", NULL, M } },
	  { { NULL }, { NULL }, { NULL }, { NULL } } },
	{ "BRL",
	  { { "real", NULL, "reais", NULL, M }, { "réal", NULL, "réals", NULL, M },
	    { "real", NULL, "reais", NULL, M }, { "реал", "реали", "реалів", NULL, M } },
	  { { "centavo", NULL, "centavos", NULL, M }, { "centavo", NULL, "centavos", NULL, M },
	    { "centavo", NULL, "centavos", NULL, M }, { "сентаво", "сентаво", "сентаво", NULL, N } } },
	{ "CAD", DOLLAR, DOLLAR_CENTS },
	{ "EUR",
	  { { "euro", NULL, "euros", NULL, M }, { "euro", NULL, "euros", NULL, M },
	    { "euro", NULL, "euros", NULL, M }, { "євро", "євро", "євро", NULL, M } },
	  { { "cent", NULL, "cents", NULL, M }, { "centime", NULL, "centimes", NULL, M },
	    { "centavo", NULL, "centavos", NULL, M }, { "цент", "центи", "центів", NULL, M } } },
	{ "UAH",
	  { { "hryvnia", NULL, "hryvnias", NULL, F }, { "hryvnia", NULL, "hryvnias", NULL, F },
	    { "grívnia", NULL, "grívnias", NULL, F }, { "гривня", "гривні", "гривень", "гривню", F } },
	  { { "kopeck", NULL, "kopecks", NULL, M }, { "kopeck", NULL, "kopecks", NULL, M },
	    { "copeque", NULL, "copeques", NULL, M }, { "копійка", "копійки", "копійок", "копійку", F } } },
	{ "USD", DOLLAR, DOLLAR_CENTS },
};

/* Québec's spoken word for a cent; written "cents", espeak-ng says "sans". */
static const struct noun fr_ca_cent = { "cenne", NULL, "cennes", NULL, F };

#undef M
#undef F
#undef N

const char *spoken_currencies(void)
{
	return "BIF BRL CAD EUR UAH USD";
}

const char *spoken_strerror(int err)
{
	switch (err) {
	case SPOKEN_OK: return "no error";
	case SPOKEN_BUFFER: return "the text does not fit the buffer";
	case SPOKEN_RANGE: return "is out of the range that can be said";
	case SPOKEN_CURRENCY: return "is a currency without spoken words";
	case SPOKEN_EXPONENT: return "has minor units the currency's words cannot say";
	}
	return "unknown error";
}

static const char *noun_form(const struct loc *l, const struct noun *w, int64_t n, int acc)
{
	if (l->lang == UK) {
		int f = uk_form(n);

		if (f == 0)
			return acc && w->acc_one ? w->acc_one : w->one;
		return f == 1 ? w->few : w->many;
	}
	/* French: zéro and un take the singular; English and Portuguese: zero
	 * dollars, zero reais. */
	if (l->lang == FR)
		return n <= 1 ? w->one : w->many;
	return n == 1 ? w->one : w->many;
}

/* Round millions take "de": "um milhão de reais", "un million d'euros". */
static void amount_part(struct out *o, const struct loc *l, int64_t n, const struct noun *w,
			int acc)
{
	const char *noun = noun_form(l, w, n, acc);
	int round = n >= 1000000 && n % 1000000 == 0;

	number(o, l, n, w->g, acc);
	if (round && l->lang == PT) {
		word(o, "de");
	} else if (round && l->lang == FR) {
		int vowel = (noun[0] != '\0' && strchr("aeiouy", noun[0]) != NULL) ||
			    strncmp(noun, "é", strlen("é")) == 0;

		if (vowel) {
			word(o, "d'");
			put(o, noun);
			return;
		}
		word(o, "de");
	}
	word(o, noun);
}

int spoken_amount(const char *locale, int64_t minor, const char *currency, int exponent,
		  unsigned flags, char *buf, size_t size)
{
	static const char *const minus[N_LANGS] = { "minus", "moins", "menos", "мінус" };
	static const char *const and_[N_LANGS] = { "and", "et", "e", NULL };
	const struct currency_words *c = NULL;
	const struct noun *major_w, *minor_w;
	struct loc l;
	struct out o;
	int64_t scale = 1, major, frac;
	int acc = (flags & SPOKEN_ACCUSATIVE) != 0;

	out_init(&o, buf, size);
	if (currency == NULL)
		return SPOKEN_CURRENCY;
	for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (strcmp(currencies[i].code, currency) == 0)
			c = &currencies[i];
	if (c == NULL)
		return SPOKEN_CURRENCY;
	if (exponent < 0 || exponent > 6)
		return SPOKEN_EXPONENT;
	for (int i = 0; i < exponent; i++)
		scale *= 10;
	loc_of(locale, &l);
	major_w = &c->major[l.lang];
	minor_w = &c->minor[l.lang];
	if (l.lang == FR && l.canada && (strcmp(c->code, "CAD") == 0 || strcmp(c->code, "USD") == 0))
		minor_w = &fr_ca_cent;

	/* |minor| / scale <= SPOKEN_MAX_MAJOR, checked without negating
	 * INT64_MIN. */
	if (minor < -(SPOKEN_MAX_MAJOR + 1) * scale + 1 || minor > (SPOKEN_MAX_MAJOR + 1) * scale - 1)
		return SPOKEN_RANGE;
	if (minor < 0) {
		word(&o, minus[l.lang]);
		minor = -minor;
	}
	major = minor / scale;
	frac = minor % scale;
	if (frac != 0 && minor_w->one == NULL)
		return SPOKEN_EXPONENT;
	if (major > 0 || frac == 0)
		amount_part(&o, &l, major, major_w, acc);
	if (frac > 0) {
		if (major > 0 && and_[l.lang] != NULL)
			word(&o, and_[l.lang]);
		amount_part(&o, &l, frac, minor_w, acc);
	}
	return finish(&o);
}

/* ---- dates ------------------------------------------------------------ */

static const char *const months[N_LANGS][12] = {
	{ "January", "February", "March", "April", "May", "June", "July", "August",
	  "September", "October", "November", "December" },
	{ "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
	  "octobre", "novembre", "décembre" },
	{ "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
	  "setembro", "outubro", "novembro", "dezembro" },
	/* genitive: "першого серпня" */
	{ "січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня",
	  "вересня", "жовтня", "листопада", "грудня" },
};

/* Ukrainian masculine ordinals in the genitive ("першого", "двохтисячного"). */
static const char *const uk_ord_units[20] = {
	"", "першого", "другого", "третього", "четвертого", "п'ятого", "шостого", "сьомого",
	"восьмого", "дев'ятого", "десятого", "одинадцятого", "дванадцятого", "тринадцятого",
	"чотирнадцятого", "п'ятнадцятого", "шістнадцятого", "сімнадцятого", "вісімнадцятого",
	"дев'ятнадцятого",
};
static const char *const uk_ord_tens[10] = {
	"", "", "двадцятого", "тридцятого", "сорокового", "п'ятдесятого", "шістдесятого",
	"сімдесятого", "вісімдесятого", "дев'яностого",
};
static const char *const uk_ord_hundreds[10] = {
	"", "сотого", "двохсотого", "трьохсотого", "чотирьохсотого", "п'ятисотого", "шестисотого",
	"семисотого", "восьмисотого", "дев'ятисотого",
};
static const char *const uk_ord_thousands[10] = {
	"", "тисячного", "двохтисячного", "трьохтисячного", "чотирьохтисячного", "п'ятитисячного",
	"шеститисячного", "семитисячного", "восьмитисячного", "дев'ятитисячного",
};

/* 1..9999: the cardinal words with the last one made an ordinal,
 * "дві тисячі двадцять четвертого", "тисяча дев'ятсот дев'яностого". */
static void uk_ordinal(struct out *o, int n)
{
	int th = n / 1000, h = n / 100 % 10, r = n % 100;

	assert(n >= 1 && n <= 9999);
	if (n % 1000 == 0) {
		word(o, uk_ord_thousands[th]);
		return;
	}
	if (th == 1) {
		word(o, "тисяча");
	} else if (th > 1) {
		word(o, uk_unit(th, SPOKEN_FEMININE, 0));
		word(o, th <= 4 ? "тисячі" : "тисяч");
	}
	if (r == 0) {
		word(o, uk_ord_hundreds[h]);
		return;
	}
	if (h)
		word(o, uk_hundreds[h]);
	if (r < 20) {
		word(o, uk_ord_units[r]);
	} else if (r % 10 == 0) {
		word(o, uk_ord_tens[r / 10]);
	} else {
		word(o, uk_tens[r / 10]);
		word(o, uk_ord_units[r % 10]);
	}
}

int spoken_date(const char *locale, int32_t day, char *buf, size_t size)
{
	struct loc l;
	struct out o;
	char num[32];
	int y, m, d;

	out_init(&o, buf, size);
	if (day < DATE_MIN || day > DATE_MAX)
		return SPOKEN_RANGE;
	date_to_ymd(day, &y, &m, &d);
	loc_of(locale, &l);
	switch (l.lang) {
	case FR:
		snprintf(num, sizeof(num), d == 1 ? "1er" : "%d", d);
		word(&o, num);
		word(&o, months[FR][m - 1]);
		snprintf(num, sizeof(num), "%d", y);
		word(&o, num);
		break;
	case PT:
		snprintf(num, sizeof(num), d == 1 ? "1º" : "%d", d);
		word(&o, num);
		snprintf(num, sizeof(num), "de %s de %d", months[PT][m - 1], y);
		word(&o, num);
		break;
	case UK:
		uk_ordinal(&o, d);
		word(&o, months[UK][m - 1]);
		uk_ordinal(&o, y);
		word(&o, "року");
		break;
	default: {
		/* 1st 2nd 3rd 4th ... 11th 12th 13th ... 21st 22nd 23rd ... 31st */
		static const char *const sfx[4] = { "th", "st", "nd", "rd" };
		int k = (d % 10 <= 3 && d / 10 != 1) ? d % 10 : 0;

		word(&o, months[EN][m - 1]);
		snprintf(num, sizeof(num), "%d%s, %d", d, sfx[k], y);
		word(&o, num);
		break;
	}
	}
	return finish(&o);
}
