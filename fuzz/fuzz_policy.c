/*
 * fuzz_policy — the policy loader on arbitrary bytes: it must report
 * problems, never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "../src/core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_diags diags = { 0 };
	struct policy *p = NULL;

	if (size > 65536)
		return 0;
	if (policy_parse("fuzz", (const char *)data, size, &p, &diags) == 0) {
		for (size_t i = 0; i < p->n_jurisdictions; i++)
			(void)policy_is_holiday(&p->jurisdictions[i], 19928, "America/Sao_Paulo", "x");
	}
	policy_free(p);
	policy_diags_release(&diags);
	return 0;
}
