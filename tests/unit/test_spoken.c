/*
 * spoken: numbers, amounts and dates in words, per language.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/core/caltime.h"
#include "../../src/core/money.h"
#include "../../src/core/spoken.h"

static void num_is(const char *locale, int64_t n, enum spoken_gender g, unsigned flags,
		   const char *want)
{
	char buf[SPOKEN_MAX];
	int rc = spoken_number(locale, n, g, flags, buf, sizeof(buf));

	cr_assert_eq(rc, (int)strlen(want), "%s %lld: rc %d, got '%s', want '%s'", locale,
		     (long long)n, rc, buf, want);
	cr_expect_str_eq(buf, want, "%s %lld", locale, (long long)n);
}

#define M(loc, n, want) num_is(loc, n, SPOKEN_MASCULINE, 0, want)
#define FEM(loc, n, want) num_is(loc, n, SPOKEN_FEMININE, 0, want)

/* The amount in its file form, parsed with the currency's ICU exponent. */
static void amount_is(const char *locale, const char *text, const char *currency,
		      unsigned flags, const char *want)
{
	char buf[SPOKEN_MAX];
	int exponent, rc;
	int64_t minor;

	cr_assert_eq(money_currency_exponent(currency, &exponent), MONEY_OK);
	cr_assert_eq(money_parse(text, strlen(text), exponent, &minor), MONEY_OK, "%s", text);
	rc = spoken_amount(locale, minor, currency, exponent, flags, buf, sizeof(buf));
	cr_assert_gt(rc, 0, "%s %s %s: %s", locale, text, currency, spoken_strerror(rc));
	cr_expect_str_eq(buf, want, "%s %s %s", locale, text, currency);
	cr_expect_eq(rc, (int)strlen(buf));
}

#define A(loc, text, cur, want) amount_is(loc, text, cur, 0, want)

static void date_is(const char *locale, const char *ymd, const char *want)
{
	char buf[SPOKEN_MAX];
	int32_t day;
	int rc;

	cr_assert_eq(date_parse(ymd, strlen(ymd), &day), CALTIME_OK);
	rc = spoken_date(locale, day, buf, sizeof(buf));
	cr_assert_gt(rc, 0, "%s %s", locale, ymd);
	cr_expect_str_eq(buf, want, "%s %s", locale, ymd);
}

Test(spoken, french_numbers)
{
	M("fr-FR", 0, "zéro");
	M("fr-FR", 1, "un");
	M("fr-FR", 2, "deux");
	M("fr-FR", 16, "seize");
	M("fr-FR", 17, "dix-sept");
	M("fr-FR", 21, "vingt et un");
	M("fr-FR", 22, "vingt-deux");
	M("fr-FR", 31, "trente et un");
	M("fr-FR", 61, "soixante et un");
	M("fr-FR", 70, "soixante-dix");
	M("fr-FR", 71, "soixante et onze");
	M("fr-FR", 72, "soixante-douze");
	M("fr-FR", 77, "soixante-dix-sept");
	M("fr-FR", 80, "quatre-vingts");
	M("fr-FR", 81, "quatre-vingt-un");
	M("fr-FR", 90, "quatre-vingt-dix");
	M("fr-FR", 91, "quatre-vingt-onze");
	M("fr-FR", 99, "quatre-vingt-dix-neuf");
	M("fr-FR", 100, "cent");
	M("fr-FR", 101, "cent un");
	M("fr-FR", 180, "cent quatre-vingts");
	M("fr-FR", 200, "deux cents");
	M("fr-FR", 201, "deux cent un");
	M("fr-FR", 280, "deux cent quatre-vingts");
	M("fr-FR", 1000, "mille");
	M("fr-FR", 1001, "mille un");
	M("fr-FR", 2000, "deux mille");
	M("fr-FR", 12500, "douze mille cinq cents");
	M("fr-FR", 21000, "vingt et un mille");
	/* before the invariable "mille": no s; before the nouns million(s): s */
	M("fr-FR", 80000, "quatre-vingt mille");
	M("fr-FR", 200000, "deux cent mille");
	M("fr-FR", 1000000, "un million");
	M("fr-FR", 2000000, "deux millions");
	M("fr-FR", 80000000, "quatre-vingts millions");
	M("fr-FR", 200000000, "deux cents millions");
	M("fr-FR", 2001000, "deux millions mille");
	M("fr-FR", 999999999, "neuf cent quatre-vingt-dix-neuf millions neuf cent "
	  "quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf");
	M("fr-FR", 1000000000, "un milliard");
	M("fr-FR", 3000000001, "trois milliards un");
	M("fr-FR", -5, "moins cinq");
	FEM("fr-FR", 1, "une");
	FEM("fr-FR", 21, "vingt et une");
	FEM("fr-FR", 81, "quatre-vingt-une");
	FEM("fr-FR", 1001, "mille une");
	/* million is a masculine noun whatever follows */
	FEM("fr-FR", 1000000, "un million");
}

