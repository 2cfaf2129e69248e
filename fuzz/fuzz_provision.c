/*
 * Fuzz target: what relance parses of its provisioning peers — a webhook
 * receiver's answer body, a Relance-Signature header as a receiver reads
 * it, and a GenieACS device list read back. Invariants checked beyond
 * "no crash":
 *  - the text read from an answer (level, error) is NUL-terminated inside
 *    its field and holds no control character; a level is stated only by
 *    a 2xx that is not an error, and an error answer is never "already";
 *  - the class of a non-2xx answer does not depend on its body;
 *  - a signature header is accepted only when it is the one relance would
 *    write for that body and instant;
 *  - a device list read back gives one of the documented states, values
 *    only for CONFIRMED and DRIFT, "matches" only for a value found,
 *    CONFIRMED exactly when every value matches, and a one-line detail.
 * The input is given to each parser whole.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/chan/provisioning/genieacs.h"
#include "../src/chan/provisioning/webhook.h"

static void check_line(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			abort();
}

static void check_reply(const uint8_t *data, size_t size)
{
	struct webhook_reply r;
	enum webhook_answer a;

	a = webhook_classify(200, (const char *)data, size, &r);
	check_line(r.level, sizeof(r.level));
	check_line(r.error, sizeof(r.error));
	if (r.is_error && r.already)
		abort();
	if ((a == WEBHOOK_ERROR_BODY) != (r.is_error != 0))
		abort();
	if (a != WEBHOOK_ERROR_BODY && a != WEBHOOK_ALREADY && a != WEBHOOK_APPLIED)
		abort();
	if (webhook_classify(503, (const char *)data, size, &r) != WEBHOOK_RETRY || r.level[0] ||
	    webhook_classify(404, (const char *)data, size, NULL) != WEBHOOK_PERMANENT)
		abort();
}

static void check_signature(const uint8_t *data, size_t size)
{
	char header[256], want[WEBHOOK_SIGNATURE_SIZE];
	const char *body = "{\"service_id\":\"s\"}";

	if (size >= sizeof(header))
		return;
	memcpy(header, data, size);
	header[size] = '\0';
	if (webhook_verify("fuzz-secret", header, body, strlen(body), 1721894400, 300) != 0)
		return;
	/* Accepted: its first v1 need not be ours, but t must be near and
	 * our signature for that t must be among its v1. */
	{
		long long t = strtoll(header + 2, NULL, 10);

		if (t < 1721894400 - 300 || t > 1721894400 + 300)
			abort();
		if (webhook_sign("fuzz-secret", t, body, strlen(body), want) != 0 ||
		    strstr(header, strchr(want, ',') + 1) == NULL)
			abort();
	}
}

static void check_device_list(const uint8_t *data, size_t size)
{
	static const struct genieacs_param p[] = {
		{ "InternetGatewayDevice.X_RELANCE.Level", "total", NULL },
		{ "InternetGatewayDevice.X_RELANCE.RateLimitKbps", "512", "xsd:unsignedInt" },
		{ "InternetGatewayDevice.WANDevice.1.Enable", "false", "xsd:boolean" },
		{ "A", "", NULL },
	};
	struct genieacs_result res;
	size_t matching = 0;

	memset(&res, 0, sizeof(res));
	if (genieacs_compare((const char *)data, size, "202BC1-BM632w-000001", p, 4, &res) != 0)
		abort();
	check_line(res.out.detail, sizeof(res.out.detail));
	switch (res.state) {
	case GENIEACS_CONFIRMED:
	case GENIEACS_DRIFT:
		if (res.n_values != 4)
			abort();
		break;
	case GENIEACS_UNKNOWN_DEVICE:
	case GENIEACS_ACS_ERROR:
		if (res.n_values != 0)
			abort();
		return;
	default:
		abort();
	}
	for (size_t i = 0; i < 4; i++) {
		const struct genieacs_read *r = &res.values[i];

		check_line(r->value, sizeof(r->value));
		check_line(r->type, sizeof(r->type));
		if (r->matches && !r->found)
			abort();
		if (!r->found && r->value[0])
			abort();
		matching += r->matches != 0;
	}
	if ((res.state == GENIEACS_CONFIRMED) != (matching == 4))
		abort();
	if ((res.state == GENIEACS_CONFIRMED) != (res.out.status == CHAN_DONE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply(data, size);
	check_signature(data, size);
	check_device_list(data, size);
	return 0;
}
