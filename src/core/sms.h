/*
 * sms — which alphabet a text needs and how many parts it is sent in.
 *
 * GSM 03.38 (3GPP TS 23.038) default alphabet: 160 septets in a single
 * message, 153 per part of a concatenated one (the user data header takes
 * seven); a character of the extension table (^ { } \ [ ] ~ | € and form
 * feed) costs two septets, escape included, and is never split across two
 * parts. Any character outside both tables makes the whole text UCS-2:
 * 70 UTF-16 units single, 67 per part, a surrogate pair never split.
 *
 * ICU puts U+00A0 and U+202F (and U+2009) in formatted amounts; the SMS
 * channel sends them as plain spaces, so they count as a GSM-7 space here.
 */
#ifndef RELANCE_SMS_H
#define RELANCE_SMS_H

#include <stddef.h>

enum sms_encoding { SMS_GSM7 = 0, SMS_UCS2 = 1 };

struct sms_measure {
	enum sms_encoding encoding;
	size_t units;     /* septets (GSM-7) or UTF-16 code units (UCS-2) */
	size_t segments;  /* 1 for an empty text */
	size_t chars;     /* Unicode code points */
};

/* Measures UTF-8 text s[0..len). Returns 0, or -1 when s is not valid UTF-8
 * (out is then untouched). */
int sms_measure(const char *s, size_t len, struct sms_measure *out);

/* "GSM-7" or "UCS-2". */
const char *sms_encoding_name(enum sms_encoding e);

#endif
