/*
 * serve_web — the static pages: the agents' console, the customers'
 * portal and the managers' dashboard are HTML, JavaScript modules and CSS
 * (web/ in the sources) served from --web DIR:
 *
 *   /console/NAME    DIR/console/NAME       (/console: redirected to /console/)
 *   /portal/NAME     DIR/portal/NAME
 *   /dashboard/NAME  DIR/dashboard/NAME
 *   /common/NAME     DIR/common/NAME        (what the three share)
 *
 * Only a plain name is ever opened: letters, digits, '-', '_' and one '.'
 * before a known extension, so no path can leave its folder. The files
 * hold no data: everything comes from the API, under the signed-in user's
 * session, so these routes need none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const struct {
	const char *ext, *type;
} file_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".json", "application/json" },
};

/* The folder of a route's path: its first segment ("console", ...). */
static int folder_of(const char *path, char *out, size_t size)
{
	size_t len = strcspn(path + 1, "/");

	if (path[0] != '/' || len == 0 || len >= size)
		return -1;
	memcpy(out, path + 1, len);
	out[len] = '\0';
	return 0;
}

static int web_file(void *ctx, struct http_request *r, struct http_answer *a)
{
	struct app *app = ctx;
	const char *name = r->n_params ? r->params[0] : "index.html", *type = NULL, *dot;
	char path[4200], folder[32];
	FILE *f;
	long size;
	char *body;

	if (app->web == NULL) {
		http_answer_problem(a, 404, "Not Found", "no pages are served (serve --web DIR)");
		return 0;
	}
	dot = strchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (strcmp(dot, file_types[i].ext) == 0)
			type = file_types[i].type;
	if (type == NULL || dot == name || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != (size_t)(dot - name) ||
	    folder_of(r->path, folder, sizeof(folder)) != 0) {
		http_answer_problem(a, 404, "Not Found", "no such file");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", app->web, folder, name);
	if ((f = fopen(path, "rb")) == NULL) {
		http_answer_problem(a, 404, "Not Found", "no such file");
		return 0;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > (4L << 20) ||
	    fseek(f, 0, SEEK_SET) != 0 || (body = malloc((size_t)size + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(body, 1, (size_t)size, f) != (size_t)size) {
		free(body);
		fclose(f);
		return -1;
	}
	fclose(f);
	free(a->body);
	a->status = 200;
	a->content_type = type;
	a->body = body;
	a->len = (size_t)size;
	return 0;
}

/* /console -> /console/ (so that the page's relative names resolve). */
static int web_home(void *ctx, struct http_request *r, struct http_answer *a)
{
	(void)ctx;
	snprintf(a->location, sizeof(a->location), "%s/", r->path);
	http_answer_json(a, 308, strdup("{}"));
	return 0;
}

const struct http_route serve_web_routes[] = {
	{ "GET", "/console", NULL, web_home },
	{ "GET", "/console/", NULL, web_file },
	{ "GET", "/console/{file}", NULL, web_file },
	{ "GET", "/portal", NULL, web_home },
	{ "GET", "/portal/", NULL, web_file },
	{ "GET", "/portal/{file}", NULL, web_file },
	{ "GET", "/dashboard", NULL, web_home },
	{ "GET", "/dashboard/", NULL, web_file },
	{ "GET", "/dashboard/{file}", NULL, web_file },
	{ "GET", "/common/{file}", NULL, web_file },
};
const size_t serve_web_n_routes = sizeof(serve_web_routes) / sizeof(serve_web_routes[0]);
