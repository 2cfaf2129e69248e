/*
 * sms — which alphabet a text needs, how many parts it is sent in, and the
 * bytes of each part.
 *
 * GSM 03.38 (3GPP TS 23.038) default alphabet: 160 septets in a single
 * message, 153 per part of a concatenated one (the user data header takes
 * seven); a character of the extension table (^ { } \ [ ] ~ | € and form
 * feed) costs two septets, escape included, and is never split across two
 * parts. Any character outside both tables makes the whole text UCS-2:
 * 70 UTF-16 units single, 67 per part, a surrogate pair never split.
 *
 * ICU puts U+00A0 and U+202F (and U+2009, U+2007) in formatted amounts; the
 * SMS channel sends them as plain spaces, so they count as a GSM-7 space
 * here and sms_split writes them as U+0020 in either alphabet.
 *
 * sms_measure and sms_split walk a text with the same code, so the segment
 * count a policy check shows is the number of parts actually sent.
 */
#ifndef RELANCE_SMS_H
#define RELANCE_SMS_H

#include <stddef.h>
#include <stdint.h>

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

/* SMPP data_coding of an encoding: 0 (SMSC default alphabet, which SMSCs
 * take as GSM-7) or 8 (UCS-2). */
uint8_t sms_data_coding(enum sms_encoding e);

/* esm_class bit saying short_message starts with a user data header. */
#define SMS_ESM_UDHI 0x40

/* Largest part: 160 unpacked septets (one octet each, the usual SMPP
 * convention); a concatenated part is 6 + 153 octets of GSM-7 or
 * 6 + 134 octets of UCS-2. */
#define SMS_PART_MAX 160

/* More than this many parts cannot be numbered by an 8-bit UDH. */
#define SMS_PARTS_MAX 255

/* sms_split errors (sms_measure keeps returning -1 for bad UTF-8). */
#define SMS_EUTF8 (-1)       /* the text is not valid UTF-8 */
#define SMS_ETOO_MANY (-2)   /* more parts than the caller's array or 255 */

/*
 * One part as submit_sm carries it: short_message = data[0..len), with the
 * 6-octet concatenation UDH (05 00 03 ref total seq) first when the text
 * needs more than one part, in which case esm_class has SMS_ESM_UDHI.
 */
struct sms_part {
	uint8_t data_coding;
	uint8_t esm_class;
	size_t len;
	unsigned char data[SMS_PART_MAX];
};

/*
 * Splits UTF-8 text s[0..len) into the parts[0..*nparts) to submit, ref
 * being the concatenation reference the caller picked for this message
 * (the same for all its parts). parts is the caller's array of cap entries.
 * Returns 0; SMS_EUTF8 (*nparts untouched); SMS_ETOO_MANY with *nparts set
 * to the parts the text needs (parts[] then holds nothing meaningful). An
 * empty text is one empty part.
 */
int sms_split(const char *s, size_t len, uint8_t ref, struct sms_part *parts, size_t cap,
	      size_t *nparts);

#endif
