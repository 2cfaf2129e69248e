/*
 * smpp pdu — SMPP 3.4 codec (see pdu.h).
 *
 * Decoding reads through a cursor bounded by command_length, never by the
 * caller's buffer size: octets after the PDU belong to the next one. Every
 * read checks the room left first, so a field can fail to fit but never be
 * read past the end. Encoding writes through a cursor bounded by the
 * caller's capacity the same way and fills in command_length last.
 */
#include <assert.h>
#include <string.h>

#include "pdu.h"

static const char *const smpp_errors[] = {
	[-SMPP_OK] = "ok",
	[-SMPP_ETRUNCATED] = "truncated",
	[-SMPP_ECMDLEN_SHORT] = "command_length below 16",
	[-SMPP_ECMDLEN_LONG] = "command_length above 65536",
	[-SMPP_EUNKNOWN_CMD] = "unknown command_id",
	[-SMPP_EBODY_SHORT] = "mandatory field past command_length",
	[-SMPP_EBODY_LONG] = "octets after the last field",
	[-SMPP_ESTR_UNTERMINATED] = "unterminated C-octet string",
	[-SMPP_ESTR_TOO_LONG] = "C-octet string longer than its maximum",
	[-SMPP_ESM_LENGTH] = "sm_length past the end or above 254",
	[-SMPP_ETLV] = "bad optional parameter length",
	[-SMPP_ESPACE] = "output buffer too small",
	[-SMPP_EVALUE] = "field out of range",
	[-SMPP_ERECEIPT] = "not a delivery receipt",
};

const char *smpp_strerror(int err)
{
	if (err > 0 || -err >= (int)(sizeof(smpp_errors) / sizeof(smpp_errors[0])))
		return "unknown SMPP error";
	return smpp_errors[-err];
}

uint32_t smpp_error_status(int err)
{
	switch (err) {
	case SMPP_OK:
		return SMPP_ESME_ROK;
	case SMPP_EUNKNOWN_CMD:
		return SMPP_ESME_RINVCMDID;
	case SMPP_ESM_LENGTH:
		return SMPP_ESME_RINVMSGLEN;
	case SMPP_ETLV:
		return SMPP_ESME_RINVOPTPARSTREAM;
	case SMPP_ECMDLEN_SHORT:
	case SMPP_ECMDLEN_LONG:
	case SMPP_EBODY_SHORT:
	case SMPP_EBODY_LONG:
	case SMPP_ESTR_UNTERMINATED:
	case SMPP_ESTR_TOO_LONG:
		return SMPP_ESME_RINVCMDLEN;
	default:
		return SMPP_ESME_RSYSERR;
	}
}

const char *smpp_command_name(uint32_t id)
{
	switch (id) {
	case SMPP_GENERIC_NACK: return "generic_nack";
	case SMPP_BIND_RECEIVER: return "bind_receiver";
	case SMPP_BIND_TRANSMITTER: return "bind_transmitter";
	case SMPP_BIND_TRANSCEIVER: return "bind_transceiver";
	case SMPP_BIND_TRANSCEIVER_RESP: return "bind_transceiver_resp";
	case SMPP_SUBMIT_SM: return "submit_sm";
	case SMPP_SUBMIT_SM_RESP: return "submit_sm_resp";
	case SMPP_DELIVER_SM: return "deliver_sm";
	case SMPP_DELIVER_SM_RESP: return "deliver_sm_resp";
	case SMPP_UNBIND: return "unbind";
	case SMPP_UNBIND_RESP: return "unbind_resp";
	case SMPP_ENQUIRE_LINK: return "enquire_link";
	case SMPP_ENQUIRE_LINK_RESP: return "enquire_link_resp";
	default: return "unknown";
	}
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int smpp_pdu_need(const uint8_t *buf, size_t len, size_t *need)
{
	uint32_t n;

	assert(need != NULL);
	assert(buf != NULL || len == 0);
	if (len < 4) {
		*need = SMPP_HEADER_LEN;
		return SMPP_OK;
	}
	n = get_be32(buf);
	if (n < SMPP_HEADER_LEN)
		return SMPP_ECMDLEN_SHORT;
	if (n > SMPP_PDU_MAX)
		return SMPP_ECMDLEN_LONG;
	*need = n;
	return SMPP_OK;
}

/* ---- decoding ---- */

struct rd {
	const uint8_t *p;
	size_t len, pos; /* len is command_length */
};

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->len - r->pos < 1)
		return SMPP_EBODY_SHORT;
	*v = r->p[r->pos++];
	return SMPP_OK;
}

