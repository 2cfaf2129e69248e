/*
 * arrange: plan schedules exact to the minor unit, promises kept or broken,
 * where a plan stands, and terms that survive a round trip through JSON.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/arrange.h"
#include "../../src/core/caltime.h"

static int32_t day(int y, int m, int d)
{
	int32_t out;

	cr_assert_eq(date_from_ymd(y, m, d, &out), CALTIME_OK);
	return out;
}

Test(arrange, schedule_adds_up_exactly)
{
	struct arrange_instalment v[ARRANGE_MAX_INSTALMENTS];
	char why[128];

	/* 100.00 in 3: 33.33, 33.33, 33.34 — nothing lost, nothing invented. */
	cr_assert_eq(arrange_plan_schedule(10000, 0, 3, day(2024, 1, 31), 31, 0, v, why,
					   sizeof(why)), ARRANGE_OK);
	cr_assert_eq(v[0].amount, 3333);
	cr_assert_eq(v[1].amount, 3333);
	cr_assert_eq(v[2].amount, 3334);
	/* The 31st clamped to February's last day, then back to the 31st. */
	cr_assert_eq(v[0].due_on, day(2024, 1, 31));
	cr_assert_eq(v[1].due_on, day(2024, 2, 29));
	cr_assert_eq(v[2].due_on, day(2024, 3, 31));

	/* Every size and count: the sum is always the debt less the down payment. */
	for (int64_t total = 1; total < 3000; total += 37)
		for (int n = 1; n <= 24; n++) {
			int64_t down = total / 7, sum = 0;

			if (arrange_plan_schedule(total, down, n, day(2024, 12, 15), 0, 14, v, why,
						  sizeof(why)) != ARRANGE_OK) {
				cr_assert_lt(total - down, n, "refused only when under a unit each");
				continue;
			}
			for (int i = 0; i < n; i++) {
				cr_assert_gt(v[i].amount, 0);
				cr_assert_eq(v[i].due_on, day(2024, 12, 15) + 14 * i);
				sum += v[i].amount;
			}
			cr_assert_eq(sum, total - down, "total %lld n %d", (long long)total, n);
		}
}

Test(arrange, schedule_refusals)
{
	struct arrange_instalment v[ARRANGE_MAX_INSTALMENTS];
	char why[128];

	cr_assert_eq(arrange_plan_schedule(10000, 0, 0, day(2024, 1, 1), 1, 0, v, why, sizeof(why)),
		     ARRANGE_INPUT);
	cr_assert_eq(arrange_plan_schedule(10000, 10000, 2, day(2024, 1, 1), 1, 0, v, why,
					   sizeof(why)), ARRANGE_INPUT);
	cr_assert(strstr(why, "down payment") != NULL, "%s", why);
	cr_assert_eq(arrange_plan_schedule(0, 0, 2, day(2024, 1, 1), 1, 0, v, why, sizeof(why)),
		     ARRANGE_INPUT);
	cr_assert_eq(arrange_plan_schedule(10000, 0, 2, day(2024, 1, 1), 1, 7, v, why, sizeof(why)),
		     ARRANGE_INPUT, "both a day of the month and every N days");
	cr_assert_eq(arrange_plan_schedule(5, 0, 6, day(2024, 1, 1), 0, 7, v, why, sizeof(why)),
		     ARRANGE_INPUT, "less than a minor unit each");
}

Test(arrange, promise_kept_broken_open)
{
	int32_t due = day(2024, 7, 30);

	cr_assert_eq(arrange_promise_check(7990, due, 0, 0, due), PROMISE_OPEN);
	cr_assert_eq(arrange_promise_check(7990, due, 7990, 0, due - 5), PROMISE_KEPT,
		     "kept as soon as paid");
	cr_assert_eq(arrange_promise_check(7990, due, 7989, 0, due + 1), PROMISE_BROKEN);
	/* 2 % tolerance on 79.90 is 1.59 (rounded down): 78.31 keeps it. */
	cr_assert_eq(arrange_promise_check(7990, due, 7831, 2, due + 1), PROMISE_KEPT);
	cr_assert_eq(arrange_promise_check(7990, due, 7830, 2, due + 1), PROMISE_BROKEN);
	/* No overflow near the limits. */
	cr_assert_eq(arrange_promise_check(INT64_MAX, due, INT64_MAX - 1, 1, due + 1), PROMISE_KEPT);
}

static struct arrange_terms plan(struct arrange_instalment *v)
{
	struct arrange_terms t = { 0 };

	/* 300.00: 60.00 down by Aug 5, then 3 x 80.00 on the 10th. */
	t.total = 30000;
	t.down_payment = 6000;
	t.down_due_on = day(2024, 8, 5);
	v[0] = (struct arrange_instalment){ day(2024, 8, 10), 8000 };
	v[1] = (struct arrange_instalment){ day(2024, 9, 10), 8000 };
	v[2] = (struct arrange_instalment){ day(2024, 10, 10), 8000 };
	t.instalments = v;
	t.n_instalments = 3;
	return t;
}

