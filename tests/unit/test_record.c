/*
 * The recording adapter: SPEC.md's fields, one line per action, and no line
 * written twice for one key, even across a reopen.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/chan/record.h"

static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/relance-record.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/actions.jsonl", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static struct chan_action sms(const char *key)
{
	return (struct chan_action){
		.key = key, .at = 1721815200, .channel = "sms", .action = "send",
		.account_id = "A-BI-1", .customer_id = "C-BI-1", .policy_version = 3,
		.rule = "campaign/avis-juillet/notice#1", .to = "+25779123456",
		.text = "Bonjour Jean, payez 12 500 FBu avant le 24 juillet \"merci\"",
	};
}

static json_t *line(int n)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	json_t *obj = NULL;

	cr_assert_not_null(f);
	for (int i = 0; i <= n && fgets(buf, sizeof(buf), f); i++)
		if (i == n)
			obj = json_loads(buf, 0, NULL);
	fclose(f);
	return obj;
}

Test(record, writes_the_spec_fields, .init = setup, .fini = teardown)
{
	struct record *r;
	struct chan_outcome o;
	char err[256];
	struct chan_action a = sms("A-BI-1|v3|campaign/avis-juillet/notice#1|once|1");
	struct chan_action s = {
		.key = "A-BI-1|v3|campaign/avis-juillet/after_deadline#1|once|1", .at = 1721865600,
		.channel = "provisioning", .action = "suspend", .account_id = "A-BI-1",
		.customer_id = "C-BI-1", .policy_version = 3,
		.rule = "campaign/avis-juillet/after_deadline#1", .service_id = "S-BI-1",
		.level = "total",
	};
	json_t *obj;

	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_perform(r, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE);
	cr_assert_str_eq(o.detail, "delivered (recorded)");
	cr_assert_eq(record_perform(r, &s, &o), 0);
	cr_assert_str_eq(o.detail, "device converged (recorded)");
	record_close(r);

	obj = line(0);
	cr_assert_not_null(obj);
	cr_assert_str_eq(json_string_value(json_object_get(obj, "at")), "2024-07-24T10:00:00Z");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "channel")), "sms");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "action")), "send");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "account_id")), "A-BI-1");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "customer_id")), "C-BI-1");
	cr_assert_eq(json_integer_value(json_object_get(obj, "policy_version")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(obj, "rule")),
			 "campaign/avis-juillet/notice#1");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "to")), "+25779123456");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "text")), a.text);
	cr_assert_null(json_object_get(obj, "service_id"));
	json_decref(obj);

	obj = line(1);
	cr_assert_str_eq(json_string_value(json_object_get(obj, "service_id")), "S-BI-1");
	cr_assert_str_eq(json_string_value(json_object_get(obj, "level")), "total");
	cr_assert_null(json_object_get(obj, "to"));
	json_decref(obj);
}

Test(record, a_key_is_performed_once_even_after_reopen, .init = setup, .fini = teardown)
{
	struct record *r;
	struct chan_outcome o;
	char err[256];
	struct chan_action a = sms("K1"), b = sms("K2");

	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_perform(r, &a, &o), 0);
	cr_assert_eq(record_perform(r, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_ALREADY);
	record_close(r);

	/* As after a crash between performing and recording the outcome. */
	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_count(r), 1);
	cr_assert_eq(record_perform(r, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_ALREADY);
	cr_assert_eq(record_perform(r, &b, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE);
	cr_assert_eq(record_count(r), 2);
	record_close(r);
}

Test(record, torn_last_line_is_ignored_and_bad_lines_refused, .init = setup, .fini = teardown)
{
	struct record *r;
	struct chan_outcome o;
	char err[256];
	struct chan_action a = sms("K1");
	FILE *f;

	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_perform(r, &a, &o), 0);
	record_close(r);
	f = fopen(path, "a");
	fputs("{\"key\":\"K2\",\"chan", f);   /* killed mid-line: no newline */
	fclose(f);
	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_count(r), 1);
	a.key = "K2";
	cr_assert_eq(record_perform(r, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE);
	record_close(r);
	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_count(r), 2, "the torn fragment was cut off");
	record_close(r);

	f = fopen(path, "w");
	fputs("not json\n", f);
	fclose(f);
	cr_assert_eq(record_open(path, &r, err, sizeof(err)), -1);
	cr_assert(strstr(err, ":1: not a record line") != NULL, "%s", err);
}

Test(record, unwritable_path_is_named, .init = setup, .fini = teardown)
{
	struct record *r;
	char err[256];

	cr_assert_eq(record_open("/nonexistent-dir/x.jsonl", &r, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent-dir/x.jsonl: No such file") != NULL, "%s", err);
}

Test(record, escapes_text_and_refuses_what_is_not_utf8, .init = setup, .fini = teardown)
{
	struct record *r;
	struct chan_outcome o;
	char err[256];
	struct chan_action a = sms("k-escape");
	struct chan_action bad = sms("k-bad");
	json_t *obj;

	a.text = "Zoé \"payez\" \\ 12 500 FBu\nМерсі\t\x01 fin";
	bad.text = "caf\xe9";
	cr_assert_eq(record_open(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(record_perform(r, &a, &o), 0);
	cr_assert_eq(o.status, CHAN_DONE);
	record_perform(r, &bad, &o);
	cr_expect_eq(o.status, CHAN_REFUSED);
	cr_expect_str_eq(o.detail, "text not UTF-8");
	record_close(r);
	obj = line(0);
	cr_assert_not_null(obj, "the line is not JSON");
	cr_expect_str_eq(json_string_value(json_object_get(obj, "text")), a.text);
	cr_expect_str_eq(json_string_value(json_object_get(obj, "key")), "k-escape");
	json_decref(obj);
	cr_expect_null(line(1), "nothing written for the refused action");
}
