/*
 * smpp pdu — SMPP 3.4 PDU encoding and decoding, no I/O.
 *
 * A PDU is a 16-octet header (command_length, command_id, command_status,
 * sequence_number, all big-endian, command_length counting the header)
 * and a body of mandatory fields then optional TLVs (tag, length, value;
 * 16-bit tag and length). C-octet strings end in NUL, their maximum
 * length including the NUL. The PDUs an ESME needs are supported:
 * bind_transceiver(_resp), submit_sm(_resp), deliver_sm(_resp),
 * enquire_link(_resp), unbind(_resp) and generic_nack.
 *
 * Decoded PDUs are copied into fixed arrays: a struct smpp_pdu owns all it
 * holds and keeps nothing of the input buffer. Nothing here allocates or
 * keeps state, so every function is safe from any thread.
 *
 * Errors are negative SMPP_E* codes; smpp_strerror gives a short phrase
 * for a log line ("bad PDU: <phrase>").
 */
#ifndef RELANCE_SMPP_PDU_H
#define RELANCE_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#define SMPP_HEADER_LEN 16
/* Largest command_length accepted: far above any PDU we handle (a
 * submit_sm without message_payload is under 400 octets), low enough that
 * a stream reader's buffer stays small. */
#define SMPP_PDU_MAX 65536
#define SMPP_INTERFACE_VERSION 0x34 /* interface_version of a bind */

/* command_id values (SMPP 3.4 section 5.1.2.1). */
#define SMPP_RESP_BIT                 0x80000000u
#define SMPP_GENERIC_NACK             0x80000000u
#define SMPP_BIND_RECEIVER            0x00000001u
#define SMPP_BIND_TRANSMITTER         0x00000002u
#define SMPP_SUBMIT_SM                0x00000004u
#define SMPP_SUBMIT_SM_RESP           0x80000004u
#define SMPP_DELIVER_SM               0x00000005u
#define SMPP_DELIVER_SM_RESP          0x80000005u
#define SMPP_UNBIND                   0x00000006u
#define SMPP_UNBIND_RESP              0x80000006u
#define SMPP_BIND_TRANSCEIVER         0x00000009u
#define SMPP_BIND_TRANSCEIVER_RESP    0x80000009u
#define SMPP_ENQUIRE_LINK             0x00000015u
#define SMPP_ENQUIRE_LINK_RESP        0x80000015u

/* command_status values (section 5.1.3) the client acts on. */
#define SMPP_ESME_ROK                 0x00000000u
#define SMPP_ESME_RINVMSGLEN          0x00000001u
#define SMPP_ESME_RINVCMDLEN          0x00000002u
#define SMPP_ESME_RINVCMDID           0x00000003u
#define SMPP_ESME_RINVBNDSTS          0x00000004u
#define SMPP_ESME_RALYBND             0x00000005u
#define SMPP_ESME_RSYSERR             0x00000008u
#define SMPP_ESME_RINVSRCADR          0x0000000Au
#define SMPP_ESME_RINVDSTADR          0x0000000Bu
#define SMPP_ESME_RINVMSGID           0x0000000Cu
#define SMPP_ESME_RBINDFAIL           0x0000000Du
#define SMPP_ESME_RINVPASWD           0x0000000Eu
#define SMPP_ESME_RINVSYSID           0x0000000Fu
#define SMPP_ESME_RMSGQFUL            0x00000014u
#define SMPP_ESME_RINVSERTYP          0x00000015u
#define SMPP_ESME_RINVESMCLASS        0x00000043u
#define SMPP_ESME_RSUBMITFAIL         0x00000045u
#define SMPP_ESME_RTHROTTLED          0x00000058u
#define SMPP_ESME_RX_T_APPN           0x00000064u
#define SMPP_ESME_RX_P_APPN           0x00000065u
#define SMPP_ESME_RX_R_APPN           0x00000066u
#define SMPP_ESME_RINVOPTPARSTREAM    0x000000C0u
#define SMPP_ESME_RINVPARLEN          0x000000C2u
#define SMPP_ESME_RUNKNOWNERR         0x000000FFu

/* Optional parameter tags decoded rather than skipped. */
#define SMPP_TLV_RECEIPTED_MESSAGE_ID 0x001Eu
#define SMPP_TLV_SC_INTERFACE_VERSION 0x0210u
#define SMPP_TLV_MESSAGE_STATE        0x0427u

