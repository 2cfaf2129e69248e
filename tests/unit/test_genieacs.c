/*
 * The GenieACS provisioning adapter: the setParameterValues task (JSON
 * escaping, typed values), the URLs (device ids percent-encoded), reading
 * back device documents, and applies against the NBI stand-in of
 * tests/peers/genieacs.js started per test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/chan/provisioning/genieacs.h"
#include "support.h"

#define LEVEL "InternetGatewayDevice.X_RELANCE.Level"
#define RATE "InternetGatewayDevice.X_RELANCE.RateLimitKbps"
#define PPP "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Enable"

/* ---- the task --------------------------------------------------------------------------- */

Test(genieacs, task_body_escapes_and_types_values)
{
	const struct genieacs_param p[] = {
		{ "Device.X_\"Q\"\\Path", "walled \"garden\"\n\\ é", NULL },
		{ RATE, "0512", "xsd:unsignedInt" },
		{ "A.Int", "-7", "xsd:int" },
		{ PPP, "0", "xsd:boolean" },
		{ "A.On", "true", "xsd:boolean" },
		{ "A.When", "2024-07-25T08:00:00Z", "xsd:dateTime" },
	};
	char err[160], *b = genieacs_task_body(p, 6, err, sizeof(err));

	cr_assert_not_null(b, "%s", err);
	cr_assert_str_eq(b, "{\"name\":\"setParameterValues\",\"parameterValues\":["
			 "[\"Device.X_\\\"Q\\\"\\\\Path\",\"walled \\\"garden\\\"\\n\\\\ é\",\"xsd:string\"],"
			 "[\"" RATE "\",512,\"xsd:unsignedInt\"],"
			 "[\"A.Int\",-7,\"xsd:int\"],"
			 "[\"" PPP "\",false,\"xsd:boolean\"],"
			 "[\"A.On\",true,\"xsd:boolean\"],"
			 "[\"A.When\",\"2024-07-25T08:00:00Z\",\"xsd:dateTime\"]]}");
	free(b);
}

Test(genieacs, task_body_refuses_bad_parameters)
{
	struct genieacs_param p = { LEVEL, "x", NULL };
	struct genieacs_param many[GENIEACS_MAX_PARAMS + 1];
	char err[160];

	for (size_t i = 0; i <= GENIEACS_MAX_PARAMS; i++)
		many[i] = p;
	cr_assert_null(genieacs_task_body(&p, 0, err, sizeof(err)));
	cr_assert_null(genieacs_task_body(many, GENIEACS_MAX_PARAMS + 1, err, sizeof(err)));
	p = (struct genieacs_param){ RATE, "-1", "xsd:unsignedInt" };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)));
	p = (struct genieacs_param){ RATE, "1.5", "xsd:unsignedInt" };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "whole number"));
	p = (struct genieacs_param){ RATE, "18446744073709551616", "xsd:unsignedLong" };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)), "over 64 bits");
	p = (struct genieacs_param){ PPP, "yes", "xsd:boolean" };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)));
	p = (struct genieacs_param){ LEVEL, "x", "xsd:float" };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "unknown type"));
	p = (struct genieacs_param){ "A,B", "x", NULL };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)), "',' would split a projection");
	p = (struct genieacs_param){ "A.\x01", "a", NULL };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)), "a control character in a path");
	p = (struct genieacs_param){ LEVEL, "\xc3", NULL };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)));
	p = (struct genieacs_param){ "", "x", NULL };
	cr_assert_null(genieacs_task_body(&p, 1, err, sizeof(err)));
	cr_assert(genieacs_type_valid(NULL));
	cr_assert(genieacs_type_valid("xsd:unsignedLong"));
	cr_assert_not(genieacs_type_valid("unsignedLong"));
}

/* ---- URLs ------------------------------------------------------------------------------- */

static void url_is(char *got, const char *want)
{
	cr_assert_not_null(got);
	cr_assert_str_eq(got, want);
	free(got);
}

