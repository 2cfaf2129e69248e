/*
 * smpp pdu: round trips, exact octets written from the SMPP 3.4 text, every
 * decode error, delivery receipts; sms: GSM-7 / UCS-2 parts and their UDH.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/chan/smpp/pdu.h"
#include "../../src/core/sms.h"

/* smpp_decode on a heap copy of exactly n octets, so that AddressSanitizer
 * catches a read past the end. */
static int dec(const uint8_t *bytes, size_t n, struct smpp_pdu *out, size_t *used)
{
	uint8_t *p = malloc(n ? n : 1);
	int rc;

	cr_assert_not_null(p);
	memcpy(p, bytes, n);
	*used = 0;
	rc = smpp_decode(p, n, out, used);
	free(p);
	return rc;
}

static size_t enc(const struct smpp_pdu *p, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	int rc = smpp_encode(p, buf, cap, &len);

	cr_assert_eq(rc, SMPP_OK, "encode %s: %s", smpp_command_name(p->h.command_id),
		     smpp_strerror(rc));
	return len;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* Encodes, checks command_length, decodes back and compares everything. */
static void round_trip(const struct smpp_pdu *p)
{
	uint8_t buf[1024];
	struct smpp_pdu back;
	size_t len = enc(p, buf, sizeof(buf)), used;
	int rc;

	cr_assert_eq(((size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]), len);
	rc = dec(buf, len, &back, &used);
	cr_assert_eq(rc, SMPP_OK, "%s: %s", smpp_command_name(p->h.command_id), smpp_strerror(rc));
	cr_assert_eq(used, len);
	cr_assert_eq(back.h.command_length, len);
	cr_assert_eq(back.h.command_id, p->h.command_id);
	cr_assert_eq(back.h.command_status, p->h.command_status);
	cr_assert_eq(back.h.sequence_number, p->h.sequence_number);
	cr_assert(memcmp(&back.u, &p->u, sizeof(back.u)) == 0, "%s body differs",
		  smpp_command_name(p->h.command_id));
	/* Every shorter buffer is incomplete, and never read past. */
	for (size_t n = 0; n < len; n++)
		cr_assert_eq(dec(buf, n, &back, &used), SMPP_ETRUNCATED, "prefix %zu", n);
	/* Every shorter command_length is an error, never a crash, unless the
	 * cut falls between optional parameters: then it is the same PDU
	 * without the later ones. */
	for (size_t n = SMPP_HEADER_LEN; n < len; n++) {
		uint8_t cut[1024], again[1024];
		size_t len2;

		memcpy(cut, buf, n);
		put32(cut, (uint32_t)n);
		rc = dec(cut, n, &back, &used);
		if (rc == SMPP_OK) {
			cr_assert(p->h.command_id == SMPP_BIND_TRANSCEIVER_RESP ||
				  p->h.command_id == SMPP_DELIVER_SM, "%s cut at %zu",
				  smpp_command_name(p->h.command_id), n);
			len2 = enc(&back, again, sizeof(again));
			cr_assert_eq(len2, n);
			cr_assert(memcmp(again, cut, n) == 0);
		}
	}
}

static struct smpp_pdu pdu(uint32_t id, uint32_t status, uint32_t seq)
{
	struct smpp_pdu p;

	memset(&p, 0, sizeof(p));
	p.h.command_id = id;
	p.h.command_status = status;
	p.h.sequence_number = seq;
	return p;
}

static struct smpp_pdu bind_pdu(void)
{
	struct smpp_pdu p = pdu(SMPP_BIND_TRANSCEIVER, 0, 1);

	memcpy(p.u.bind.system_id, "relance", 8);
	memcpy(p.u.bind.password, "secret", 7);
	p.u.bind.interface_version = SMPP_INTERFACE_VERSION;
	return p;
}

static struct smpp_pdu submit_pdu(void)
{
	struct smpp_pdu p = pdu(SMPP_SUBMIT_SM, 0, 2);

	p.u.sm.source_addr_ton = 5;
	memcpy(p.u.sm.source_addr, "Relance", 8);
	p.u.sm.dest_addr_ton = 1;
	p.u.sm.dest_addr_npi = 1;
	memcpy(p.u.sm.destination_addr, "380501234567", 13);
	p.u.sm.registered_delivery = 1;
	p.u.sm.sm_length = 5;
	memcpy(p.u.sm.short_message, "Hello", 5);
	return p;
}

Test(smpp, round_trip_every_pdu)
{
	struct smpp_pdu p;

	p = bind_pdu();
	memcpy(p.u.bind.system_type, "VMA", 4);
	p.u.bind.addr_ton = 1;
	p.u.bind.addr_npi = 1;
	memcpy(p.u.bind.address_range, "^380", 5);
	round_trip(&p);
	/* Longest strings allowed: max - 1 characters. */
	memset(p.u.bind.system_id, 'S', SMPP_SYSTEM_ID_MAX - 1);
	memset(p.u.bind.password, 'P', SMPP_PASSWORD_MAX - 1);
	memset(p.u.bind.system_type, 'T', SMPP_SYSTEM_TYPE_MAX - 1);
	memset(p.u.bind.address_range, 'A', SMPP_ADDRESS_RANGE_MAX - 1);
	round_trip(&p);

	p = pdu(SMPP_BIND_TRANSCEIVER_RESP, 0, 1);
	memcpy(p.u.bind_resp.system_id, "SMSC", 5);
	round_trip(&p);
	p.u.bind_resp.has_sc_interface_version = 1;
	p.u.bind_resp.sc_interface_version = 0x34;
	round_trip(&p);

	p = submit_pdu();
	round_trip(&p);
	memcpy(p.u.sm.service_type, "CMT", 4);
	memcpy(p.u.sm.schedule_delivery_time, "241124153000004+", 17);
	memcpy(p.u.sm.validity_period, "000001000000000R", 17);
	p.u.sm.esm_class = SMPP_ESM_UDHI;
	p.u.sm.protocol_id = 0x7f;
	p.u.sm.priority_flag = 3;
	p.u.sm.replace_if_present_flag = 1;
	p.u.sm.data_coding = 8;
	p.u.sm.sm_default_msg_id = 9;
	p.u.sm.sm_length = SMPP_SM_MAX;
	for (int i = 0; i < SMPP_SM_MAX; i++)
		p.u.sm.short_message[i] = (uint8_t)i;
	round_trip(&p);

	p = pdu(SMPP_SUBMIT_SM_RESP, 0, 2);
	memcpy(p.u.sm_resp.message_id, "5f3a-0001", 10);
	round_trip(&p);
	memset(p.u.sm_resp.message_id, '9', SMPP_MESSAGE_ID_MAX - 1);
	round_trip(&p);

	p = submit_pdu();
	p.h.command_id = SMPP_DELIVER_SM;
	p.u.sm.esm_class = SMPP_ESM_RECEIPT;
	round_trip(&p);
	p.u.sm.has_receipted_message_id = 1;
	memcpy(p.u.sm.receipted_message_id, "5f3a-0001", 10);
	p.u.sm.has_message_state = 1;
	p.u.sm.message_state = SMPP_STAT_DELIVRD;
	round_trip(&p);

	p = pdu(SMPP_DELIVER_SM_RESP, 0, 7);
	round_trip(&p);
	p = pdu(SMPP_ENQUIRE_LINK, 0, 0x7fffffff);
	round_trip(&p);
	p = pdu(SMPP_ENQUIRE_LINK_RESP, 0, 8);
	round_trip(&p);
	p = pdu(SMPP_UNBIND, 0, 9);
	round_trip(&p);
	p = pdu(SMPP_UNBIND_RESP, 0, 9);
	round_trip(&p);
	p = pdu(SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, 10);
	round_trip(&p);
}

static void expect_bytes(const struct smpp_pdu *p, const uint8_t *want, size_t n)
{
	uint8_t buf[512];
	struct smpp_pdu back;
	size_t len = enc(p, buf, sizeof(buf)), used;

	cr_assert_eq(len, n, "%s: %zu octets, want %zu", smpp_command_name(p->h.command_id), len, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(buf[i], want[i], "%s octet %zu: %02x, want %02x",
			     smpp_command_name(p->h.command_id), i, buf[i], want[i]);
	cr_assert_eq(dec(want, n, &back, &used), SMPP_OK);
	cr_assert_eq(used, n);
}

Test(smpp, exact_bytes)
{
	static const uint8_t enquire[] = {
		0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	};
	static const uint8_t bind[] = {
		0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x09,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		'r', 'e', 'l', 'a', 'n', 'c', 'e', 0x00,  /* system_id */
		's', 'e', 'c', 'r', 'e', 't', 0x00,       /* password */
		0x00,                                     /* system_type */
		0x34, 0x00, 0x00,                         /* version, ton, npi */
		0x00,                                     /* address_range */
	};
	static const uint8_t submit[] = {
		0x00, 0x00, 0x00, 0x39, 0x00, 0x00, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
		0x00,                                     /* service_type */
		0x05, 0x00, 'R', 'e', 'l', 'a', 'n', 'c', 'e', 0x00,
		0x01, 0x01, '3', '8', '0', '5', '0', '1', '2', '3', '4', '5', '6', '7', 0x00,
		0x00, 0x00, 0x00,                         /* esm_class, protocol_id, priority */
		0x00, 0x00,                               /* schedule, validity */
		0x01, 0x00, 0x00, 0x00,                   /* registered, replace, dc, default id */
		0x05, 'H', 'e', 'l', 'l', 'o',
	};
	static const uint8_t submit_resp[] = {
		0x00, 0x00, 0x00, 0x17, 0x80, 0x00, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
		'a', 'b', 'c', '1', '2', '3', 0x00,
	};
	static const uint8_t bind_resp[] = {
		0x00, 0x00, 0x00, 0x1a, 0x80, 0x00, 0x00, 0x09,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		'S', 'M', 'S', 'C', 0x00,
		0x02, 0x10, 0x00, 0x01, 0x34,             /* sc_interface_version */
	};
	static const uint8_t deliver_resp[] = {
		0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
		0x00,
	};
	static const uint8_t nack[] = {
		0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x00,
	};
	struct smpp_pdu p;

	p = pdu(SMPP_ENQUIRE_LINK, 0, 1);
	expect_bytes(&p, enquire, sizeof(enquire));
	p = bind_pdu();
	expect_bytes(&p, bind, sizeof(bind));
	p = submit_pdu();
	expect_bytes(&p, submit, sizeof(submit));
	p = pdu(SMPP_SUBMIT_SM_RESP, 0, 2);
	memcpy(p.u.sm_resp.message_id, "abc123", 7);
	expect_bytes(&p, submit_resp, sizeof(submit_resp));
	p = pdu(SMPP_BIND_TRANSCEIVER_RESP, 0, 1);
	memcpy(p.u.bind_resp.system_id, "SMSC", 5);
	p.u.bind_resp.has_sc_interface_version = 1;
	p.u.bind_resp.sc_interface_version = 0x34;
	expect_bytes(&p, bind_resp, sizeof(bind_resp));
	p = pdu(SMPP_DELIVER_SM_RESP, 0, 42);
	expect_bytes(&p, deliver_resp, sizeof(deliver_resp));
	p = pdu(SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, 256);
	expect_bytes(&p, nack, sizeof(nack));
}

/* A header with the given length and id, then body octets. */
static size_t raw(uint8_t *b, uint32_t cmdlen, uint32_t id, const void *body, size_t n)
{
	put32(b, cmdlen);
	put32(b + 4, id);
	put32(b + 8, 0);
	put32(b + 12, 77);
	memcpy(b + 16, body, n);
	return 16 + n;
}

#define BODY(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static int dec_raw(uint32_t id, const uint8_t *body, size_t n, struct smpp_pdu *out)
{
	uint8_t b[512];
	size_t used, len = raw(b, (uint32_t)(16 + n), id, body, n);

	return dec(b, len, out, &used);
}

Test(smpp, decode_errors)
{
	uint8_t b[512];
	struct smpp_pdu p;
	size_t used, need;
	uint8_t tail[40];

	/* Short buffers: incomplete, with what framing needs. */
	raw(b, 20, SMPP_SUBMIT_SM_RESP, "abc", 4);
	cr_assert_eq(dec(b, 3, &p, &used), SMPP_ETRUNCATED);
	cr_assert_eq(smpp_pdu_need(b, 3, &need), SMPP_OK);
	cr_assert_eq(need, 16);
	cr_assert_eq(smpp_pdu_need(b, 4, &need), SMPP_OK);
	cr_assert_eq(need, 20);
	cr_assert_eq(dec(b, 19, &p, &used), SMPP_ETRUNCATED);
	cr_assert_eq(p.h.sequence_number, 77);
	cr_assert_eq(dec(b, 20, &p, &used), SMPP_OK);
	cr_assert_str_eq(p.u.sm_resp.message_id, "abc");

	/* command_length out of range, seen from the first 4 octets. */
	raw(b, 15, SMPP_ENQUIRE_LINK, "", 0);
	cr_assert_eq(smpp_pdu_need(b, 4, &need), SMPP_ECMDLEN_SHORT);
	cr_assert_eq(dec(b, 16, &p, &used), SMPP_ECMDLEN_SHORT);
	raw(b, 0, SMPP_ENQUIRE_LINK, "", 0);
	cr_assert_eq(dec(b, 16, &p, &used), SMPP_ECMDLEN_SHORT);
	raw(b, SMPP_PDU_MAX + 1, SMPP_ENQUIRE_LINK, "", 0);
	cr_assert_eq(smpp_pdu_need(b, 4, &need), SMPP_ECMDLEN_LONG);
	cr_assert_eq(dec(b, 16, &p, &used), SMPP_ECMDLEN_LONG);
	raw(b, 0xffffffffu, SMPP_ENQUIRE_LINK, "", 0);
	cr_assert_eq(dec(b, 16, &p, &used), SMPP_ECMDLEN_LONG);

	/* Unknown command: header only, skippable, answered with RINVCMDID. */
	used = 0;
	raw(b, 20, 0x00000103, "abcd", 4);
	cr_assert_eq(dec(b, 20, &p, &used), SMPP_EUNKNOWN_CMD);
	cr_assert_eq(used, 20);
	cr_assert_eq(p.h.command_id, 0x00000103);
	cr_assert_eq(p.h.sequence_number, 77);
	cr_assert_eq(smpp_error_status(SMPP_EUNKNOWN_CMD), SMPP_ESME_RINVCMDID);

	/* A mandatory field past command_length. */
	cr_assert_eq(dec_raw(SMPP_BIND_TRANSCEIVER, BODY('a', 0, 'b', 0, 0, 0x34), &p),
		     SMPP_EBODY_SHORT);
	cr_assert_eq(dec_raw(SMPP_BIND_TRANSCEIVER, BODY('a', 0, 'b', 0, 0), &p),
		     SMPP_EBODY_SHORT);
	cr_assert_eq(dec_raw(SMPP_SUBMIT_SM, BODY(0, 1, 1, '1', 0, 1), &p), SMPP_EBODY_SHORT);
	cr_assert_eq(dec_raw(SMPP_SUBMIT_SM_RESP, BODY(), &p), SMPP_EBODY_SHORT);

	/* Octets after the last field of a PDU without TLVs. */
	cr_assert_eq(dec_raw(SMPP_ENQUIRE_LINK, BODY(0), &p), SMPP_EBODY_LONG);
	cr_assert_eq(dec_raw(SMPP_UNBIND_RESP, BODY(0, 0, 0, 0), &p), SMPP_EBODY_LONG);
	cr_assert_eq(dec_raw(SMPP_SUBMIT_SM_RESP, BODY('1', 0, 'x'), &p), SMPP_EBODY_LONG);
	cr_assert_eq(dec_raw(SMPP_BIND_TRANSCEIVER, BODY('a', 0, 'b', 0, 0, 0x34, 0, 0, 0, 9), &p),
		     SMPP_EBODY_LONG);

	/* C-octet strings: no NUL before the end, or longer than allowed. */
	cr_assert_eq(dec_raw(SMPP_SUBMIT_SM_RESP, BODY('1', '2', '3'), &p), SMPP_ESTR_UNTERMINATED);
	cr_assert_eq(dec_raw(SMPP_SUBMIT_SM, BODY('C', 'M', 'T'), &p), SMPP_ESTR_UNTERMINATED);
	memset(tail, 'S', sizeof(tail));
	tail[16] = 0;   /* system_id of 16 characters + NUL: one too many */
	cr_assert_eq(dec_raw(SMPP_BIND_TRANSCEIVER, tail, sizeof(tail), &p), SMPP_ESTR_TOO_LONG);
	tail[15] = 0;   /* 15 + NUL fits; password then too long */
	cr_assert_eq(dec_raw(SMPP_BIND_TRANSCEIVER, tail, sizeof(tail), &p), SMPP_ESTR_TOO_LONG);
	cr_assert_eq(dec_raw(SMPP_SUBMIT_SM, BODY('C', 'M', 'T', 'X', 'Y', 'Z', 0, 0), &p),
		     SMPP_ESTR_TOO_LONG);

	/* sm_length past the end, and above 254. */
	{
		struct smpp_pdu s = submit_pdu();
		size_t len;

		len = enc(&s, b, sizeof(b));
		b[len - 6] = 6;   /* sm_length 6 with 5 octets left */
		cr_assert_eq(dec(b, len, &p, &used), SMPP_ESM_LENGTH);
		cr_assert_eq(used, len);
		b[len - 6] = 255;
		cr_assert_eq(dec(b, len, &p, &used), SMPP_ESM_LENGTH);
		cr_assert_eq(smpp_error_status(SMPP_ESM_LENGTH), SMPP_ESME_RINVMSGLEN);
	}

	/* TLVs: truncated header, value past the end, a known tag's bad length. */
	{
		struct smpp_pdu s = submit_pdu();
		size_t len = enc(&s, b, sizeof(b));
		static const uint8_t bad[][6] = {
			{ 0x14, 0x27, 0x00, 0x00, 0, 0 },          /* 3 stray octets */
			{ 0x14, 0x27, 0x00, 0x05, 0x01, 0x00 },    /* value of 5, 2 left */
			{ 0x04, 0x27, 0x00, 0x02, 0x01, 0x02 },    /* message_state of 2 */
			{ 0x00, 0x1e, 0x00, 0x02, 'a', 'b' },      /* receipted id without NUL */
		};
		static const size_t n[] = { 3, 6, 6, 6 };

		for (size_t i = 0; i < 4; i++) {
			memcpy(b + len, bad[i], n[i]);
			put32(b, (uint32_t)(len + n[i]));
			cr_assert_eq(dec(b, len + n[i], &p, &used), SMPP_ETLV, "case %zu", i);
		}
		/* An unknown TLV is skipped; its length still checked above. */
		memcpy(b + len, (const uint8_t[]){ 0x14, 0x01, 0x00, 0x02, 0xaa, 0xbb }, 6);
		put32(b, (uint32_t)(len + 6));
		cr_assert_eq(dec(b, len + 6, &p, &used), SMPP_OK);
		cr_assert_eq(p.u.sm.sm_length, 5);
		cr_assert_eq(dec_raw(SMPP_BIND_TRANSCEIVER_RESP, BODY('S', 0, 0x02, 0x10, 0, 2, 0, 0), &p),
			     SMPP_ETLV);
	}
	for (int e = SMPP_ETRUNCATED; e >= SMPP_ERECEIPT; e--) {
		cr_assert_str_neq(smpp_strerror(e), "unknown SMPP error");
		cr_assert_neq(smpp_error_status(e), SMPP_ESME_ROK);
	}
	cr_assert_str_eq(smpp_strerror(-99), "unknown SMPP error");
}

Test(smpp, decode_tolerances)
{
	uint8_t b[64];
	struct smpp_pdu p;
	size_t used;

	/* An error response without a body (SMPP 3.4: not returned on error). */
	raw(b, 16, SMPP_SUBMIT_SM_RESP, "", 0);
	put32(b + 8, SMPP_ESME_RTHROTTLED);
	cr_assert_eq(dec(b, 16, &p, &used), SMPP_OK);
	cr_assert_eq(p.h.command_status, 0x58);
	cr_assert_str_eq(p.u.sm_resp.message_id, "");
	raw(b, 16, SMPP_BIND_TRANSCEIVER_RESP, "", 0);
	put32(b + 8, SMPP_ESME_RBINDFAIL);
	cr_assert_eq(dec(b, 16, &p, &used), SMPP_OK);
	/* Octets after command_length belong to the next PDU. */
	raw(b, 16, SMPP_ENQUIRE_LINK, "", 0);
	raw(b + 16, 16, SMPP_ENQUIRE_LINK_RESP, "", 0);
	cr_assert_eq(dec(b, 32, &p, &used), SMPP_OK);
	cr_assert_eq(used, 16);
	cr_assert_eq(p.h.command_id, SMPP_ENQUIRE_LINK);
	cr_assert_eq(dec(b + used, 16, &p, &used), SMPP_OK);
	cr_assert_eq(p.h.command_id, SMPP_ENQUIRE_LINK_RESP);
	cr_assert_str_eq(smpp_command_name(SMPP_DELIVER_SM), "deliver_sm");
	cr_assert_str_eq(smpp_command_name(0x103), "unknown");
	cr_assert_eq(SMPP_ESME_RMSGQFUL, 0x14);
}

Test(smpp, encode_errors)
{
	uint8_t buf[512];
	struct smpp_pdu p = submit_pdu();
	size_t len = enc(&p, buf, sizeof(buf)), got;

	for (size_t cap = 0; cap < len; cap++)
		cr_assert_eq(smpp_encode(&p, buf, cap, &got), SMPP_ESPACE, "cap %zu", cap);
	p.u.sm.sm_length = 255;
	cr_assert_eq(smpp_encode(&p, buf, sizeof(buf), &got), SMPP_ESM_LENGTH);
	p = submit_pdu();
	memset(p.u.sm.source_addr, '1', sizeof(p.u.sm.source_addr));
	cr_assert_eq(smpp_encode(&p, buf, sizeof(buf), &got), SMPP_ESTR_TOO_LONG);
	p = bind_pdu();
	memset(p.u.bind.password, 'x', sizeof(p.u.bind.password));
	cr_assert_eq(smpp_encode(&p, buf, sizeof(buf), &got), SMPP_ESTR_TOO_LONG);
	p = pdu(0x00000103, 0, 1);
	cr_assert_eq(smpp_encode(&p, buf, sizeof(buf), &got), SMPP_EUNKNOWN_CMD);
}

/* ---- delivery receipts ---- */

static struct smpp_receipt R(const char *s)
{
	struct smpp_receipt r;
	size_t n = strlen(s);
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	cr_assert_not_null(copy);
	memcpy(copy, s, n);
	rc = smpp_receipt_parse(copy, n, &r);
	free(copy);
	cr_assert_eq(rc, SMPP_OK, "'%s'", s);
	return r;
}

static int receipt_rc(const char *s)
{
	struct smpp_receipt r;
	size_t n = strlen(s);
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	cr_assert_not_null(copy);
	memcpy(copy, s, n);
	rc = smpp_receipt_parse(copy, n, &r);
	free(copy);
	return rc;
}

Test(smpp, receipts)
{
	const char *text = "id:0123456789 sub:001 dlvrd:001 submit date:2411241530 "
			   "done date:2411241531 stat:DELIVRD err:000 text:Bonjour, vous devez";
	struct smpp_receipt r = R(text);

	cr_assert_str_eq(r.id, "0123456789");
	cr_assert_eq(r.stat, SMPP_STAT_DELIVRD);
	cr_assert_str_eq(r.err, "000");
	cr_assert_eq(r.sub, 1);
	cr_assert_eq(r.dlvrd, 1);
	cr_assert(r.has_submit_date && r.has_done_date && r.has_text);
	cr_assert_eq(r.submit_date.year, 2024);
	cr_assert_eq(r.submit_date.month, 11);
	cr_assert_eq(r.submit_date.day, 24);
	cr_assert_eq(r.submit_date.hour, 15);
	cr_assert_eq(r.submit_date.minute, 30);
	cr_assert_eq(r.done_date.minute, 31);
	cr_assert_eq(r.text_len, strlen("Bonjour, vous devez"));
	cr_assert(memcmp(text + r.text_off, "Bonjour, vous devez", r.text_len) == 0);

	/* Every state, by name. */
	{
		static const char *const names[] = { "DELIVRD", "EXPIRED", "DELETED", "UNDELIV",
						     "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE" };
		static const enum smpp_stat want[] = {
			SMPP_STAT_DELIVRD, SMPP_STAT_EXPIRED, SMPP_STAT_DELETED, SMPP_STAT_UNDELIV,
			SMPP_STAT_ACCEPTD, SMPP_STAT_UNKNOWN, SMPP_STAT_REJECTD, SMPP_STAT_ENROUTE,
		};
		char buf[64];

		for (size_t i = 0; i < 8; i++) {
			snprintf(buf, sizeof(buf), "id:7 stat:%s", names[i]);
			cr_assert_eq(R(buf).stat, want[i], "%s", names[i]);
			cr_assert_str_eq(smpp_stat_name(want[i]), names[i]);
		}
	}
	/* Another order, missing optional fields, other key case, seconds. */
	r = R("stat:UNDELIV err:021 id:A1B2");
	cr_assert_eq(r.stat, SMPP_STAT_UNDELIV);
	cr_assert_str_eq(r.id, "A1B2");
	cr_assert_str_eq(r.err, "021");
	cr_assert_eq(r.sub, -1);
	cr_assert(!r.has_submit_date && !r.has_done_date && !r.has_text);
	r = R("ID:x1 Sub:001 Dlvrd:000 Submit date:2412312359 Done date:250101000059 "
	      "Stat:expired Err:0 Text:");
	cr_assert_eq(r.stat, SMPP_STAT_EXPIRED);
	cr_assert_eq(r.dlvrd, 0);
	cr_assert_eq(r.done_date.year, 2025);
	cr_assert_eq(r.done_date.second, 59);
	cr_assert(r.has_text);
	cr_assert_eq(r.text_len, 0);
	/* text runs to the end, colons and keys included; unknown keys skipped. */
	r = R("id:9 stat:DELIVRD smsc:orange text:stat:REJECTD id:1");
	cr_assert_eq(r.stat, SMPP_STAT_DELIVRD);
	cr_assert_str_eq(r.id, "9");
	cr_assert_eq(r.text_len, strlen("stat:REJECTD id:1"));
	r = R("  id:9\r\nstat:DELIVRD  ");
	cr_assert_str_eq(r.id, "9");

	/* Garbage. */
	cr_assert_eq(receipt_rc(""), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("Bonjour, votre facture"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("stat:DELIVRD"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id: stat:DELIVRD"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVERED"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD submit date:2413011200"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD done date:24110112"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD done date:24113a1200"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD sub:abc"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD err:12345678"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD trailing"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("hello there id:1 stat:DELIVRD"), SMPP_ERECEIPT);
	cr_assert_eq(receipt_rc("id:1 stat:DELIVRD :x"), SMPP_ERECEIPT);
	{
		char id[100];

		memset(id, '7', sizeof(id));
		memcpy(id, "id:", 3);
		memcpy(id + 3 + 65, " stat:DELIVRD", 14);   /* 65-character id */
		cr_assert_eq(receipt_rc(id), SMPP_ERECEIPT);
		memcpy(id + 3 + 64, " stat:DELIVRD", 14);   /* 64 fits with its NUL */
		cr_assert_eq(strlen(R(id).id), 64);
	}
}

Test(smpp, receipt_in_deliver_sm)
{
	static const char text[] = "id:5f3a-0001 sub:001 dlvrd:001 submit date:2411241530 "
				   "done date:2411241531 stat:DELIVRD err:000 text:Vous devez 12";
	struct smpp_pdu p = pdu(SMPP_DELIVER_SM, 0, 5), back;
	struct smpp_receipt r;
	uint8_t buf[512];
	size_t len, used;

	p.u.sm.esm_class = SMPP_ESM_RECEIPT;
	p.u.sm.sm_length = (uint8_t)(sizeof(text) - 1);
	memcpy(p.u.sm.short_message, text, sizeof(text) - 1);
	len = enc(&p, buf, sizeof(buf));
	cr_assert_eq(dec(buf, len, &back, &used), SMPP_OK);
	cr_assert(smpp_is_receipt(back.u.sm.esm_class));
	cr_assert_not(smpp_is_receipt(0));
	cr_assert_not(smpp_is_receipt(SMPP_ESM_UDHI));
	cr_assert_eq(smpp_receipt_parse(back.u.sm.short_message, back.u.sm.sm_length, &r), SMPP_OK);
	cr_assert_str_eq(r.id, "5f3a-0001");
	cr_assert_eq(r.stat, SMPP_STAT_DELIVRD);
}

/* ---- SMS parts ---- */

#define UDH(ref, total, seq) 0x05, 0x00, 0x03, (ref), (total), (seq)

static struct sms_part parts[SMS_PARTS_MAX + 1];

static size_t split(const char *s, size_t *septets_or_units)
{
	size_t n = 0;
	struct sms_measure m;

	cr_assert_eq(sms_split(s, strlen(s), 0x2a, parts, SMS_PARTS_MAX + 1, &n), 0, "%s", s);
	cr_assert_eq(sms_measure(s, strlen(s), &m), 0);
	cr_assert_eq(m.segments, n, "measure says %zu segments, split made %zu", m.segments, n);
	if (septets_or_units != NULL)
		*septets_or_units = m.units;
	return n;
}

static void check_udh(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t want[] = { UDH(0x2a, (uint8_t)n, (uint8_t)(i + 1)) };

		cr_assert_eq(parts[i].esm_class, SMS_ESM_UDHI);
		cr_assert(memcmp(parts[i].data, want, 6) == 0, "part %zu UDH", i);
	}
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail);
	char *s = malloc(u * times + t + 1);

	cr_assert_not_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * u, unit, u);
	memcpy(s + u * times, tail, t + 1);
	return s;
}

Test(sms, gsm7_boundaries)
{
	char *s;
	size_t n;

	s = repeat("a", 160, "");
	n = split(s, NULL);
	cr_assert_eq(n, 1);
	cr_assert_eq(parts[0].len, 160);
	cr_assert_eq(parts[0].esm_class, 0);
	cr_assert_eq(parts[0].data_coding, 0);
	cr_assert_eq(parts[0].data[159], 'a');
	free(s);

	s = repeat("a", 161, "");
	n = split(s, NULL);
	cr_assert_eq(n, 2);
	check_udh(n);
	cr_assert_eq(parts[0].len, 6 + 153);
	cr_assert_eq(parts[1].len, 6 + 8);
	free(s);

	/* 152 septets then '{': the escape pair moves whole to part two. */
	s = repeat("a", 152, "{bcdefghij");
	n = split(s, NULL);
	cr_assert_eq(n, 2);
	check_udh(n);
	cr_assert_eq(parts[0].len, 6 + 152);
	cr_assert_eq(parts[1].len, 6 + 11);
	cr_assert_eq(parts[1].data[6], 0x1b);
	cr_assert_eq(parts[1].data[7], 0x28);
	free(s);
	/* 151 septets then '€': it fits exactly. */
	s = repeat("a", 151, "\xe2\x82\xac" "bcdefghij");
	n = split(s, NULL);
	cr_assert_eq(n, 2);
	cr_assert_eq(parts[0].len, 6 + 153);
	cr_assert_eq(parts[0].data[6 + 151], 0x1b);
	cr_assert_eq(parts[0].data[6 + 152], 0x65);
	free(s);
	/* 159 septets and one escape pair: 161, so two parts. */
	s = repeat("a", 159, "^");
	cr_assert_eq(split(s, NULL), 2);
	free(s);
	s = repeat("a", 158, "^");
	cr_assert_eq(split(s, NULL), 1);
	cr_assert_eq(parts[0].len, 160);
	free(s);
	/* 153 * 3 = 459 septets: three parts, 460: four. */
	s = repeat("a", 459, "");
	cr_assert_eq(split(s, NULL), 3);
	free(s);
	s = repeat("a", 460, "");
	cr_assert_eq(split(s, NULL), 4);
	check_udh(4);
	free(s);
}

Test(sms, gsm7_septets)
{
	size_t n, units;

	/* @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å; Δ _ ... ß É; ¤ ¡ Ä Ö Ñ Ü § ¿ ä ö ñ ü à */
	n = split("@\xc2\xa3$\xc2\xa5\xc3\xa8\xc3\xa9\xc3\xb9\xc3\xac\xc3\xb2\xc3\x87\n"
		  "\xc3\x98\xc3\xb8\r\xc3\x85\xc3\xa5\xce\x94_\xc3\x9f\xc3\x89"
		  "\xc2\xa4\xc2\xa1\xc3\x84\xc3\x96\xc3\x91\xc3\x9c\xc2\xa7\xc2\xbf"
		  "\xc3\xa4\xc3\xb6\xc3\xb1\xc3\xbc\xc3\xa0", &units);
	cr_assert_eq(n, 1);
	{
		static const uint8_t want[] = {
			0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
			0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x1e, 0x1f,
			0x24, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60,
			0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
		};

		cr_assert_eq(parts[0].len, sizeof(want));
		cr_assert(memcmp(parts[0].data, want, sizeof(want)) == 0);
	}
	/* The extension table: FF ^ { } \ [ ~ ] | € */
	n = split("\f^{}\\[~]|\xe2\x82\xac", &units);
	cr_assert_eq(units, 20);
	{
		static const uint8_t want[] = {
			0x1b, 0x0a, 0x1b, 0x14, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x2f,
			0x1b, 0x3c, 0x1b, 0x3d, 0x1b, 0x3e, 0x1b, 0x40, 0x1b, 0x65,
		};

		cr_assert_eq(parts[0].len, sizeof(want));
		cr_assert(memcmp(parts[0].data, want, sizeof(want)) == 0);
	}
	/* ICU's spaces in amounts stay GSM-7, sent as plain spaces. */
	n = split("1\xc2\xa0" "234\xe2\x80\xaf" "5\xe2\x80\x89" "6\xe2\x80\x87" "7", &units);
	cr_assert_eq(parts[0].data_coding, 0);
	cr_assert_eq(parts[0].len, 11);
	cr_assert(memcmp(parts[0].data, "1 234 5 6 7", 11) == 0);
	/* Empty text: one empty part. */
	cr_assert_eq(split("", NULL), 1);
	cr_assert_eq(parts[0].len, 0);
}

Test(sms, portuguese_and_french)
{
	/* Ç, é, à are in GSM 03.38; ç, ã, á, ê, õ are not. */
	cr_assert_eq(split("\xc3\x87" "a va \xc3\xa0 Paris, r\xc3\xa9glez", NULL), 1);
	cr_assert_eq(parts[0].data_coding, 0);
	cr_assert_eq(parts[0].data[0], 0x09);
	split("Cobran\xc3\xa7" "a", NULL);            /* ç */
	cr_assert_eq(parts[0].data_coding, 8);
	cr_assert_eq(parts[0].len, 16);
	cr_assert_eq(parts[0].data[12], 0x00);
	cr_assert_eq(parts[0].data[13], 0xe7);
	split("Pagamento at\xc3\xa9 amanh\xc3\xa3", NULL);   /* é ok, ã not */
	cr_assert_eq(parts[0].data_coding, 8);
	split("Voc\xc3\xaa deve R$ 10,00", NULL);     /* ê */
	cr_assert_eq(parts[0].data_coding, 8);
	split("Ol\xc3\xa1", NULL);                    /* á */
	cr_assert_eq(parts[0].data_coding, 8);
}

Test(sms, ucs2_boundaries)
{
	char *s;
	size_t n, units;

	/* Д is U+0414. */
	s = repeat("\xd0\x94", 70, "");
	n = split(s, &units);
	cr_assert_eq(n, 1);
	cr_assert_eq(units, 70);
	cr_assert_eq(parts[0].len, 140);
	cr_assert_eq(parts[0].data_coding, 8);
	cr_assert_eq(parts[0].data[0], 0x04);
	cr_assert_eq(parts[0].data[1], 0x14);
	free(s);
	s = repeat("\xd0\x94", 71, "");
	n = split(s, NULL);
	cr_assert_eq(n, 2);
	check_udh(n);
	cr_assert_eq(parts[0].len, 6 + 134);
	cr_assert_eq(parts[1].len, 6 + 8);
	free(s);
	/* 66 units then U+1F600 (a surrogate pair): the pair moves to part two. */
	s = repeat("\xd0\x94", 66, "\xf0\x9f\x98\x80" "\xd0\x94\xd0\x94\xd0\x94\xd0\x94\xd0\x94");
	n = split(s, &units);
	cr_assert_eq(units, 73);
	cr_assert_eq(n, 2);
	cr_assert_eq(parts[0].len, 6 + 132);
	cr_assert_eq(parts[1].len, 6 + 14);
	cr_assert(memcmp(parts[1].data + 6, (const uint8_t[]){ 0xd8, 0x3d, 0xde, 0x00 }, 4) == 0);
	free(s);
	/* 65 units then the pair: fits exactly. */
	s = repeat("\xd0\x94", 65, "\xf0\x9f\x98\x80" "\xd0\x94\xd0\x94\xd0\x94\xd0\x94\xd0\x94");
	n = split(s, NULL);
	cr_assert_eq(n, 2);
	cr_assert_eq(parts[0].len, 6 + 134);
	cr_assert_eq(parts[0].data[6 + 130], 0xd8);
	free(s);
	/* A space alias in UCS-2 text is U+0020 too. */
	split("\xd0\x94\xc2\xa0", NULL);
	cr_assert(memcmp(parts[0].data, (const uint8_t[]){ 0x04, 0x14, 0x00, 0x20 }, 4) == 0);
}

Test(sms, ukrainian)
{
	const char *t = "\xd0\xa8\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2\xd0\xbd\xd0\xb8\xd0\xb9 "
			"\xd0\xba\xd0\xbb\xd1\x96\xd1\x94\xd0\xbd\xd1\x82\xd0\xb5, "
			"\xd0\xb2\xd0\xb0\xd1\x88 \xd0\xb1\xd0\xbe\xd1\x80\xd0\xb3 1\xc2\xa0" "234,56 "
			"\xd0\xb3\xd1\x80\xd0\xbd. \xd0\xa1\xd0\xbf\xd0\xbb\xd0\xb0\xd1\x82\xd1\x96\xd1\x82"
			"\xd1\x8c \xd0\xb4\xd0\xbe 30.11, \xd1\x96\xd0\xbd\xd0\xb0\xd0\xba\xd1\x88\xd0\xb5 "
			"\xd0\xbf\xd0\xbe\xd1\x81\xd0\xbb\xd1\x83\xd0\xb3\xd1\x83 \xd0\xb1\xd1\x83\xd0\xb4"
			"\xd0\xb5 \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb7\xd1\x83\xd0\xbf\xd0\xb8\xd0\xbd\xd0\xb5"
			"\xd0\xbd\xd0\xbe.";
	size_t units, n = split(t, &units);

	/* "Шановний клієнте, ваш борг 1 234,56 грн. Сплатіть до 30.11, інакше
	 * послугу буде призупинено." */
	cr_assert_eq(units, 92);
	cr_assert_eq(n, 2);
	check_udh(n);
	cr_assert_eq(parts[0].data_coding, 8);
	cr_assert_eq(parts[0].data[6], 0x04);   /* Ш U+0428 */
	cr_assert_eq(parts[0].data[7], 0x28);
	cr_assert_eq(parts[0].len, 6 + 134);
	cr_assert_eq(parts[1].len, 6 + 2 * 25);
}

Test(sms, split_errors)
{
	char *s;
	size_t n = 0;

	cr_assert_eq(sms_split("\xc3", 1, 0, parts, 4, &n), SMS_EUTF8);
	s = repeat("a", 161, "");
	cr_assert_eq(sms_split(s, strlen(s), 0, parts, 1, &n), SMS_ETOO_MANY);
	cr_assert_eq(n, 2);
	cr_assert_eq(sms_split(s, strlen(s), 0, NULL, 0, &n), SMS_ETOO_MANY);
	free(s);
	s = repeat("a", 153 * 255, "");
	cr_assert_eq(sms_split(s, strlen(s), 0, parts, SMS_PARTS_MAX + 1, &n), 0);
	cr_assert_eq(n, 255);
	free(s);
	s = repeat("a", 153 * 255 + 1, "");
	cr_assert_eq(sms_split(s, strlen(s), 0, parts, SMS_PARTS_MAX + 1, &n), SMS_ETOO_MANY);
	cr_assert_eq(n, 256);
	free(s);
}

static uint64_t lcg(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 33;
}

/* The counts policy check shows are the parts sent, on random texts mixing
 * septets, escapes, space aliases, UCS-2 and astral characters; and each
 * part stays within its limit. */
Test(sms, measure_agrees_with_split)
{
	static const char *const pool[] = {
		"a", " ", "\xe2\x82\xac", "{", "\xc3\xa9", "\xc2\xa0", "\xe2\x80\xaf",
		"\xd0\x94", "\xf0\x9f\x98\x80", "\xc3\xa7", "\n",
	};
	uint64_t st = 42;
	char buf[4096];

	for (int round = 0; round < 3000; round++) {
		size_t len = 0, chars = lcg(&st) % 400, n, units = 0, total_units;
		/* Mostly one alphabet, so both sides of each boundary get hit. */
		size_t span = lcg(&st) % 3 == 0 ? 11 : 7;
		struct sms_measure m;

		for (size_t i = 0; i < chars; i++) {
			const char *c = pool[lcg(&st) % span];

			memcpy(buf + len, c, strlen(c));
			len += strlen(c);
		}
		buf[len] = '\0';
		n = split(buf, &total_units);
		cr_assert_eq(sms_measure(buf, len, &m), 0);
		for (size_t i = 0; i < n; i++) {
			size_t hdr = n > 1 ? 6 : 0, body = parts[i].len - hdr;
			size_t cap = m.encoding == SMS_GSM7 ? (n > 1 ? 153 : 160) : (n > 1 ? 134 : 140);

			cr_assert_leq(body, cap);
			cr_assert_eq(parts[i].data_coding, m.encoding == SMS_GSM7 ? 0 : 8);
			if (m.encoding == SMS_GSM7) {
				/* Never ends on a lone escape (no code is 0x1b but ESC). */
				if (body > 0)
					cr_assert_neq(parts[i].data[parts[i].len - 1], 0x1b);
				units += body;
			} else {
				/* Never ends on a high surrogate. */
				cr_assert_eq(body % 2, 0);
				if (body > 0)
					cr_assert((parts[i].data[parts[i].len - 2] & 0xfc) != 0xd8);
				units += body / 2;
			}
		}
		cr_assert_eq(units, total_units);
	}
}