Test(spoken, belgian_and_swiss_french)
{
	M("fr-BE", 70, "septante");
	M("fr-BE", 71, "septante et un");
	M("fr-CH", 77, "septante-sept");
	M("fr-BE", 80, "quatre-vingts");
	M("fr-BE", 90, "nonante");
	M("fr-BE", 91, "nonante et un");
	M("fr-CH", 1997, "mille neuf cent nonante-sept");
	/* Burundi, France, Québec: soixante-dix */
	M("fr-BI", 70, "soixante-dix");
	M("fr-CA", 91, "quatre-vingt-onze");
}

Test(spoken, portuguese_numbers)
{
	M("pt-BR", 0, "zero");
	M("pt-BR", 1, "um");
	M("pt-BR", 2, "dois");
	M("pt-BR", 14, "catorze");
	M("pt-BR", 16, "dezesseis");
	M("pt-BR", 19, "dezenove");
	M("pt-BR", 21, "vinte e um");
	M("pt-BR", 71, "setenta e um");
	M("pt-BR", 80, "oitenta");
	M("pt-BR", 81, "oitenta e um");
	M("pt-BR", 91, "noventa e um");
	M("pt-BR", 100, "cem");
	M("pt-BR", 101, "cento e um");
	M("pt-BR", 110, "cento e dez");
	M("pt-BR", 129, "cento e vinte e nove");
	M("pt-BR", 200, "duzentos");
	M("pt-BR", 500, "quinhentos");
	M("pt-BR", 1000, "mil");
	M("pt-BR", 1001, "mil e um");
	M("pt-BR", 1100, "mil e cem");
	M("pt-BR", 1101, "mil cento e um");
	M("pt-BR", 1234, "mil duzentos e trinta e quatro");
	M("pt-BR", 2000, "dois mil");
	M("pt-BR", 2500, "dois mil e quinhentos");
	M("pt-BR", 21000, "vinte e um mil");
	M("pt-BR", 100000, "cem mil");
	M("pt-BR", 101000, "cento e um mil");
	M("pt-BR", 1000000, "um milhão");
	M("pt-BR", 2000000, "dois milhões");
	M("pt-BR", 1000001, "um milhão e um");
	M("pt-BR", 1200000, "um milhão e duzentos mil");
	M("pt-BR", 1234567, "um milhão duzentos e trinta e quatro mil quinhentos e sessenta e sete");
	M("pt-BR", 1000000000, "um bilhão");
	M("pt-BR", 2000000000, "dois bilhões");
	FEM("pt-BR", 1, "uma");
	FEM("pt-BR", 2, "duas");
	FEM("pt-BR", 22, "vinte e duas");
	FEM("pt-BR", 200, "duzentas");
	FEM("pt-BR", 2000, "duas mil");
	FEM("pt-BR", 202000, "duzentas e duas mil");
	/* milhão is masculine: its multiplier does not agree */
	FEM("pt-BR", 2000000, "dois milhões");
	FEM("pt-BR", 200000000, "duzentos milhões");
}