static int rd_u16(struct rd *r, uint16_t *v)
{
	if (r->len - r->pos < 2)
		return SMPP_ETLV;
	*v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return SMPP_OK;
}

/*
 * A C-octet string of at most max octets, NUL included, copied into
 * dst[max]. No NUL within max octets is "too long"; no NUL before the end
 * of a shorter remainder is "unterminated".
 */
static int rd_cstr(struct rd *r, char *dst, size_t max)
{
	size_t room = r->len - r->pos, scan = room < max ? room : max;
	const uint8_t *nul;

	if (room == 0)
		return SMPP_EBODY_SHORT;
	nul = memchr(r->p + r->pos, 0, scan);
	if (nul == NULL)
		return room < max ? SMPP_ESTR_UNTERMINATED : SMPP_ESTR_TOO_LONG;
	scan = (size_t)(nul - (r->p + r->pos)) + 1;
	memcpy(dst, r->p + r->pos, scan);
	r->pos += scan;
	return SMPP_OK;
}

/* A response whose command_status is an error may come without a body. */
static int empty_error_resp(const struct rd *r, const struct smpp_header *h)
{
	return r->pos == r->len && h->command_status != SMPP_ESME_ROK;
}

/* Optional parameters up to the end of the PDU; known tags are decoded
 * into sm or br (either may be NULL when the PDU has no such TLV). */
static int rd_tlvs(struct rd *r, struct smpp_sm *sm, struct smpp_bind_resp *br)
{
	while (r->pos < r->len) {
		uint16_t tag, vlen;
		const uint8_t *v;

		if (rd_u16(r, &tag) != SMPP_OK || rd_u16(r, &vlen) != SMPP_OK)
			return SMPP_ETLV;
		if (r->len - r->pos < vlen)
			return SMPP_ETLV;
		v = r->p + r->pos;
		r->pos += vlen;
		if (sm != NULL && tag == SMPP_TLV_RECEIPTED_MESSAGE_ID) {
			/* A C-octet string inside the TLV: NUL-terminated at its end. */
			if (vlen == 0 || vlen > SMPP_MESSAGE_ID_MAX || v[vlen - 1] != 0 ||
			    memchr(v, 0, vlen) != v + vlen - 1)
				return SMPP_ETLV;
			memcpy(sm->receipted_message_id, v, vlen);
			sm->has_receipted_message_id = 1;
		} else if (sm != NULL && tag == SMPP_TLV_MESSAGE_STATE) {
			if (vlen != 1)
				return SMPP_ETLV;
			sm->message_state = v[0];
			sm->has_message_state = 1;
		} else if (br != NULL && tag == SMPP_TLV_SC_INTERFACE_VERSION) {
			if (vlen != 1)
				return SMPP_ETLV;
			br->sc_interface_version = v[0];
			br->has_sc_interface_version = 1;
		}
	}
	return SMPP_OK;
}

static int rd_bind(struct rd *r, struct smpp_bind *b)
{
	int rc;

	if ((rc = rd_cstr(r, b->system_id, sizeof(b->system_id))) != SMPP_OK ||
	    (rc = rd_cstr(r, b->password, sizeof(b->password))) != SMPP_OK ||
	    (rc = rd_cstr(r, b->system_type, sizeof(b->system_type))) != SMPP_OK ||
	    (rc = rd_u8(r, &b->interface_version)) != SMPP_OK ||
	    (rc = rd_u8(r, &b->addr_ton)) != SMPP_OK ||
	    (rc = rd_u8(r, &b->addr_npi)) != SMPP_OK ||
	    (rc = rd_cstr(r, b->address_range, sizeof(b->address_range))) != SMPP_OK)
		return rc;
	/* SMPP 3.4 defines no optional parameter for bind requests. */
	return r->pos == r->len ? SMPP_OK : SMPP_EBODY_LONG;
}

