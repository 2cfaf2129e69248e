/*
 * out — writing fields for people and programs: CSV quoting (RFC 4180),
 * JSON strings, amounts and dates in their file forms.
 */
#ifndef RELANCE_OUT_H
#define RELANCE_OUT_H

#include <stdint.h>
#include <stdio.h>

/* A CSV field, quoted only when it holds a comma, quote, CR or LF. */
void out_csv(FILE *f, const char *s);
/* A JSON string literal with its quotes. */
void out_json(FILE *f, const char *s);
/* An amount in file form ("1234.56") with `exponent` decimals. */
void out_amount(FILE *f, int64_t minor, int exponent);
/* "YYYY-MM-DD", or nothing for POSITION_NO_DATE. */
void out_date(FILE *f, int32_t day);

#endif