Test(spoken, ukrainian_numbers)
{
	M("uk-UA", 0, "нуль");
	M("uk-UA", 1, "один");
	FEM("uk-UA", 1, "одна");
	num_is("uk-UA", 1, SPOKEN_NEUTER, 0, "одне");
	num_is("uk-UA", 1, SPOKEN_FEMININE, SPOKEN_ACCUSATIVE, "одну");
	M("uk-UA", 2, "два");
	FEM("uk-UA", 2, "дві");
	M("uk-UA", 5, "п'ять");
	M("uk-UA", 11, "одинадцять");
	M("uk-UA", 21, "двадцять один");
	FEM("uk-UA", 21, "двадцять одна");
	M("uk-UA", 40, "сорок");
	M("uk-UA", 71, "сімдесят один");
	M("uk-UA", 80, "вісімдесят");
	M("uk-UA", 81, "вісімдесят один");
	M("uk-UA", 90, "дев'яносто");
	M("uk-UA", 91, "дев'яносто один");
	M("uk-UA", 100, "сто");
	M("uk-UA", 101, "сто один");
	M("uk-UA", 200, "двісті");
	M("uk-UA", 350, "триста п'ятдесят");
	M("uk-UA", 1000, "одна тисяча");
	M("uk-UA", 2000, "дві тисячі");
	M("uk-UA", 4000, "чотири тисячі");
	M("uk-UA", 5000, "п'ять тисяч");
	M("uk-UA", 11000, "одинадцять тисяч");
	M("uk-UA", 12000, "дванадцять тисяч");
	M("uk-UA", 21000, "двадцять одна тисяча");
	M("uk-UA", 22000, "двадцять дві тисячі");
	M("uk-UA", 25000, "двадцять п'ять тисяч");
	M("uk-UA", 1000000, "один мільйон");
	FEM("uk-UA", 1000000, "один мільйон");
	M("uk-UA", 2000000, "два мільйони");
	M("uk-UA", 5000000, "п'ять мільйонів");
	M("uk-UA", 1000000000, "один мільярд");
	M("uk-UA", 999999999, "дев'ятсот дев'яносто дев'ять мільйонів дев'ятсот дев'яносто "
	  "дев'ять тисяч дев'ятсот дев'яносто дев'ять");
	num_is("uk-UA", 1000, SPOKEN_MASCULINE, SPOKEN_ACCUSATIVE, "одну тисячу");
	num_is("uk-UA", 21000, SPOKEN_MASCULINE, SPOKEN_ACCUSATIVE, "двадцять одну тисячу");
	num_is("uk-UA", 2000, SPOKEN_MASCULINE, SPOKEN_ACCUSATIVE, "дві тисячі");
	M("uk", -3, "мінус три");
}

Test(spoken, english_numbers_and_other_locales)
{
	M("en-US", 0, "zero");
	M("en-US", 1, "one");
	M("en-US", 21, "twenty-one");
	M("en-US", 71, "seventy-one");
	M("en-US", 80, "eighty");
	M("en-US", 101, "one hundred one");
	M("en-US", 1000, "one thousand");
	M("en-US", 2000, "two thousand");
	M("en-US", 12500, "twelve thousand five hundred");
	M("en-US", 1000000, "one million");
	M("en-US", 999999999, "nine hundred ninety-nine million nine hundred ninety-nine "
	  "thousand nine hundred ninety-nine");
	M("en-US", 999999999999, "nine hundred ninety-nine billion nine hundred ninety-nine "
	  "million nine hundred ninety-nine thousand nine hundred ninety-nine");
	/* unknown, odd or missing locales speak English */
	M("de-DE", 21, "twenty-one");
	M("rn-BI", 21, "twenty-one");
	M("", 21, "twenty-one");
	M(NULL, 21, "twenty-one");
	M("frx", 21, "twenty-one");
	M("FR_fr", 21, "vingt et un");
}

Test(spoken, brazilian_amounts)
{
	A("pt-BR", "129.90", "BRL", "cento e vinte e nove reais e noventa centavos");
	A("pt-BR", "1.00", "BRL", "um real");
	A("pt-BR", "2", "BRL", "dois reais");
	A("pt-BR", "0.01", "BRL", "um centavo");
	A("pt-BR", "0.50", "BRL", "cinquenta centavos");
	A("pt-BR", "1.01", "BRL", "um real e um centavo");
	A("pt-BR", "0", "BRL", "zero reais");
	A("pt-BR", "1000000", "BRL", "um milhão de reais");
	A("pt-BR", "2000000.10", "BRL", "dois milhões de reais e dez centavos");
	A("pt-BR", "1500000", "BRL", "um milhão e quinhentos mil reais");
	A("pt-BR", "2.02", "UAH", "duas grívnias e dois copeques");
	A("pt-BR", "200000", "UAH", "duzentas mil grívnias");
	A("pt-BR", "10.05", "EUR", "dez euros e cinco centavos");
	A("pt-BR", "1.99", "USD", "um dólar e noventa e nove centavos");
	A("pt-BR", "12500", "BIF", "doze mil e quinhentos francos burundianos");
}

Test(spoken, french_amounts)
{
	A("fr-BI", "12500", "BIF", "douze mille cinq cents francs burundais");
	A("fr-BI", "1", "BIF", "un franc burundais");
	A("fr-BI", "0", "BIF", "zéro franc burundais");
	A("fr-BI", "1000000", "BIF", "un million de francs burundais");
	A("fr-FR", "1000000", "EUR", "un million d'euros");
	A("fr-FR", "29.99", "EUR", "vingt-neuf euros et quatre-vingt-dix-neuf centimes");
	A("fr-FR", "1.01", "EUR", "un euro et un centime");
	A("fr-FR", "0.80", "EUR", "quatre-vingts centimes");
	A("fr-FR", "1.50", "USD", "un dollar et cinquante centimes");
	A("fr-CA", "85.50", "CAD", "quatre-vingt-cinq dollars et cinquante cennes");
	A("fr-CA", "0.01", "CAD", "une cenne");
	A("fr-CA", "0.21", "USD", "vingt et une cennes");
	A("fr-FR", "21", "UAH", "vingt et une hryvnias");
	A("fr-FR", "129.90", "BRL", "cent vingt-neuf réals et quatre-vingt-dix centavos");
	A("fr-FR", "-5", "EUR", "moins cinq euros");
}