static int rd_sm(struct rd *r, struct smpp_sm *sm)
{
	int rc;

	if ((rc = rd_cstr(r, sm->service_type, sizeof(sm->service_type))) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->source_addr_ton)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->source_addr_npi)) != SMPP_OK ||
	    (rc = rd_cstr(r, sm->source_addr, sizeof(sm->source_addr))) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->dest_addr_ton)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->dest_addr_npi)) != SMPP_OK ||
	    (rc = rd_cstr(r, sm->destination_addr, sizeof(sm->destination_addr))) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->esm_class)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->protocol_id)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->priority_flag)) != SMPP_OK ||
	    (rc = rd_cstr(r, sm->schedule_delivery_time, sizeof(sm->schedule_delivery_time))) != SMPP_OK ||
	    (rc = rd_cstr(r, sm->validity_period, sizeof(sm->validity_period))) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->registered_delivery)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->replace_if_present_flag)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->data_coding)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->sm_default_msg_id)) != SMPP_OK ||
	    (rc = rd_u8(r, &sm->sm_length)) != SMPP_OK)
		return rc;
	if (sm->sm_length > SMPP_SM_MAX || r->len - r->pos < sm->sm_length)
		return SMPP_ESM_LENGTH;
	memcpy(sm->short_message, r->p + r->pos, sm->sm_length);
	r->pos += sm->sm_length;
	return rd_tlvs(r, sm, NULL);
}

int smpp_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out, size_t *used)
{
	struct rd r = { buf, 0, SMPP_HEADER_LEN };
	struct smpp_header *h = &out->h;
	size_t need;
	int rc;

	assert(out != NULL && used != NULL);
	assert(buf != NULL || len == 0);
	memset(out, 0, sizeof(*out));
	if (len < SMPP_HEADER_LEN) {
		rc = smpp_pdu_need(buf, len, &need);
		if (rc == SMPP_OK)
			rc = SMPP_ETRUNCATED;
		goto out;
	}
	h->command_length = get_be32(buf);
	h->command_id = get_be32(buf + 4);
	h->command_status = get_be32(buf + 8);
	h->sequence_number = get_be32(buf + 12);
	rc = smpp_pdu_need(buf, len, &need);
	if (rc != SMPP_OK)
		goto out;
	if (len < need) {
		rc = SMPP_ETRUNCATED;
		goto out;
	}
	*used = need;
	r.len = need;
	switch (h->command_id) {
	case SMPP_BIND_TRANSCEIVER:
		rc = rd_bind(&r, &out->u.bind);
		break;
	case SMPP_BIND_TRANSCEIVER_RESP:
		if (empty_error_resp(&r, h))
			break;
		rc = rd_cstr(&r, out->u.bind_resp.system_id, sizeof(out->u.bind_resp.system_id));
		if (rc == SMPP_OK)
			rc = rd_tlvs(&r, NULL, &out->u.bind_resp);
		break;
	case SMPP_SUBMIT_SM:
	case SMPP_DELIVER_SM:
		rc = rd_sm(&r, &out->u.sm);
		break;
	case SMPP_SUBMIT_SM_RESP:
	case SMPP_DELIVER_SM_RESP:
		if (empty_error_resp(&r, h))
			break;
		rc = rd_cstr(&r, out->u.sm_resp.message_id, sizeof(out->u.sm_resp.message_id));
		if (rc == SMPP_OK && r.pos != r.len)
			rc = SMPP_EBODY_LONG;
		break;
	case SMPP_ENQUIRE_LINK:
	case SMPP_ENQUIRE_LINK_RESP:
	case SMPP_UNBIND:
	case SMPP_UNBIND_RESP:
	case SMPP_GENERIC_NACK:
		if (r.pos != r.len)
			rc = SMPP_EBODY_LONG;
		break;
	default:
		rc = SMPP_EUNKNOWN_CMD;
		break;
	}
out:
	return rc;
}

/* ---- encoding ---- */

struct wr {
	uint8_t *p;
	size_t cap, pos;
	int err; /* first error; later writes are skipped */
};

