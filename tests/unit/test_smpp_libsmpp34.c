/*
 * smpp pdu against libsmpp34: the same PDUs packed by both must be the same
 * octets, and each side must decode the other's. libsmpp34 keeps its error
 * text in globals, so it is only ever called from these tests' own thread.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>
#include <libsmpp34/smpp34_params.h>

#include "../../src/chan/smpp/pdu.h"

/* libsmpp34 takes uint8_t arrays for its strings. */
#define SET(dst, s) memcpy((dst), (s), strlen(s) + 1)

struct pair {
	uint8_t theirs[1024];
	int their_len;
	uint8_t ours[1024];
	size_t our_len;
};

/* Packs with both, compares the octets, then decodes libsmpp34's octets
 * with ours into *back. */
static void compare(uint32_t type, void *lib, const struct smpp_pdu *p, struct smpp_pdu *back)
{
	struct pair x;
	size_t used;
	int rc;

	rc = smpp34_pack(type, x.theirs, sizeof(x.theirs), &x.their_len, lib);
	cr_assert_eq(rc, 0, "smpp34_pack %s: %s", smpp_command_name(type), smpp34_strerror);
	rc = smpp_encode(p, x.ours, sizeof(x.ours), &x.our_len);
	cr_assert_eq(rc, SMPP_OK, "smpp_encode %s: %s", smpp_command_name(type), smpp_strerror(rc));
	cr_assert_eq(x.our_len, (size_t)x.their_len, "%s: %zu octets, libsmpp34 %d",
		     smpp_command_name(type), x.our_len, x.their_len);
	for (size_t i = 0; i < x.our_len; i++)
		cr_assert_eq(x.ours[i], x.theirs[i], "%s octet %zu: %02x, libsmpp34 %02x",
			     smpp_command_name(type), i, x.ours[i], x.theirs[i]);
	rc = smpp_decode(x.theirs, (size_t)x.their_len, back, &used);
	cr_assert_eq(rc, SMPP_OK, "decode libsmpp34's %s: %s", smpp_command_name(type),
		     smpp_strerror(rc));
	cr_assert_eq(used, (size_t)x.their_len);
	cr_assert_eq(back->h.command_id, p->h.command_id);
	cr_assert_eq(back->h.command_status, p->h.command_status);
	cr_assert_eq(back->h.sequence_number, p->h.sequence_number);
	cr_assert(memcmp(&back->u, &p->u, sizeof(back->u)) == 0, "%s: decoded body differs",
		  smpp_command_name(type));
}