Test(spoken, ukrainian_amounts)
{
	A("uk-UA", "350.50", "UAH", "триста п'ятдесят гривень п'ятдесят копійок");
	A("uk-UA", "1.01", "UAH", "одна гривня одна копійка");
	A("uk-UA", "2.02", "UAH", "дві гривні дві копійки");
	A("uk-UA", "5.05", "UAH", "п'ять гривень п'ять копійок");
	A("uk-UA", "11.11", "UAH", "одинадцять гривень одинадцять копійок");
	A("uk-UA", "21", "UAH", "двадцять одна гривня");
	A("uk-UA", "0.12", "UAH", "дванадцять копійок");
	A("uk-UA", "1000", "UAH", "одна тисяча гривень");
	A("uk-UA", "1001", "UAH", "одна тисяча одна гривня");
	A("uk-UA", "1000000", "UAH", "один мільйон гривень");
	A("uk-UA", "0", "UAH", "нуль гривень");
	A("uk-UA", "101", "USD", "сто один долар");
	A("uk-UA", "3.03", "USD", "три долари три центи");
	A("uk-UA", "5", "EUR", "п'ять євро");
	A("uk-UA", "1.01", "BRL", "один реал одне сентаво");
	A("uk-UA", "12500", "BIF", "дванадцять тисяч п'ятсот бурундійських франків");
	A("uk-UA", "2", "BIF", "два бурундійські франки");
	amount_is("uk-UA", "1", "UAH", SPOKEN_ACCUSATIVE, "одну гривню");
	amount_is("uk-UA", "21.01", "UAH", SPOKEN_ACCUSATIVE, "двадцять одну гривню одну копійку");
	amount_is("uk-UA", "2", "UAH", SPOKEN_ACCUSATIVE, "дві гривні");
	amount_is("uk-UA", "1", "USD", SPOKEN_ACCUSATIVE, "один долар");
}

Test(spoken, english_amounts)
{
	A("en-US", "129.90", "BRL", "one hundred twenty-nine reais and ninety centavos");
	A("en-US", "1", "USD", "one dollar");
	A("en-US", "0.01", "USD", "one cent");
	A("en-CA", "100.00", "CAD", "one hundred dollars");
	A("en-GB", "0", "EUR", "zero euros");
	A("en", "1.50", "UAH", "one hryvnia and fifty kopecks");
	A("en", "12500", "BIF", "twelve thousand five hundred Burundian francs");
	A("de-DE", "1", "EUR", "one euro");
	A("en", "1000000", "USD", "one million dollars");
}

Test(spoken, amount_errors)
{
	char buf[SPOKEN_MAX], small[8];

	cr_expect_eq(spoken_amount("fr", 100, "GBP", 2, 0, buf, sizeof(buf)), SPOKEN_CURRENCY);
	cr_expect_str_eq(buf, "");
	cr_expect_eq(spoken_amount("fr", 100, NULL, 2, 0, buf, sizeof(buf)), SPOKEN_CURRENCY);
	/* BIF has no minor unit to say */
	cr_expect_eq(spoken_amount("fr", 150, "BIF", 2, 0, buf, sizeof(buf)), SPOKEN_EXPONENT);
	cr_expect_eq(spoken_amount("fr", 100, "BIF", 2, 0, buf, sizeof(buf)),
		     (int)strlen("un franc burundais"));
	cr_expect_eq(spoken_amount("fr", 1, "EUR", 7, 0, buf, sizeof(buf)), SPOKEN_EXPONENT);
	/* the largest major part, then one minor unit more */
	cr_expect_gt(spoken_amount("fr", 99999999999999, "EUR", 2, 0, buf, sizeof(buf)), 0);
	cr_expect_eq(spoken_amount("fr", 100000000000000, "EUR", 2, 0, buf, sizeof(buf)),
		     SPOKEN_RANGE);
	cr_expect_eq(spoken_amount("fr", INT64_MIN, "EUR", 2, 0, buf, sizeof(buf)), SPOKEN_RANGE);
	cr_expect_eq(spoken_amount("fr", INT64_MAX, "BIF", 0, 0, buf, sizeof(buf)), SPOKEN_RANGE);
	cr_expect_eq(spoken_number("fr", SPOKEN_MAX_MAJOR + 1, SPOKEN_MASCULINE, 0, buf,
				   sizeof(buf)), SPOKEN_RANGE);
	cr_expect_eq(spoken_number("fr", -SPOKEN_MAX_MAJOR - 1, SPOKEN_MASCULINE, 0, buf,
				   sizeof(buf)), SPOKEN_RANGE);
	/* a buffer too small is an error with an empty text, never a cut one */
	cr_expect_eq(spoken_amount("fr", 1290, "EUR", 2, 0, small, sizeof(small)), SPOKEN_BUFFER);
	cr_expect_str_eq(small, "");
	cr_expect_eq(spoken_number("fr", 1, SPOKEN_MASCULINE, 0, small, 3), 2);
	cr_expect_eq(spoken_number("fr", 1, SPOKEN_MASCULINE, 0, small, 2), SPOKEN_BUFFER);
	cr_expect_str_neq(spoken_strerror(SPOKEN_RANGE), spoken_strerror(SPOKEN_CURRENCY));
}