static void wr_bytes(struct wr *w, const void *v, size_t n)
{
	if (w->err != SMPP_OK)
		return;
	if (w->cap - w->pos < n) {
		w->err = SMPP_ESPACE;
		return;
	}
	memcpy(w->p + w->pos, v, n);
	w->pos += n;
}

static void wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void wr_be16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, 2);
}

static void wr_be32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, 4);
}

/* s is a char[max]; a string filling all of it has no room for its NUL. */
static void wr_cstr(struct wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (w->err == SMPP_OK && n == max) {
		w->err = SMPP_ESTR_TOO_LONG;
		return;
	}
	wr_bytes(w, s, n + 1);
}

static void wr_sm(struct wr *w, const struct smpp_sm *sm)
{
	wr_cstr(w, sm->service_type, sizeof(sm->service_type));
	wr_u8(w, sm->source_addr_ton);
	wr_u8(w, sm->source_addr_npi);
	wr_cstr(w, sm->source_addr, sizeof(sm->source_addr));
	wr_u8(w, sm->dest_addr_ton);
	wr_u8(w, sm->dest_addr_npi);
	wr_cstr(w, sm->destination_addr, sizeof(sm->destination_addr));
	wr_u8(w, sm->esm_class);
	wr_u8(w, sm->protocol_id);
	wr_u8(w, sm->priority_flag);
	wr_cstr(w, sm->schedule_delivery_time, sizeof(sm->schedule_delivery_time));
	wr_cstr(w, sm->validity_period, sizeof(sm->validity_period));
	wr_u8(w, sm->registered_delivery);
	wr_u8(w, sm->replace_if_present_flag);
	wr_u8(w, sm->data_coding);
	wr_u8(w, sm->sm_default_msg_id);
	if (w->err == SMPP_OK && sm->sm_length > SMPP_SM_MAX)
		w->err = SMPP_ESM_LENGTH;
	wr_u8(w, sm->sm_length);
	wr_bytes(w, sm->short_message, sm->sm_length);
	if (sm->has_receipted_message_id) {
		size_t n = strnlen(sm->receipted_message_id, sizeof(sm->receipted_message_id));

		if (w->err == SMPP_OK && n == sizeof(sm->receipted_message_id))
			w->err = SMPP_ESTR_TOO_LONG;
		wr_be16(w, SMPP_TLV_RECEIPTED_MESSAGE_ID);
		wr_be16(w, (uint16_t)(n + 1));
		wr_bytes(w, sm->receipted_message_id, n + 1);
	}
	if (sm->has_message_state) {
		wr_be16(w, SMPP_TLV_MESSAGE_STATE);
		wr_be16(w, 1);
		wr_u8(w, sm->message_state);
	}
}

int smpp_encode(const struct smpp_pdu *p, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = { buf, cap, 0, SMPP_OK };
	int rc;

	assert(p != NULL && len != NULL);
	assert(buf != NULL || cap == 0);
	/* command_length is patched in below, once the body is written. */
	wr_be32(&w, 0);
	wr_be32(&w, p->h.command_id);
	wr_be32(&w, p->h.command_status);
	wr_be32(&w, p->h.sequence_number);
	switch (p->h.command_id) {
	case SMPP_BIND_TRANSCEIVER: {
		const struct smpp_bind *b = &p->u.bind;

		wr_cstr(&w, b->system_id, sizeof(b->system_id));
		wr_cstr(&w, b->password, sizeof(b->password));
		wr_cstr(&w, b->system_type, sizeof(b->system_type));
		wr_u8(&w, b->interface_version);
		wr_u8(&w, b->addr_ton);
		wr_u8(&w, b->addr_npi);
		wr_cstr(&w, b->address_range, sizeof(b->address_range));
		break;
	}
	case SMPP_BIND_TRANSCEIVER_RESP: {
		const struct smpp_bind_resp *br = &p->u.bind_resp;

		/* SMPP 3.4 4.1.6: no body when command_status is an error. */
		if (p->h.command_status != SMPP_ESME_ROK)
			break;
		wr_cstr(&w, br->system_id, sizeof(br->system_id));
		if (br->has_sc_interface_version) {
			wr_be16(&w, SMPP_TLV_SC_INTERFACE_VERSION);
			wr_be16(&w, 1);
			wr_u8(&w, br->sc_interface_version);
		}
		break;
	}
	case SMPP_SUBMIT_SM:
	case SMPP_DELIVER_SM:
		wr_sm(&w, &p->u.sm);
		break;
	case SMPP_SUBMIT_SM_RESP:
		/* SMPP 3.4 4.4.2: no body when command_status is an error. */
		if (p->h.command_status != SMPP_ESME_ROK)
			break;
		wr_cstr(&w, p->u.sm_resp.message_id, sizeof(p->u.sm_resp.message_id));
		break;
	case SMPP_DELIVER_SM_RESP:
		/* Always a body: 4.6.2 states no exception, and SMSCs expect the NUL. */
		wr_cstr(&w, p->u.sm_resp.message_id, sizeof(p->u.sm_resp.message_id));
		break;
	case SMPP_ENQUIRE_LINK:
	case SMPP_ENQUIRE_LINK_RESP:
	case SMPP_UNBIND:
	case SMPP_UNBIND_RESP:
	case SMPP_GENERIC_NACK:
		break;
	default:
		rc = SMPP_EUNKNOWN_CMD;
		goto out;
	}
	rc = w.err;
	if (rc != SMPP_OK)
		goto out;
	/* The largest body written here is far below SMPP_PDU_MAX. */
	assert(w.pos <= SMPP_PDU_MAX);
	buf[0] = (uint8_t)(w.pos >> 24);
	buf[1] = (uint8_t)(w.pos >> 16);
	buf[2] = (uint8_t)(w.pos >> 8);
	buf[3] = (uint8_t)w.pos;
	*len = w.pos;
out:
	return rc;
}