/* esm_class bits: message type "SMSC delivery receipt", and UDH present. */
#define SMPP_ESM_RECEIPT 0x04
#define SMPP_ESM_UDHI    0x40

/* Maximum lengths of C-octet strings, NUL included (section 5.2). */
#define SMPP_SYSTEM_ID_MAX     16
#define SMPP_PASSWORD_MAX       9
#define SMPP_SYSTEM_TYPE_MAX   13
#define SMPP_ADDRESS_RANGE_MAX 41
#define SMPP_SERVICE_TYPE_MAX   6
#define SMPP_ADDR_MAX          21
#define SMPP_TIME_MAX          17
#define SMPP_MESSAGE_ID_MAX    65
#define SMPP_SM_MAX           254 /* short_message octets */

enum smpp_error {
	SMPP_OK = 0,
	SMPP_ETRUNCATED = -1,      /* fewer octets than the PDU needs: read more */
	SMPP_ECMDLEN_SHORT = -2,   /* command_length < 16 */
	SMPP_ECMDLEN_LONG = -3,    /* command_length > SMPP_PDU_MAX */
	SMPP_EUNKNOWN_CMD = -4,    /* command_id not handled: answer generic_nack */
	SMPP_EBODY_SHORT = -5,     /* a mandatory field runs past command_length */
	SMPP_EBODY_LONG = -6,      /* octets after the last field of a PDU without TLVs */
	SMPP_ESTR_UNTERMINATED = -7, /* a C-octet string has no NUL before the end */
	SMPP_ESTR_TOO_LONG = -8,   /* a C-octet string exceeds its maximum */
	SMPP_ESM_LENGTH = -9,      /* sm_length runs past the end, or above 254 */
	SMPP_ETLV = -10,           /* a TLV header or value runs past the end, or a
				    * known TLV has the wrong length */
	SMPP_ESPACE = -11,         /* encode: the output buffer is too small */
	SMPP_EVALUE = -12,         /* encode: a field is out of range */
	SMPP_ERECEIPT = -13,       /* receipt text is not a delivery receipt */
};

struct smpp_header {
	uint32_t command_length;
	uint32_t command_id;
	uint32_t command_status;
	uint32_t sequence_number;
};

/* bind_transceiver (bind_transmitter and bind_receiver share the layout). */
struct smpp_bind {
	char system_id[SMPP_SYSTEM_ID_MAX];
	char password[SMPP_PASSWORD_MAX];
	char system_type[SMPP_SYSTEM_TYPE_MAX];
	uint8_t interface_version;
	uint8_t addr_ton;
	uint8_t addr_npi;
	char address_range[SMPP_ADDRESS_RANGE_MAX];
};

struct smpp_bind_resp {
	char system_id[SMPP_SYSTEM_ID_MAX];
	uint8_t has_sc_interface_version; /* the optional TLV was present */
	uint8_t sc_interface_version;
};

/* submit_sm and deliver_sm share their mandatory fields. */
struct smpp_sm {
	char service_type[SMPP_SERVICE_TYPE_MAX];
	uint8_t source_addr_ton;
	uint8_t source_addr_npi;
	char source_addr[SMPP_ADDR_MAX];
	uint8_t dest_addr_ton;
	uint8_t dest_addr_npi;
	char destination_addr[SMPP_ADDR_MAX];
	uint8_t esm_class;
	uint8_t protocol_id;
	uint8_t priority_flag;
	char schedule_delivery_time[SMPP_TIME_MAX];
	char validity_period[SMPP_TIME_MAX];
	uint8_t registered_delivery;
	uint8_t replace_if_present_flag;
	uint8_t data_coding;
	uint8_t sm_default_msg_id;
	uint8_t sm_length;
	uint8_t short_message[SMPP_SM_MAX];
	/* deliver_sm receipts: optional TLVs, encoded when has_ is set. */
	uint8_t has_receipted_message_id;
	char receipted_message_id[SMPP_MESSAGE_ID_MAX];
	uint8_t has_message_state;
	uint8_t message_state;
};

/* submit_sm_resp and deliver_sm_resp (whose message_id is empty). */
struct smpp_sm_resp {
	char message_id[SMPP_MESSAGE_ID_MAX];
};

/* Which union member is meaningful follows from h.command_id; the header-
 * only PDUs (enquire_link, unbind, their responses, generic_nack) use none. */
struct smpp_pdu {
	struct smpp_header h;
	union {
		struct smpp_bind bind;
		struct smpp_bind_resp bind_resp;
		struct smpp_sm sm;
		struct smpp_sm_resp sm_resp;
	} u;
};