/* The longest texts fit SPOKEN_MAX in every language. */
Test(spoken, longest_fit)
{
	static const char *const locales[] = { "fr", "pt", "uk", "en" };
	char buf[SPOKEN_MAX];

	for (size_t i = 0; i < 4; i++) {
		cr_expect_gt(spoken_amount(locales[i], -77777777777777, "UAH", 2, 0, buf,
					   sizeof(buf)), 0, "%s", locales[i]);
		cr_expect_gt(spoken_amount(locales[i], -99999999999999, "BRL", 2, 0, buf,
					   sizeof(buf)), 0, "%s", locales[i]);
		cr_expect_gt(spoken_date(locales[i], DATE_MAX - 31 + 28, buf, sizeof(buf)), 0);
	}
}

Test(spoken, dates)
{
	date_is("fr-FR", "2024-08-01", "1er août 2024");
	date_is("fr-BI", "2024-02-29", "29 février 2024");
	date_is("fr-CA", "2024-12-02", "2 décembre 2024");
	date_is("pt-BR", "2024-08-01", "1º de agosto de 2024");
	date_is("pt-BR", "2024-03-15", "15 de março de 2024");
	date_is("uk-UA", "2024-08-01", "першого серпня дві тисячі двадцять четвертого року");
	date_is("uk-UA", "2000-01-11", "одинадцятого січня двохтисячного року");
	date_is("uk-UA", "1999-12-31",
		"тридцять першого грудня тисяча дев'ятсот дев'яносто дев'ятого року");
	date_is("uk-UA", "2010-05-20", "двадцятого травня дві тисячі десятого року");
	date_is("uk-UA", "2100-03-03", "третього березня дві тисячі сотого року");
	date_is("uk-UA", "2040-07-07", "сьомого липня дві тисячі сорокового року");
	date_is("en-US", "2024-08-01", "August 1st, 2024");
	date_is("en-US", "2024-08-02", "August 2nd, 2024");
	date_is("en-US", "2024-08-03", "August 3rd, 2024");
	date_is("en-US", "2024-08-04", "August 4th, 2024");
	date_is("en-US", "2024-08-11", "August 11th, 2024");
	date_is("en-US", "2024-08-12", "August 12th, 2024");
	date_is("en-US", "2024-08-13", "August 13th, 2024");
	date_is("en-US", "2024-08-21", "August 21st, 2024");
	date_is("en-US", "2024-08-22", "August 22nd, 2024");
	date_is("en-US", "2024-08-23", "August 23rd, 2024");
	date_is("en-US", "2024-08-31", "August 31st, 2024");
	date_is("xx", "2024-01-30", "January 30th, 2024");
}

Test(spoken, date_range)
{
	char buf[SPOKEN_MAX];

	cr_expect_eq(spoken_date("fr", DATE_MAX + 1, buf, sizeof(buf)), SPOKEN_RANGE);
	cr_expect_eq(spoken_date("fr", DATE_MIN - 1, buf, sizeof(buf)), SPOKEN_RANGE);
	cr_expect_gt(spoken_date("uk", DATE_MIN, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "першого січня першого року");
	cr_expect_gt(spoken_date("uk", DATE_MAX, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "тридцять першого грудня дев'ять тисяч дев'ятсот дев'яносто "
			 "дев'ятого року");
}
