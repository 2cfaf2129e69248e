/*
 * validate — syntax checks of the text fields an import accepts.
 * Each returns 1 when valid, 0 otherwise; none allocates.
 */
#ifndef RELANCE_VALIDATE_H
#define RELANCE_VALIDATE_H

#include <stddef.h>

/* Non-empty, no control characters, no leading or trailing space. */
int validate_id(const char *s, size_t len);
/* E.164: '+', a non-zero digit, then 1 to 14 more digits. */
int validate_e164(const char *s, size_t len);
/* One '@' between a non-empty local part and a dotted domain, no spaces. */
int validate_email(const char *s, size_t len);
/* A well-formed BCP 47 tag as ICU parses it whole ("fr-BI", "pt-BR", "uk-UA"). */
int validate_bcp47(const char *s, size_t len);

#endif