Test(genieacs, urls_encode_device_ids)
{
	const struct genieacs_param p[] = { { LEVEL, "x", NULL }, { "A.B c", "y", NULL } };

	url_is(genieacs_tasks_url("http://acs:7557", "202BC1-BM632w-000001", 0),
	       "http://acs:7557/devices/202BC1-BM632w-000001/tasks?connection_request");
	/* GenieACS's own escape in an id is escaped again. */
	url_is(genieacs_tasks_url("http://acs:7557/", "00236a-SR552n-SR552NA084%2D0003269", 3000),
	       "http://acs:7557/devices/00236a-SR552n-SR552NA084%252D0003269/tasks?"
	       "timeout=3000&connection_request");
	url_is(genieacs_tasks_url("http://acs:7557//", "a b/c.d?e&é", 0),
	       "http://acs:7557/devices/a%20b%2Fc%2Ed%3Fe%26%C3%A9/tasks?connection_request");
	url_is(genieacs_query_url("http://acs:7557", "a b/c%2D", p, 2),
	       "http://acs:7557/devices/?query=%7B%22_id%22%3A%22a%20b%2Fc%252D%22%7D"
	       "&projection=_id," LEVEL ",A.B%20c");
	url_is(genieacs_query_url("http://acs:7557", "q\"\\", p, 0),
	       "http://acs:7557/devices/?query=%7B%22_id%22%3A%22q%5C%22%5C%5C%22%7D&projection=_id");
	url_is(genieacs_task_url("http://acs:7557", "5403908ef28ea3a25c138adc"),
	       "http://acs:7557/tasks/5403908ef28ea3a25c138adc");
	cr_assert_null(genieacs_tasks_url("http://acs:7557", "", 0));
	cr_assert_null(genieacs_query_url("http://acs:7557", NULL, p, 1));
}

/* ---- the read-back ---------------------------------------------------------------------- */

static const char *DOC =
	"[\n{\"_id\":\"other\",\"InternetGatewayDevice\":{\"X_RELANCE\":{\"Level\":"
	"{\"_value\":\"total\",\"_type\":\"xsd:string\"}}}},\n"
	"{\"_id\":\"202BC1-BM632w-000001\",\"_lastInform\":\"2024-07-25T08:00:00.000Z\","
	"\"InternetGatewayDevice\":{\"_object\":true,\"_writable\":false,"
	"\"_timestamp\":\"2024-07-25T08:00:00.000Z\",\"X_RELANCE\":{\"_object\":true,"
	"\"Level\":{\"_value\":\"walled_garden\",\"_type\":\"xsd:string\","
	"\"_timestamp\":\"2024-07-25T08:00:00.000Z\",\"_writable\":true},"
	"\"RateLimitKbps\":{\"_value\":512,\"_type\":\"xsd:unsignedInt\"},"
	"\"Text\":{\"_value\":\"512\",\"_type\":\"xsd:unsignedInt\"},"
	"\"Ratio\":{\"_value\":1.5,\"_type\":\"xsd:int\"},"
	"\"Null\":{\"_value\":null}},"
	"\"WANDevice\":{\"1\":{\"WANConnectionDevice\":{\"1\":{\"WANPPPConnection\":{\"1\":"
	"{\"Enable\":{\"_value\":false,\"_type\":\"xsd:boolean\"},"
	"\"Flag\":{\"_value\":\"1\",\"_type\":\"xsd:boolean\"}}}}}}}}}\n]";

static struct genieacs_result compare(const char *doc, const char *id,
				      const struct genieacs_param *p, size_t n)
{
	struct genieacs_result res;

	memset(&res, 0, sizeof(res));
	cr_assert_eq(genieacs_compare(doc, strlen(doc), id, p, n, &res), 0);
	return res;
}

Test(genieacs, read_back_confirms_typed_values)
{
	const struct genieacs_param p[] = {
		{ LEVEL, "walled_garden", NULL },
		{ RATE, "512", "xsd:unsignedInt" },
		{ "InternetGatewayDevice.X_RELANCE.Text", "0512", "xsd:unsignedInt" },
		{ PPP, "0", "xsd:boolean" },
		{ "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Flag",
		  "true", "xsd:boolean" },
	};
	struct genieacs_result res = compare(DOC, "202BC1-BM632w-000001", p, 5);

	cr_assert_eq(res.state, GENIEACS_CONFIRMED, "%s", res.out.detail);
	cr_assert_eq(res.out.status, CHAN_DONE);
	cr_assert_eq(res.n_values, 5);
	cr_assert_str_eq(res.values[0].value, "walled_garden");
	cr_assert_str_eq(res.values[0].type, "xsd:string");
	cr_assert_str_eq(res.values[1].value, "512");
	cr_assert_str_eq(res.values[3].value, "false");
}

