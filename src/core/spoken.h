/*
 * spoken — amounts and dates written out in words, so that a speech
 * synthesiser says them as a person would. espeak-ng reads "129,90 R$" as
 * digits and symbols, and "1 серпня" as "один серпня"; a voice prompt must
 * hear "cento e vinte e nove reais e noventa centavos" and "першого серпня".
 *
 * Languages: French, Portuguese (Brazilian forms), Ukrainian, English; the
 * language is the primary subtag of a BCP 47 locale ("fr-BI", "pt-BR",
 * "uk-UA"), anything else is English. fr-BE and fr-CH say septante and
 * nonante; fr-CA says "cennes" for the cents of a dollar (espeak-ng reads
 * the written "cents" as the French word for hundreds).
 *
 * Amounts are integer minor units (no floating point: this is a money
 * path), major part up to SPOKEN_MAX_MAJOR. Every function writes UTF-8
 * into buf (NUL-terminated) and returns its byte length, or a negative
 * enum spoken_err with buf "". No I/O, no global state: thread-safe.
 */
#ifndef RELANCE_SPOKEN_H
#define RELANCE_SPOKEN_H

#include <stddef.h>
#include <stdint.h>

enum spoken_err {
	SPOKEN_OK = 0,
	SPOKEN_BUFFER = -1,     /* buf too small (SPOKEN_MAX always suffices) */
	SPOKEN_RANGE = -2,      /* beyond SPOKEN_MAX_MAJOR, or a day outside years 1..9999 */
	SPOKEN_CURRENCY = -3,   /* no words for this currency (spoken_currencies) */
	SPOKEN_EXPONENT = -4,   /* minor units the currency's words cannot say */
};

enum spoken_gender { SPOKEN_MASCULINE, SPOKEN_FEMININE, SPOKEN_NEUTER };

#define SPOKEN_MAX_MAJOR 999999999999LL   /* just under a trillion */
#define SPOKEN_MAX 1024                   /* bytes that hold any result */

/* Flags. Accusative: Ukrainian "сплатіть одну гривню" rather than the
 * nominative "одна гривня"; no effect in the other languages. */
#define SPOKEN_ACCUSATIVE 1u

/* A short English phrase for an error code. */
const char *spoken_strerror(int err);

/* The currencies that have words, space-separated: "BIF BRL CAD EUR UAH USD". */
const char *spoken_currencies(void);

/*
 * The cardinal n (|n| <= SPOKEN_MAX_MAJOR) in words, agreeing with a noun
 * of gender g: "vingt et une", "duas mil", "двадцять одна тисяча".
 */
int spoken_number(const char *locale, int64_t n, enum spoken_gender g, unsigned flags,
		  char *buf, size_t size);

/*
 * `minor` units of ISO 4217 `currency`, whose exponent (decimals, from
 * money_currency_exponent) is `exponent`: "12500" BIF (0) is "douze mille
 * cinq cents francs burundais"; 35050 UAH (2) "триста п'ятдесят гривень
 * п'ятдесят копійок". A zero minor part is not said; a zero major part is
 * not said when there are minor units. Negative amounts begin with
 * "moins"/"menos"/"мінус"/"minus".
 */
int spoken_amount(const char *locale, int64_t minor, const char *currency, int exponent,
		  unsigned flags, char *buf, size_t size);

/*
 * A date (day number, caltime.h): "1er août 2024", "1º de agosto de 2024",
 * "першого серпня дві тисячі двадцять четвертого року", "August 1st, 2024".
 * French and Portuguese keep the digits, which espeak-ng reads right;
 * Ukrainian is all words (the day and the year are genitive ordinals) and
 * English days are ordinals, which it would otherwise read as cardinals.
 */
int spoken_date(const char *locale, int32_t day, char *buf, size_t size);

#endif