/* ---- delivery receipts ---- */

int smpp_is_receipt(uint8_t esm_class)
{
	return (esm_class & SMPP_ESM_RECEIPT) != 0;
}

static const char *const smpp_stat_names[] = {
	[SMPP_STAT_ENROUTE] = "ENROUTE", [SMPP_STAT_DELIVRD] = "DELIVRD",
	[SMPP_STAT_EXPIRED] = "EXPIRED", [SMPP_STAT_DELETED] = "DELETED",
	[SMPP_STAT_UNDELIV] = "UNDELIV", [SMPP_STAT_ACCEPTD] = "ACCEPTD",
	[SMPP_STAT_UNKNOWN] = "UNKNOWN", [SMPP_STAT_REJECTD] = "REJECTD",
};

const char *smpp_stat_name(enum smpp_stat st)
{
	if ((int)st < SMPP_STAT_ENROUTE || st > SMPP_STAT_REJECTD)
		return "?";
	return smpp_stat_names[st];
}

/* s[0..n) equals the lower-case word, ASCII case ignored. */
static int word_is(const uint8_t *s, size_t n, const char *word)
{
	size_t k;

	for (k = 0; k < n && word[k] != '\0'; k++) {
		uint8_t c = s[k];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)word[k])
			return 0;
	}
	return k == n && word[k] == '\0';
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Two decimal digits. */
static unsigned dd(const uint8_t *s)
{
	return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

/* "YYMMDDhhmm" or "YYMMDDhhmmss". */
static int parse_time(const uint8_t *s, size_t n, struct smpp_receipt_time *t)
{
	if (n != 10 && n != 12)
		return SMPP_ERECEIPT;
	for (size_t k = 0; k < n; k++)
		if (!is_digit(s[k]))
			return SMPP_ERECEIPT;
	t->year = (uint16_t)(2000 + dd(s));
	t->month = (uint8_t)dd(s + 2);
	t->day = (uint8_t)dd(s + 4);
	t->hour = (uint8_t)dd(s + 6);
	t->minute = (uint8_t)dd(s + 8);
	t->second = n == 12 ? (uint8_t)dd(s + 10) : 0;
	if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31 || t->hour > 23 ||
	    t->minute > 59 || t->second > 59)
		return SMPP_ERECEIPT;
	return SMPP_OK;
}

/* Up to 9 digits, so that the value fits an int; -1 when empty. */
static int parse_count(const uint8_t *s, size_t n, int *v)
{
	int x = 0;

	if (n > 9)
		return SMPP_ERECEIPT;
	for (size_t k = 0; k < n; k++) {
		if (!is_digit(s[k]))
			return SMPP_ERECEIPT;
		x = x * 10 + (s[k] - '0');
	}
	*v = n == 0 ? -1 : x;
	return SMPP_OK;
}

