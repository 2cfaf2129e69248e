/*
 * fuzz_config — the operations file loader on arbitrary bytes: it must
 * report problems, never crash, leak or read out of bounds, whatever the
 * environment holds for the ${NAME} values it reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../src/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *arg, const char *file, int line, int column, const char *message)
{
	size_t *n = arg;

	(void)file;
	(void)message;
	if (line < 1 || column < 1)
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	size_t problems = 0;

	if (size > 65536)
		return 0;
	/* Some names the corpus uses are set, others not: both paths run. */
	setenv("FUZZ_SECRET", "s3cret", 0);
	setenv("FUZZ_EMPTY", "", 0);
	if (config_parse("fuzz", (const char *)data, size, &cfg, count, &problems) == CONFIG_OK) {
		if (problems != 0)
			abort();
		config_release(&cfg);
	} else if (problems == 0) {
		abort();
	}
	return 0;
}