Test(genieacs, read_back_reports_drift)
{
	const struct genieacs_param p[] = {
		{ LEVEL, "total", NULL },
		{ RATE, "512", NULL },   /* a string wanted, a number read */
		{ "InternetGatewayDevice.X_RELANCE.Ratio", "1", "xsd:int" },
		{ "InternetGatewayDevice.X_RELANCE.Null", "x", NULL },
		{ "InternetGatewayDevice.X_RELANCE.Missing", "x", NULL },
		{ "InternetGatewayDevice.X_RELANCE", "x", NULL },
		{ "InternetGatewayDevice..X_RELANCE.Level", "walled_garden", NULL },
	};
	struct genieacs_result res = compare(DOC, "202BC1-BM632w-000001", p, 7);

	cr_assert_eq(res.state, GENIEACS_DRIFT);
	cr_assert_eq(res.out.status, CHAN_FAILED);
	cr_assert_str_eq(res.out.detail, "drift: " LEVEL " is \"walled_garden\", not \"total\""
			 " (and more)");
	for (size_t i = 0; i < 7; i++)
		cr_assert_not(res.values[i].matches, "value %zu", i);
	cr_assert(res.values[1].found);
	cr_assert_str_eq(res.values[2].value, "1.5");
	cr_assert_not(res.values[3].found);
	cr_assert_not(res.values[4].found);
	cr_assert_not(res.values[5].found, "an object node has no value");
	cr_assert_not(res.values[6].found);
}

Test(genieacs, read_back_unknown_device_and_bad_answers)
{
	const struct genieacs_param p[] = { { LEVEL, "total", NULL } };
	struct genieacs_result res = compare("[\n\n]", "202BC1-BM632w-000001", p, 1);

	cr_assert_eq(res.state, GENIEACS_UNKNOWN_DEVICE);
	cr_assert_eq(res.out.status, CHAN_REFUSED);
	cr_assert_str_eq(res.out.detail, "device unknown to the ACS");
	res = compare(DOC, "202BC1-BM632w-00000", p, 1);
	cr_assert_eq(res.state, GENIEACS_UNKNOWN_DEVICE, "an id is matched whole");
	res = compare("{\"_id\":\"x\"}", "x", p, 1);
	cr_assert_eq(res.state, GENIEACS_ACS_ERROR);
	res = compare("[1]", "x", p, 1);
	cr_assert_eq(res.state, GENIEACS_ACS_ERROR);
	res = compare("[{\"_id\":\"x\"", "x", p, 1);
	cr_assert_eq(res.state, GENIEACS_ACS_ERROR);
	cr_assert_eq(res.out.status, CHAN_FAILED);
}

/* ---- against the NBI stand-in ----------------------------------------------------------- */

static struct support_peer peer;

static void setup(void)
{
	support_peer_init(&peer, "genieacs", "requests.jsonl");
}

static void teardown(void)
{
	support_peer_release(&peer);
}

static struct genieacs *open_at(int port)
{
	static char url[64];
	struct genieacs_options o = { .url = url, .timeout_ms = 3000, .cr_timeout_ms = 500 };
	struct genieacs *g = NULL;
	char err[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	cr_assert_eq(genieacs_open(&o, &g, err, sizeof(err)), 0, "%s", err);
	return g;
}

static int start_acs(void)
{
	static const char *const extra[] = {
		"--device", "202BC1-BM632w-000001", "--device", "CPE 2/%2D:offline", NULL,
	};
	int port;

	peer.pid = support_start_peer("genieacs.js", peer.out, extra, &port);
	return port;
}

/* POSTs to the stand-in's control endpoint with curl's command line tool. */
static void device_online(int port, const char *encoded_id)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "curl -sf -o /dev/null -X POST "
		 "'http://127.0.0.1:%d/_test/devices/%s/online'", port, encoded_id);
	cr_assert_eq(system(cmd), 0);
}

Test(genieacs, apply_online_confirmed, .init = setup, .fini = teardown)
{
	struct genieacs *g = open_at(start_acs());
	const struct genieacs_param p[] = {
		{ LEVEL, "throttle", NULL }, { RATE, "256", "xsd:unsignedInt" },
		{ PPP, "false", "xsd:boolean" },
	};
	struct genieacs_result res;

	cr_assert_eq(genieacs_apply(g, "202BC1-BM632w-000001", p, 3, &res), 0);
	cr_assert_eq(res.state, GENIEACS_CONFIRMED, "%s", res.out.detail);
	cr_assert_eq(res.out.status, CHAN_DONE);
	cr_assert_eq(strlen(res.out.peer_id), 24, "the task's _id");
	cr_assert_eq(support_jsonl_count(peer.out), 2, "the task, then the read-back");
	genieacs_close(g);
}

