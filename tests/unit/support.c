/*
 * support — see support.h.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

char *support_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct policy *support_parse_policy(const char *name, const char *text, size_t len)
{
	struct policy *p = NULL;
	struct policy_diags d = { 0 };

	if (policy_parse(name, text, len, &p, &d) != 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", name, d.v[i].line, d.v[i].column,
				d.v[i].message);
		cr_assert_fail("%s does not parse", name);
	}
	policy_diags_release(&d);
	return p;
}

struct policy *support_load_example(const char *name)
{
	char path[256];
	size_t len;
	char *text;
	struct policy *p;

	snprintf(path, sizeof(path), "examples/policies/%s.yaml", name);
	text = support_slurp(path, &len);
	p = support_parse_policy(path, text, len);
	free(text);
	return p;
}

pid_t support_start_peer(const char *script, const char *out, const char *const *extra,
			 int *port)
{
	const char *top = getenv("TOP") ? getenv("TOP") : ".";
	char path[512], line[32];
	const char *argv[24];
	size_t n = 0, got = 0;
	struct pollfd p;
	int fds[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/tests/peers/%s", top, script);
	argv[n++] = "node";
	argv[n++] = path;
	argv[n++] = "--out";
	argv[n++] = out;
	for (size_t i = 0; extra && extra[i] && n < 23; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp("node", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	while (got < sizeof(line) - 1 && (got == 0 || line[got - 1] != '\n')) {
		ssize_t r;

		cr_assert_gt(poll(&p, 1, 15000), 0, "%s did not start", script);
		r = read(fds[0], line + got, sizeof(line) - 1 - got);
		cr_assert_gt(r, 0, "%s exited before printing its port", script);
		got += (size_t)r;
	}
	line[got] = '\0';
	close(fds[0]);
	*port = (int)strtol(line, NULL, 10);
	return pid;
}

void support_stop_peer(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

void support_peer_init(struct support_peer *p, const char *name, const char *out_name)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/relance-%s.XXXXXX", name);
	cr_assert_not_null(mkdtemp(p->dir));
	snprintf(p->out, sizeof(p->out), "%s/%s", p->dir, out_name);
	p->pid = -1;
}

void support_peer_release(struct support_peer *p)
{
	support_stop_peer(&p->pid);
	unlink(p->out);
	rmdir(p->dir);
}

int support_dead_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

json_t *support_jsonl_line(const char *path, int n)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 20];
	json_t *obj = NULL;

	if (f == NULL)
		return NULL;
	for (int i = 0; i <= n && fgets(buf, sizeof(buf), f); i++)
		if (i == n)
			obj = json_loads(buf, 0, NULL);
	fclose(f);
	return obj;
}

int support_jsonl_count(const char *path)
{
	int n = 0;
	json_t *o;

	while ((o = support_jsonl_line(path, n)) != NULL) {
		json_decref(o);
		n++;
	}
	return n;
}