Test(arrange, plan_status)
{
	struct arrange_instalment v[3];
	struct arrange_terms t = plan(v);
	struct arrange_plan_status st;

	/* Nothing paid yet, before the grace ends: not missed. */
	arrange_plan_check(&t, 30000, day(2024, 8, 10), 5, &st);
	cr_assert_eq(st.missed, 0);
	cr_assert_eq(st.first_met, 0);
	cr_assert_eq(st.next_due, day(2024, 8, 5));
	cr_assert_eq(st.next_amount, 6000);
	cr_assert_eq(st.next_check, day(2024, 8, 11));
	/* Past the grace: the down payment is missed. */
	arrange_plan_check(&t, 30000, day(2024, 8, 11), 5, &st);
	cr_assert_eq(st.missed, 1);
	/* The down payment paid: first payment met, services come back. */
	arrange_plan_check(&t, 24000, day(2024, 8, 11), 5, &st);
	cr_assert_eq(st.missed, 0);
	cr_assert_eq(st.first_met, 1);
	cr_assert_eq(st.next_due, day(2024, 8, 10));
	cr_assert_eq(st.next_amount, 8000);
	/* 50.00 of the first 80.00 by Aug 16: missed (30.00 short). */
	arrange_plan_check(&t, 19000, day(2024, 8, 16), 5, &st);
	cr_assert_eq(st.missed, 1);
	cr_assert_eq(st.next_amount, 3000);
	/* Paid ahead: the third instalment is next. */
	arrange_plan_check(&t, 8000, day(2024, 9, 20), 5, &st);
	cr_assert_eq(st.missed, 0);
	cr_assert_eq(st.next_due, day(2024, 10, 10));
	/* All paid. */
	arrange_plan_check(&t, 0, day(2024, 12, 1), 5, &st);
	cr_assert_eq(st.completed, 1);
	cr_assert_eq(st.missed, 0);
	cr_assert_eq(st.next_due, POSITION_NO_DATE);
}

Test(arrange, owed_through_follows_open_items)
{
	struct open_item items[3] = {
		{ day(2024, 6, 30), day(2024, 6, 5), 7990 },
		{ day(2024, 7, 30), day(2024, 7, 5), 7990 },
		{ day(2024, 8, 30), day(2024, 8, 5), 7990 },
	};
	struct position p = { 0 };

	p.open = items;
	p.n_open = 3;
	cr_assert_eq(arrange_owed_through(&p, day(2024, 7, 30)), 15980);
	cr_assert_eq(arrange_owed_through(&p, day(2024, 6, 29)), 0);
}

Test(arrange, terms_round_trip)
{
	struct arrange_instalment v[3];
	struct arrange_terms t = plan(v), back;
	char *json;

	memcpy(t.currency, "BRL", 4);
	t.covered_through = day(2024, 7, 21);
	t.expires_on = day(2024, 7, 27);
	t.restored = 1;
	t.note = "agreed on the phone, \"urgent\"";
	t.due_on = t.answer_by = POSITION_NO_DATE;
	json = arrange_terms_encode(&t);
	cr_assert_not_null(json);
	cr_assert(strstr(json, "\"2024-08-10\"") != NULL, "%s", json);
	cr_assert_eq(arrange_terms_decode(json, &back), ARRANGE_OK);
	cr_assert_str_eq(back.currency, "BRL");
	cr_assert_eq(back.total, 30000);
	cr_assert_eq(back.down_payment, 6000);
	cr_assert_eq(back.down_due_on, day(2024, 8, 5));
	cr_assert_eq(back.n_instalments, 3);
	cr_assert_eq(back.instalments[2].due_on, day(2024, 10, 10));
	cr_assert_eq(back.instalments[2].amount, 8000);
	cr_assert_eq(back.covered_through, day(2024, 7, 21));
	cr_assert_eq(back.restored, 1);
	cr_assert_eq(back.due_on, POSITION_NO_DATE);
	cr_assert_str_eq(back.note, t.note);
	arrange_terms_release(&back);
	free(json);

	/* Not terms: refused, never half read. */
	cr_assert_eq(arrange_terms_decode("[1]", &back), ARRANGE_SYNTAX);
	cr_assert_eq(arrange_terms_decode("{\"amount\":\"12\"}", &back), ARRANGE_SYNTAX);
	cr_assert_eq(arrange_terms_decode("{\"due_on\":\"2024-02-30\"}", &back), ARRANGE_SYNTAX);
	cr_assert_eq(arrange_terms_decode("{\"instalments\":[{\"due_on\":\"2024-02-01\"}]}", &back),
		     ARRANGE_SYNTAX);
}