Test(genieacs, offline_device_queued_then_converges, .init = setup, .fini = teardown)
{
	int port = start_acs();
	struct genieacs *g = open_at(port);
	const struct genieacs_param p[] = { { LEVEL, "total", NULL } };
	struct genieacs_result res;
	json_t *line;

	cr_assert_eq(genieacs_apply(g, "CPE 2/%2D", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_QUEUED, "%s", res.out.detail);
	cr_assert_eq(res.out.status, CHAN_DONE);
	cr_assert_not_null(strstr(res.out.detail, "not confirmed"));
	line = support_jsonl_line(peer.out, 0);
	cr_assert_str_eq(json_string_value(json_object_get(line, "device")), "CPE 2/%2D");
	cr_assert_str_eq(json_string_value(json_object_get(line, "url")),
			 "/devices/CPE%202%2F%252D/tasks?timeout=500&connection_request");
	json_decref(line);
	cr_assert_eq(genieacs_read_back(g, "CPE 2/%2D", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_DRIFT, "%s", res.out.detail);
	cr_assert_str_eq(res.values[0].value, "full");
	device_online(port, "CPE%202%2F%252D");
	cr_assert_eq(genieacs_read_back(g, "CPE 2/%2D", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_CONFIRMED, "%s", res.out.detail);
	genieacs_close(g);
}

Test(genieacs, cancel_a_queued_task, .init = setup, .fini = teardown)
{
	int port = start_acs();
	struct genieacs *g = open_at(port);
	const struct genieacs_param p[] = { { LEVEL, "total", NULL } };
	struct genieacs_result res;
	struct chan_outcome out;
	char task[sizeof(res.out.peer_id)];

	cr_assert_eq(genieacs_apply(g, "CPE 2/%2D", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_QUEUED);
	memcpy(task, res.out.peer_id, sizeof(task));
	cr_assert_eq(genieacs_cancel(g, task, &out), 0);
	cr_assert_eq(out.status, CHAN_DONE, "%s", out.detail);
	cr_assert_eq(genieacs_cancel(g, task, &out), 0);
	cr_assert_eq(out.status, CHAN_ALREADY, "%s", out.detail);
	/* Back online, the device has nothing to run: the level stays. */
	device_online(port, "CPE%202%2F%252D");
	cr_assert_eq(genieacs_read_back(g, "CPE 2/%2D", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_DRIFT);
	genieacs_close(g);
}

Test(genieacs, unknown_device_fault_and_acs_down, .init = setup, .fini = teardown)
{
	struct genieacs *g = open_at(start_acs());
	const struct genieacs_param p[] = { { LEVEL, "total", NULL } };
	const struct genieacs_param ro[] = { { "InternetGatewayDevice.DeviceInfo.SerialNumber", "X", NULL } };
	struct genieacs_result res;
	json_t *line;

	cr_assert_eq(genieacs_apply(g, "no-such-device", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_UNKNOWN_DEVICE);
	cr_assert_eq(res.out.status, CHAN_REFUSED);
	cr_assert_str_eq(res.out.detail, "device unknown to the ACS");
	cr_assert_eq(genieacs_apply(g, "202BC1-BM632w-000001", ro, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_FAULT, "%s", res.out.detail);
	cr_assert_eq(res.out.status, CHAN_REFUSED);
	line = support_jsonl_line(peer.out, 2);
	cr_assert_str_eq(json_string_value(json_object_get(line, "method")), "DELETE");
	json_decref(line);
	genieacs_close(g);
	g = open_at(support_dead_port());
	cr_assert_eq(genieacs_apply(g, "202BC1-BM632w-000001", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_ACS_ERROR);
	cr_assert_eq(res.out.status, CHAN_FAILED);
	cr_assert_not_null(strstr(res.out.detail, "unreachable"));
	cr_assert_eq(genieacs_read_back(g, "202BC1-BM632w-000001", p, 1, &res), 0);
	cr_assert_eq(res.state, GENIEACS_ACS_ERROR);
	genieacs_close(g);
}