/*
 * Stream framing: how many octets the PDU starting at buf[0..len) occupies.
 * With fewer than 4 octets *need is SMPP_HEADER_LEN (a lower bound); then
 * it is command_length. The PDU is complete once len >= *need. Returns
 * SMPP_OK, or SMPP_ECMDLEN_SHORT / SMPP_ECMDLEN_LONG: the stream cannot be
 * resynchronised and the session should be dropped.
 */
int smpp_pdu_need(const uint8_t *buf, size_t len, size_t *need);

/*
 * Decodes the PDU at buf[0..len) into *out (cleared first). Returns SMPP_OK
 * or an SMPP_E* code. Whenever len >= 16, out->h holds the header, so even
 * a rejected PDU's sequence_number can be answered; *used is set to
 * command_length whenever it is valid and len covers it, so the caller can
 * skip the PDU (SMPP_OK and every body error included). Unknown command
 * ids return SMPP_EUNKNOWN_CMD with the header only. Optional TLVs are
 * length-checked and skipped, except those decoded into the structs above.
 */
int smpp_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out, size_t *used);

/*
 * Encodes *p into buf[0..cap); command_length is computed, p's ignored.
 * bind_transceiver_resp and submit_sm_resp with an error command_status
 * are header only, as SMPP 3.4 says; deliver_sm_resp always carries its
 * (empty) message_id. Returns SMPP_OK with *len set, SMPP_ESPACE, SMPP_ESTR_TOO_LONG
 * (a string fills its whole array, leaving no NUL), SMPP_ESM_LENGTH or
 * SMPP_EUNKNOWN_CMD. buf's contents are unspecified after an error.
 */
int smpp_encode(const struct smpp_pdu *p, uint8_t *buf, size_t cap, size_t *len);

/* A static phrase for an SMPP_E* code; never NULL. */
const char *smpp_strerror(int err);

/* The command_status of the generic_nack answering a PDU that failed to
 * decode with err (ESME_RINVCMDID for an unknown command, ...). */
uint32_t smpp_error_status(int err);

/* "submit_sm", "enquire_link_resp", ... or "unknown". */
const char *smpp_command_name(uint32_t command_id);

/* Receipt states: the values of the message_state TLV (section 5.2.28). */
enum smpp_stat {
	SMPP_STAT_ENROUTE = 1,
	SMPP_STAT_DELIVRD = 2,
	SMPP_STAT_EXPIRED = 3,
	SMPP_STAT_DELETED = 4,
	SMPP_STAT_UNDELIV = 5,
	SMPP_STAT_ACCEPTD = 6,
	SMPP_STAT_UNKNOWN = 7,
	SMPP_STAT_REJECTD = 8,
};

/* A receipt time, "YYMMDDhhmm" or "YYMMDDhhmmss" (seconds then 0), year
 * 2000 + YY. */
struct smpp_receipt_time {
	uint16_t year;
	uint8_t month, day, hour, minute, second;
};

/*
 * A delivery receipt (SMPP 3.4 appendix B), from a deliver_sm whose
 * esm_class has SMPP_ESM_RECEIPT:
 *   id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm
 *   stat:DDDDDDD err:E text:...
 * id and stat are required; the others may be missing (has_* 0, sub and
 * dlvrd -1). text runs to the end of the message and is given as an
 * offset and length in the parsed buffer rather than copied.
 */
struct smpp_receipt {
	char id[SMPP_MESSAGE_ID_MAX];
	enum smpp_stat stat;
	char err[8];          /* as sent: "000", or "" when missing */
	int sub, dlvrd;
	uint8_t has_submit_date, has_done_date, has_text;
	struct smpp_receipt_time submit_date, done_date;
	size_t text_off, text_len;
};

/* True when esm_class marks a deliver_sm as a delivery receipt. */
int smpp_is_receipt(uint8_t esm_class);

/*
 * Parses receipt text s[0..len) (need not be NUL-terminated). Keys are
 * matched without regard to case and in any order; unknown "key:value"
 * fields are skipped. Returns SMPP_OK, or SMPP_ERECEIPT (*out then
 * unspecified) for anything else: no id or stat, an unknown stat, a bad
 * date, a token that is not key:value.
 */
int smpp_receipt_parse(const uint8_t *s, size_t len, struct smpp_receipt *out);

/* "DELIVRD", ... */
const char *smpp_stat_name(enum smpp_stat st);

#endif
