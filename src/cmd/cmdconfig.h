/*
 * cmdconfig — the operations file for commands (docs/configuration.md).
 */
#ifndef RELANCE_CMDCONFIG_H
#define RELANCE_CMDCONFIG_H

#include "../core/config.h"
#include "cmd.h"

/*
 * Loads the operations file named by --config, else $RELANCE_CONFIG (both
 * in ctx->config), else ./relance.conf. When none is named and
 * ./relance.conf does not exist, *cfg is config_init's (every channel
 * records) with cfg->path NULL, and 0 is returned. Otherwise every problem
 * is printed on stderr as FILE:LINE:COLUMN: message (or "relance: FILE:
 * reason" when the file cannot be read) and EXIT_USAGE returned, with *cfg
 * owning nothing. On 0 the caller owns *cfg (config_release); cfg->path
 * points into ctx or a static string.
 */
int cmd_config_load(struct cmd_ctx *ctx, struct config *cfg);

/* `relance config check [FILE]`. */
int cmd_config_check(struct cmd_ctx *ctx, int argc, char **argv);

#endif