static int parse_stat(const uint8_t *s, size_t n, enum smpp_stat *st)
{
	for (int k = SMPP_STAT_ENROUTE; k <= SMPP_STAT_REJECTD; k++) {
		const char *name = smpp_stat_names[k];
		size_t m = strlen(name);

		if (n == m) {
			size_t i;

			for (i = 0; i < n; i++) {
				uint8_t c = s[i];

				if (c >= 'a' && c <= 'z')
					c = (uint8_t)(c - 'a' + 'A');
				if (c != (uint8_t)name[i])
					break;
			}
			if (i == n) {
				*st = (enum smpp_stat)k;
				return SMPP_OK;
			}
		}
	}
	return SMPP_ERECEIPT;
}

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Key characters: letters, digits, '_' and the space of "submit date". */
static int is_key_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
	       c == ' ';
}

/*
 * Tokens are "key:value" separated by white space; a value ends at white
 * space, except text's, which runs to the end (it quotes the message and
 * may hold anything). Keys may contain a space ("submit date"), so a key
 * runs from a token's start to its first ':' — a word without ':' before
 * the next key is garbage.
 */
int smpp_receipt_parse(const uint8_t *s, size_t len, struct smpp_receipt *out)
{
	size_t pos = 0;
	int have_id = 0, have_stat = 0, rc = SMPP_ERECEIPT;

	assert(out != NULL);
	assert(s != NULL || len == 0);
	memset(out, 0, sizeof(*out));
	out->sub = out->dlvrd = -1;
	while (pos < len) {
		size_t k0, kn, v0, vn;

		while (pos < len && is_space(s[pos]))
			pos++;
		if (pos == len)
			break;
		k0 = pos;
		while (pos < len && pos - k0 <= 16 && is_key_char(s[pos]))
			pos++;
		if (pos == len || s[pos] != ':' || pos == k0)
			goto out;
		kn = pos - k0;
		pos++;
		if (word_is(s + k0, kn, "text")) {
			out->has_text = 1;
			out->text_off = pos;
			out->text_len = len - pos;
			break;
		}
		v0 = pos;
		while (pos < len && !is_space(s[pos]))
			pos++;
		vn = pos - v0;
		if (word_is(s + k0, kn, "id")) {
			if (vn == 0 || vn >= sizeof(out->id) || memchr(s + v0, 0, vn) != NULL)
				goto out;
			memcpy(out->id, s + v0, vn);
			out->id[vn] = '\0';
			have_id = 1;
		} else if (word_is(s + k0, kn, "stat")) {
			if (parse_stat(s + v0, vn, &out->stat) != SMPP_OK)
				goto out;
			have_stat = 1;
		} else if (word_is(s + k0, kn, "err")) {
			if (vn >= sizeof(out->err))
				goto out;
			for (size_t i = 0; i < vn; i++)
				if (!is_key_char(s[v0 + i]))
					goto out;
			memcpy(out->err, s + v0, vn);
			out->err[vn] = '\0';
		} else if (word_is(s + k0, kn, "sub")) {
			if (parse_count(s + v0, vn, &out->sub) != SMPP_OK)
				goto out;
		} else if (word_is(s + k0, kn, "dlvrd")) {
			if (parse_count(s + v0, vn, &out->dlvrd) != SMPP_OK)
				goto out;
		} else if (word_is(s + k0, kn, "submit date")) {
			out->has_submit_date = vn > 0;
			if (vn > 0 && parse_time(s + v0, vn, &out->submit_date) != SMPP_OK)
				goto out;
		} else if (word_is(s + k0, kn, "done date")) {
			out->has_done_date = vn > 0;
			if (vn > 0 && parse_time(s + v0, vn, &out->done_date) != SMPP_OK)
				goto out;
		} else if (memchr(s + k0, ' ', kn) != NULL) {
			/* Unknown keys are skipped, but only single words: a space
			 * means words that were not key:value came first. */
			goto out;
		}
	}
	if (have_id && have_stat)
		rc = SMPP_OK;
out:
	return rc;
}
