/*
 * rtp_sink — the RTP receiver of bench/run's voice section.
 *
 *   rtp_sink MAX_SECONDS
 *
 * Binds a UDP socket on 127.0.0.1 (a port of the system's choosing), prints
 * the port on the first line of standard output, and records every RTP
 * packet (SSRC, sequence number, arrival time) until SIGTERM or SIGINT, or
 * MAX_SECONDS at most. Then prints one "name value" line per figure:
 *
 *   packets, streams, lost (sequence numbers missing, per stream), dropped
 *   (datagrams the kernel threw away for a full socket buffer), the most
 *   streams active at once (a stream is active from its first packet to its
 *   last), and the jitter: over every pair of consecutive packets of a
 *   stream, |gap - 20 ms| in ms, its median and 99th percentile over all
 *   pairs, and the largest per-stream 99th percentile.
 *
 * The arrival time is the kernel's (SO_TIMESTAMPNS), taken when the
 * datagram reaches the socket: on the loopback that is the sender's
 * sendto() give or take microseconds, so the figures measure the sender's
 * pacing, not how soon this process got the CPU on a busy machine.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
/* 16 bytes a packet: 8 M packets (about 28 stream-hours at 50 a second) is
 * 128 MiB, the cap; past it packets are counted but not timed. */
#define MAX_RECORDS (8u << 20)

struct rec {
	int64_t t_ns;
	uint32_t ssrc;
	uint32_t idx;           /* arrival order, to keep it within a stream */
	uint16_t seq;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->ssrc != y->ssrc)
		return x->ssrc < y->ssrc ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n), sorted; 0 when empty. */
static double quantile(const double *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct rec *recs;
	size_t n = 0;
	unsigned long long packets = 0, dropped = 0;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned char bufs[BATCH][256];
	union { char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align; } ctl[BATCH];
	struct sigaction sig = { .sa_handler = on_signal };
	long max_s;
	char *end;
	time_t deadline;
	int fd, one = 1, rcvbuf = 16 << 20;

	if (argc != 2 || (max_s = strtol(argv[1], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "usage: rtp_sink MAX_SECONDS\n");
		return 2;
	}
	deadline = time(NULL) + max_s;
	recs = malloc(MAX_RECORDS * sizeof(*recs));
	if (recs == NULL) {
		fprintf(stderr, "rtp_sink: out of memory\n");
		return 1;
	}
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* 300 streams at 50 packets a second: a buffer of a few seconds of
	 * them, so that a pause of this process loses nothing (FORCE needs
	 * CAP_NET_ADMIN; the plain one is capped by net.core.rmem_max). */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
		fprintf(stderr, "rtp_sink: socket: %s\n", strerror(errno));
		return 1;
	}
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);

	while (!stop && time(NULL) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int got;

		if (poll(&p, 1, 200) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = ctl[i].buf, .msg_controllen = sizeof(ctl[i].buf) };
		}
		got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < got; i++) {
			const unsigned char *b = bufs[i];
			struct cmsghdr *c;
			int64_t t = -1;

			for (c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
				if (c->cmsg_level != SOL_SOCKET)
					continue;
				if (c->cmsg_type == SO_TIMESTAMPNS) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
				} else if (c->cmsg_type == SO_RXQ_OVFL) {
					uint32_t d;

					/* A running total of the socket's drops. */
					memcpy(&d, CMSG_DATA(c), sizeof(d));
					dropped = d;
				}
			}
			/* RTP version 2 with a 12-byte header; anything else is noise. */
			if (msgs[i].msg_len < 12 || b[0] >> 6 != 2 || t < 0)
				continue;
			packets++;
			if (n < MAX_RECORDS) {
				recs[n] = (struct rec){ .t_ns = t, .idx = (uint32_t)n,
					.seq = (uint16_t)(b[2] << 8 | b[3]),
					.ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 |
						(uint32_t)b[10] << 8 | b[11] };
				n++;
			}
		}
	}
	close(fd);

	{
		double *dev = malloc((n ? n : 1) * sizeof(double));
		double *sdev = malloc((n ? n : 1) * sizeof(double));
		int64_t *ev = malloc((n ? 2 * n : 1) * sizeof(int64_t));
		size_t nd = 0, streams = 0, nev = 0;
		unsigned long long lost = 0;
		double worst_p99 = 0;
		long active = 0, most = 0;

		if (dev == NULL || sdev == NULL || ev == NULL) {
			fprintf(stderr, "rtp_sink: out of memory\n");
			return 1;
		}
		qsort(recs, n, sizeof(*recs), rec_cmp);
		for (size_t i = 0; i < n;) {
			size_t j = i + 1, ns = 0;
			uint16_t span;

			while (j < n && recs[j].ssrc == recs[i].ssrc)
				j++;
			streams++;
			for (size_t k = i + 1; k < j; k++) {
				double gap = (double)(recs[k].t_ns - recs[k - 1].t_ns) / 1e6;

				dev[nd++] = sdev[ns++] = gap > 20 ? gap - 20 : 20 - gap;
			}
			qsort(sdev, ns, sizeof(double), dbl_cmp);
			if (quantile(sdev, ns, 0.99) > worst_p99)
				worst_p99 = quantile(sdev, ns, 0.99);
			/* Sequence numbers run by one from the first packet to the
			 * last: the span less what came is what went missing. */
			span = (uint16_t)(recs[j - 1].seq - recs[i].seq);
			if ((size_t)span + 1 > j - i)
				lost += (size_t)span + 1 - (j - i);
			/* Start and end events, the end coded odd so that at one
			 * instant a start sorts before an end. */
			{
				int64_t lo = recs[i].t_ns, hi = recs[i].t_ns;

				for (size_t k = i; k < j; k++) {
					lo = recs[k].t_ns < lo ? recs[k].t_ns : lo;
					hi = recs[k].t_ns > hi ? recs[k].t_ns : hi;
				}
				ev[nev++] = lo * 2;
				ev[nev++] = hi * 2 + 1;
			}
			i = j;
		}
		qsort(ev, nev, sizeof(int64_t), i64_cmp);
		for (size_t i = 0; i < nev; i++) {
			active += (ev[i] & 1) ? -1 : 1;
			most = active > most ? active : most;
		}
		qsort(dev, nd, sizeof(double), dbl_cmp);
		printf("packets %llu\n", packets);
		printf("timed %zu\n", n);
		printf("streams %zu\n", streams);
		printf("lost %llu\n", lost);
		printf("dropped %llu\n", dropped);
		printf("concurrent %ld\n", most);
		printf("jitter_median_ms %.3f\n", quantile(dev, nd, 0.5));
		printf("jitter_p99_ms %.3f\n", quantile(dev, nd, 0.99));
		printf("jitter_max_ms %.3f\n", nd ? dev[nd - 1] : 0.0);
		printf("jitter_worst_stream_p99_ms %.3f\n", worst_p99);
		free(dev);
		free(sdev);
		free(ev);
	}
	free(recs);
	return 0;
}
