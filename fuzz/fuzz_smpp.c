/*
 * Fuzz target: SMPP PDU framing and decoding, delivery receipt text, and
 * the SMS splitter. Invariants checked beyond "no crash":
 *  - framing and decoding agree on where a PDU ends;
 *  - a decoded PDU encodes, and decoding that gives back the same PDU;
 *  - a parsed receipt's id is a non-empty string, its text within the input;
 *  - the splitter makes as many parts as sms_measure counts, each within
 *    160 octets.
 * The input is walked as a stream of PDUs, the way a session reads one.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/chan/smpp/pdu.h"
#include "../src/core/sms.h"

static void check_receipt(const uint8_t *s, size_t len)
{
	struct smpp_receipt r;

	if (smpp_receipt_parse(s, len, &r) != SMPP_OK)
		return;
	if (r.id[0] == '\0' || memchr(r.id, 0, sizeof(r.id)) == NULL)
		abort();
	if (r.has_text && (r.text_off > len || r.text_len != len - r.text_off))
		abort();
	if (r.stat < SMPP_STAT_ENROUTE || r.stat > SMPP_STAT_REJECTD)
		abort();
}

static void check_pdu(const struct smpp_pdu *p)
{
	static uint8_t buf[SMPP_PDU_MAX];
	struct smpp_pdu back;
	size_t len, used2;

	if (smpp_encode(p, buf, sizeof(buf), &len) != SMPP_OK)
		abort();
	if (smpp_decode(buf, len, &back, &used2) != SMPP_OK || used2 != len)
		abort();
	if (back.h.command_id != p->h.command_id ||
	    back.h.command_status != p->h.command_status ||
	    back.h.sequence_number != p->h.sequence_number)
		abort();
	/* An error bind_transceiver_resp or submit_sm_resp is encoded without
	 * the body the input may have carried. */
	if (!(p->h.command_status != SMPP_ESME_ROK &&
	      (p->h.command_id == SMPP_BIND_TRANSCEIVER_RESP ||
	       p->h.command_id == SMPP_SUBMIT_SM_RESP)) &&
	    memcmp(&back.u, &p->u, sizeof(back.u)) != 0)
		abort();
	if (p->h.command_id == SMPP_DELIVER_SM || p->h.command_id == SMPP_SUBMIT_SM)
		check_receipt(p->u.sm.short_message, p->u.sm.sm_length);
}

static void check_split(const uint8_t *data, size_t size)
{
	static struct sms_part parts[SMS_PARTS_MAX];
	struct sms_measure m;
	size_t n;
	int rc;

	rc = sms_split((const char *)data, size, 7, parts, SMS_PARTS_MAX, &n);
	if (sms_measure((const char *)data, size, &m) != 0) {
		if (rc != SMS_EUTF8)
			abort();
		return;
	}
	if (rc == SMS_EUTF8 || n != m.segments)
		abort();
	if (rc != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len > SMS_PART_MAX || parts[i].data_coding != sms_data_coding(m.encoding))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	while (pos < size) {
		struct smpp_pdu p;
		size_t need, used = 0;
		int rc;

		if (smpp_pdu_need(data + pos, size - pos, &need) != SMPP_OK)
			break;
		rc = smpp_decode(data + pos, size - pos, &p, &used);
		if (need > size - pos) {
			if (rc != SMPP_ETRUNCATED)
				abort();
			break;
		}
		if (rc == SMPP_ETRUNCATED || used != need)
			abort();
		if (rc == SMPP_OK)
			check_pdu(&p);
		pos += used;
	}
	check_receipt(data, size);
	if (size <= 4096)
		check_split(data, size);
	return 0;
}
