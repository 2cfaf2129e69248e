/*
 * validate — see validate.h.
 */
#include <string.h>
#include <unicode/uloc.h>

#include "validate.h"

int validate_id(const char *s, size_t len)
{
	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ')
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int validate_e164(const char *s, size_t len)
{
	if (len < 3 || len > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int validate_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len), *dot;
	size_t local, domain;

	if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return 0;
	local = (size_t)(at - s);
	domain = len - local - 1;
	if (local == 0 || local > 64 || domain < 3 || len > 254)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == ',' || s[i] == ';')
			return 0;
	dot = memchr(at + 1, '.', domain);
	return dot != NULL && dot != at + 1 && at[domain] != '.';
}

int validate_bcp47(const char *s, size_t len)
{
	char tag[128], out[ULOC_FULLNAME_CAPACITY];
	int32_t parsed = 0;
	UErrorCode status = U_ZERO_ERROR;

	if (len == 0 || len >= sizeof(tag) || memchr(s, '_', len) != NULL)
		return 0;
	memcpy(tag, s, len);
	tag[len] = '\0';
	uloc_forLanguageTag(tag, out, (int32_t)sizeof(out), &parsed, &status);
	return U_SUCCESS(status) && parsed == (int32_t)len && out[0] != '\0';
}