/* Our octets for *p, for smpp34_unpack. */
static int ours(const struct smpp_pdu *p, uint8_t *buf, size_t cap)
{
	size_t len;

	cr_assert_eq(smpp_encode(p, buf, cap, &len), SMPP_OK);
	return (int)len;
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

Test(smpp_libsmpp34, bind_transceiver)
{
	bind_transceiver_t lib, un;
	struct smpp_pdu p = pdu(SMPP_BIND_TRANSCEIVER, 0, 1), back;
	uint8_t buf[512];
	int n;

	memset(&lib, 0, sizeof(lib));
	lib.command_id = BIND_TRANSCEIVER;
	lib.sequence_number = 1;
	SET(lib.system_id, "relance");
	SET(lib.password, "secret");
	SET(lib.system_type, "VMA");
	lib.interface_version = 0x34;
	lib.addr_ton = 1;
	lib.addr_npi = 1;
	SET(lib.address_range, "^380");
	SET(p.u.bind.system_id, "relance");
	SET(p.u.bind.password, "secret");
	SET(p.u.bind.system_type, "VMA");
	p.u.bind.interface_version = SMPP_INTERFACE_VERSION;
	p.u.bind.addr_ton = 1;
	p.u.bind.addr_npi = 1;
	SET(p.u.bind.address_range, "^380");
	compare(BIND_TRANSCEIVER, &lib, &p, &back);

	n = ours(&p, buf, sizeof(buf));
	memset(&un, 0, sizeof(un));
	cr_assert_eq(smpp34_unpack(BIND_TRANSCEIVER, &un, buf, n), 0, "%s", smpp34_strerror);
	cr_assert_eq(un.command_length, (uint32_t)n);
	cr_assert_str_eq((char *)un.system_id, "relance");
	cr_assert_str_eq((char *)un.password, "secret");
	cr_assert_str_eq((char *)un.system_type, "VMA");
	cr_assert_eq(un.interface_version, 0x34);
	cr_assert_str_eq((char *)un.address_range, "^380");
}

Test(smpp_libsmpp34, bind_transceiver_resp)
{
	bind_transceiver_resp_t lib, un;
	struct smpp_pdu p = pdu(SMPP_BIND_TRANSCEIVER_RESP, 0, 1), back;
	tlv_t t;
	uint8_t buf[512];
	int n;

	memset(&lib, 0, sizeof(lib));
	lib.command_id = BIND_TRANSCEIVER_RESP;
	lib.sequence_number = 1;
	SET(lib.system_id, "SMSC");
	SET(p.u.bind_resp.system_id, "SMSC");
	compare(BIND_TRANSCEIVER_RESP, &lib, &p, &back);

	memset(&t, 0, sizeof(t));
	t.tag = TLVID_sc_interface_version;
	t.length = 1;
	t.value.val08 = 0x34;
	cr_assert_eq(build_tlv(&lib.tlv, &t), 0);
	p.u.bind_resp.has_sc_interface_version = 1;
	p.u.bind_resp.sc_interface_version = 0x34;
	compare(BIND_TRANSCEIVER_RESP, &lib, &p, &back);
	destroy_tlv(lib.tlv);

	n = ours(&p, buf, sizeof(buf));
	memset(&un, 0, sizeof(un));
	cr_assert_eq(smpp34_unpack(BIND_TRANSCEIVER_RESP, &un, buf, n), 0, "%s", smpp34_strerror);
	cr_assert_str_eq((char *)un.system_id, "SMSC");
	cr_assert_not_null(un.tlv);
	cr_assert_eq(un.tlv->tag, TLVID_sc_interface_version);
	cr_assert_eq(un.tlv->value.val08, 0x34);
	destroy_tlv(un.tlv);
}

static uint64_t lcg(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 33;
}

/* A random printable string of fewer than max characters into both. */
static void rand_str(uint64_t *st, uint8_t *lib, char *our, size_t max)
{
	size_t n = lcg(st) % max;

	for (size_t i = 0; i < n; i++)
		our[i] = (char)('0' + lcg(st) % 75);
	our[n] = '\0';
	memcpy(lib, our, n + 1);
}

/* libsmpp34 refuses to pack a TON or NPI that SMPP 3.4 does not define. */
static uint8_t ton(uint64_t *st)
{
	return (uint8_t)(lcg(st) % 7);
}

static uint8_t npi(uint64_t *st)
{
	static const uint8_t v[] = { 0, 1, 3, 4, 6, 8, 9, 10, 14, 18 };

	return v[lcg(st) % sizeof(v)];
}

/* submit_sm and deliver_sm share their layout in both libraries.
 * libsmpp34 packs at most 253 octets of short_message, one short of the
 * 254 SMPP 3.4 allows (and ours does, see test_smpp_pdu.c). */
#define FILL_SM(st, lib, sm, times)                                                           \
	do {                                                                                  \
		rand_str(st, (lib).service_type, (sm).service_type, SMPP_SERVICE_TYPE_MAX);   \
		(lib).source_addr_ton = (sm).source_addr_ton = ton(st);                        \
		(lib).source_addr_npi = (sm).source_addr_npi = npi(st);                        \
		rand_str(st, (lib).source_addr, (sm).source_addr, SMPP_ADDR_MAX);             \
		(lib).dest_addr_ton = (sm).dest_addr_ton = ton(st);                            \
		(lib).dest_addr_npi = (sm).dest_addr_npi = npi(st);                            \
		rand_str(st, (lib).destination_addr, (sm).destination_addr, SMPP_ADDR_MAX);   \
		(lib).esm_class = (sm).esm_class = (uint8_t)lcg(st);                          \
		(lib).protocol_id = (sm).protocol_id = (uint8_t)lcg(st);                      \
		(lib).priority_flag = (sm).priority_flag = (uint8_t)lcg(st);                  \
		if (times) {                                                                  \
			rand_str(st, (lib).schedule_delivery_time, (sm).schedule_delivery_time, \
				 SMPP_TIME_MAX);                                              \
			rand_str(st, (lib).validity_period, (sm).validity_period, SMPP_TIME_MAX); \
		}                                                                             \
		(lib).registered_delivery = (sm).registered_delivery = (uint8_t)lcg(st);      \
		(lib).replace_if_present_flag = (sm).replace_if_present_flag = (uint8_t)lcg(st); \
		(lib).data_coding = (sm).data_coding = (uint8_t)lcg(st);                      \
		(lib).sm_default_msg_id = (sm).sm_default_msg_id = (uint8_t)lcg(st);          \
		(lib).sm_length = (sm).sm_length = (uint8_t)(lcg(st) % SMPP_SM_MAX);          \
		for (int k_ = 0; k_ < (sm).sm_length; k_++)                                   \
			(lib).short_message[k_] = (sm).short_message[k_] = (uint8_t)lcg(st);  \
	} while (0)

Test(smpp_libsmpp34, submit_sm)
{
	uint64_t st = 7;

	for (int round = 0; round < 300; round++) {
		submit_sm_t lib, un;
		struct smpp_pdu p = pdu(SMPP_SUBMIT_SM, 0, (uint32_t)round + 1), back;
		uint8_t buf[1024];
		int n;

		memset(&lib, 0, sizeof(lib));
		lib.command_id = SUBMIT_SM;
		lib.sequence_number = (uint32_t)round + 1;
		FILL_SM(&st, lib, p.u.sm, 1);
		compare(SUBMIT_SM, &lib, &p, &back);

		n = ours(&p, buf, sizeof(buf));
		memset(&un, 0, sizeof(un));
		cr_assert_eq(smpp34_unpack(SUBMIT_SM, &un, buf, n), 0, "%s", smpp34_strerror);
		cr_assert_str_eq((char *)un.source_addr, p.u.sm.source_addr);
		cr_assert_str_eq((char *)un.destination_addr, p.u.sm.destination_addr);
		cr_assert_str_eq((char *)un.validity_period, p.u.sm.validity_period);
		cr_assert_eq(un.data_coding, p.u.sm.data_coding);
		cr_assert_eq(un.sm_length, p.u.sm.sm_length);
		cr_assert(memcmp(un.short_message, p.u.sm.short_message, un.sm_length) == 0);
		destroy_tlv(un.tlv);
	}
}

Test(smpp_libsmpp34, deliver_sm_receipt)
{
	static const char text[] = "id:5f3a-0001 sub:001 dlvrd:001 submit date:2411241530 "
				   "done date:2411241531 stat:DELIVRD err:000 text:Vous devez";
	uint64_t st = 11;

	for (int round = 0; round < 100; round++) {
		deliver_sm_t lib, un;
		struct smpp_pdu p = pdu(SMPP_DELIVER_SM, 0, (uint32_t)round + 1), back;
		tlv_t t;
		uint8_t buf[1024];
		struct smpp_receipt r;
		int n;

		memset(&lib, 0, sizeof(lib));
		lib.command_id = DELIVER_SM;
		lib.sequence_number = (uint32_t)round + 1;
		/* deliver_sm has no schedule or validity: both NULL (section 4.6.1). */
		FILL_SM(&st, lib, p.u.sm, 0);
		lib.esm_class = p.u.sm.esm_class = SMPP_ESM_RECEIPT;
		lib.sm_length = p.u.sm.sm_length = (uint8_t)(sizeof(text) - 1);
		memset(p.u.sm.short_message, 0, sizeof(p.u.sm.short_message));
		memcpy(lib.short_message, text, sizeof(text) - 1);
		memcpy(p.u.sm.short_message, text, sizeof(text) - 1);
		if (round % 2) {
			/* build_tlv puts each new TLV first: message_state goes in
			 * first to come out last, in the order ours writes. */
			memset(&t, 0, sizeof(t));
			t.tag = TLVID_message_state;
			t.length = 1;
			t.value.val08 = 2;
			cr_assert_eq(build_tlv(&lib.tlv, &t), 0);
			memset(&t, 0, sizeof(t));
			t.tag = TLVID_receipted_message_id;
			t.length = 10;
			memcpy(t.value.octet, "5f3a-0001", 10);
			cr_assert_eq(build_tlv(&lib.tlv, &t), 0);
			p.u.sm.has_receipted_message_id = 1;
			SET(p.u.sm.receipted_message_id, "5f3a-0001");
			p.u.sm.has_message_state = 1;
			p.u.sm.message_state = SMPP_STAT_DELIVRD;
		}
		compare(DELIVER_SM, &lib, &p, &back);
		destroy_tlv(lib.tlv);
		cr_assert_eq(smpp_receipt_parse(back.u.sm.short_message, back.u.sm.sm_length, &r),
			     SMPP_OK);
		cr_assert_str_eq(r.id, "5f3a-0001");

		n = ours(&p, buf, sizeof(buf));
		memset(&un, 0, sizeof(un));
		cr_assert_eq(smpp34_unpack(DELIVER_SM, &un, buf, n), 0, "%s", smpp34_strerror);
		cr_assert_eq(un.esm_class, SMPP_ESM_RECEIPT);
		cr_assert_eq(un.sm_length, sizeof(text) - 1);
		cr_assert(memcmp(un.short_message, text, sizeof(text) - 1) == 0);
		if (round % 2) {
			int seen = 0;
			tlv_t *x;

			smpp34_tlv_for_each(x, un.tlv) {
				if (x->tag == TLVID_receipted_message_id) {
					cr_assert_str_eq((char *)x->value.octet, "5f3a-0001");
					seen |= 1;
				} else if (x->tag == TLVID_message_state) {
					cr_assert_eq(x->value.val08, 2);
					seen |= 2;
				}
			}
			cr_assert_eq(seen, 3);
		}
		destroy_tlv(un.tlv);
	}
}

Test(smpp_libsmpp34, responses)
{
	struct smpp_pdu p, back;
	uint8_t buf[256];
	int n;

	{
		submit_sm_resp_t lib, un;

		memset(&lib, 0, sizeof(lib));
		lib.command_id = SUBMIT_SM_RESP;
		lib.sequence_number = 2;
		SET(lib.message_id, "5f3a-0001");
		p = pdu(SMPP_SUBMIT_SM_RESP, 0, 2);
		SET(p.u.sm_resp.message_id, "5f3a-0001");
		compare(SUBMIT_SM_RESP, &lib, &p, &back);
		/* An error response is the header alone, in both. */
		lib.command_status = ESME_RTHROTTLED;
		SET(lib.message_id, "");
		p.h.command_status = SMPP_ESME_RTHROTTLED;
		memset(p.u.sm_resp.message_id, 0, sizeof(p.u.sm_resp.message_id));
		compare(SUBMIT_SM_RESP, &lib, &p, &back);
		n = ours(&p, buf, sizeof(buf));
		memset(&un, 0, sizeof(un));
		cr_assert_eq(smpp34_unpack(SUBMIT_SM_RESP, &un, buf, n), 0, "%s", smpp34_strerror);
		cr_assert_eq(un.command_status, ESME_RTHROTTLED);
	}
	{
		deliver_sm_resp_t lib;

		memset(&lib, 0, sizeof(lib));
		lib.command_id = DELIVER_SM_RESP;
		lib.sequence_number = 5;
		p = pdu(SMPP_DELIVER_SM_RESP, 0, 5);
		compare(DELIVER_SM_RESP, &lib, &p, &back);
	}
}

/* The header-only PDUs. */
Test(smpp_libsmpp34, header_only)
{
	static const uint32_t ids[] = {
		SMPP_ENQUIRE_LINK, SMPP_ENQUIRE_LINK_RESP, SMPP_UNBIND, SMPP_UNBIND_RESP,
		SMPP_GENERIC_NACK,
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		/* Every header-only struct of libsmpp34 is the header itself. */
		generic_nack_t lib, un;
		struct smpp_pdu p = pdu(ids[i], ids[i] == SMPP_GENERIC_NACK ? ESME_RINVCMDID : 0,
					(uint32_t)(1000 + i)), back;
		uint8_t buf[64];
		int n;

		memset(&lib, 0, sizeof(lib));
		lib.command_id = ids[i];
		lib.command_status = p.h.command_status;
		lib.sequence_number = p.h.sequence_number;
		compare(ids[i], &lib, &p, &back);
		n = ours(&p, buf, sizeof(buf));
		memset(&un, 0, sizeof(un));
		cr_assert_eq(smpp34_unpack(ids[i], &un, buf, n), 0, "%s", smpp34_strerror);
		cr_assert_eq(un.command_length, 16);
		cr_assert_eq(un.sequence_number, p.h.sequence_number);
	}
	/* The two codecs agree on the constants we name. */
	cr_assert_eq(SMPP_ESME_RTHROTTLED, ESME_RTHROTTLED);
	cr_assert_eq(SMPP_ESME_RMSGQFUL, ESME_RMSGQFUL);
	cr_assert_eq(SMPP_ESME_RINVCMDID, ESME_RINVCMDID);
	cr_assert_eq(SMPP_ESME_RINVCMDLEN, ESME_RINVCMDLEN);
	cr_assert_eq(SMPP_ESME_RBINDFAIL, ESME_RBINDFAIL);
	cr_assert_eq(SMPP_ESME_RINVOPTPARSTREAM, ESME_RINVOPTPARSTREAM);
	cr_assert_eq(SMPP_BIND_TRANSCEIVER_RESP, BIND_TRANSCEIVER_RESP);
	cr_assert_eq(SMPP_ENQUIRE_LINK_RESP, ENQUIRE_LINK_RESP);
	cr_assert_eq(SMPP_TLV_MESSAGE_STATE, TLVID_message_state);
	cr_assert_eq(SMPP_TLV_RECEIPTED_MESSAGE_ID, TLVID_receipted_message_id);
}
