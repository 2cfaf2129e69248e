/*
 * resample — polyphase FIR rate conversion (resample.h).
 *
 * Indices: u[m] is the input zero-stuffed by `up` (u[i*up] = x[i]), h the
 * prototype of L = up * RESAMPLE_TAPS taps, v = h * u, and output n is
 * v[n*down + L/2] (L/2: the filter's delay). For m = n*down + L/2 only the
 * taps j = p + k*up, p = m mod up, meet non-zero samples, x[m/up - k]:
 * phase p is the row coef[p][0..TAPS).
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resample.h"

#define Q 20
#define ONE (INT32_C(1) << Q)
#define KAISER_BETA 7.0            /* ~70 dB stop band */
#define CUTOFF 0.475               /* of the lower rate: 3800 Hz for 8 kHz */

static int gcd(int a, int b)
{
	while (b != 0) {
		int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Modified Bessel function of the first kind, order 0 (the Kaiser window). */
static double bessel_i0(double x)
{
	double sum = 1.0, term = 1.0;

	for (int k = 1; k < 50; k++) {
		term *= (x / (2.0 * k)) * (x / (2.0 * k));
		sum += term;
		if (term < sum * 1e-12)
			break;
	}
	return sum;
}

int resample_init(struct resample *r, int in_rate, int out_rate)
{
	int g, L;
	double fc, center, i0b;

	memset(r, 0, sizeof(*r));
	if (in_rate < 1000 || in_rate > 192000 || out_rate < 1000 || out_rate > 192000)
		return -1;
	g = gcd(in_rate, out_rate);
	r->up = out_rate / g;
	r->down = in_rate / g;
	if (r->up > RESAMPLE_MAX_PHASES)
		return -1;
	L = r->up * RESAMPLE_TAPS;
	r->coef = malloc((size_t)L * sizeof(*r->coef));
	if (r->coef == NULL)
		return -1;

	/* Cut-off as a fraction of the zero-stuffed rate in_rate * up. */
	fc = CUTOFF * (in_rate < out_rate ? in_rate : out_rate) / ((double)in_rate * r->up);
	center = (L - 1) / 2.0;
	i0b = bessel_i0(KAISER_BETA);
	for (int p = 0; p < r->up; p++) {
		int64_t sum = 0;
		int big = 0;

		for (int k = 0; k < RESAMPLE_TAPS; k++) {
			int j = p + k * r->up;
			double t = j - center, ratio = t / center, sinc, w, h;

			sinc = t == 0 ? 1.0 : sin(2.0 * M_PI * fc * t) / (2.0 * M_PI * fc * t);
			w = bessel_i0(KAISER_BETA * sqrt(fmax(0.0, 1.0 - ratio * ratio))) / i0b;
			/* 2 fc: unit gain at DC; * up: the zero-stuffing's loss. */
			h = 2.0 * fc * sinc * w * r->up;
			r->coef[p * RESAMPLE_TAPS + k] = (int32_t)lround(h * ONE);
			sum += r->coef[p * RESAMPLE_TAPS + k];
			if (abs(r->coef[p * RESAMPLE_TAPS + k]) > abs(r->coef[p * RESAMPLE_TAPS + big]))
				big = k;
		}
		/* Each phase sums to exactly 1.0: no DC ripple between phases. */
		r->coef[p * RESAMPLE_TAPS + big] += (int32_t)(ONE - sum);
	}
	return 0;
}

size_t resample_out_len(const struct resample *r, size_t n_in)
{
	assert(r->coef != NULL);
	if (n_in == 0)
		return 0;
	return (size_t)(((uint64_t)(n_in - 1) * (uint64_t)r->up) / (uint64_t)r->down) + 1;
}

void resample_run(const struct resample *r, const int16_t *in, size_t n_in, int16_t *out)
{
	size_t n_out = resample_out_len(r, n_in);
	uint64_t half = (uint64_t)r->up * RESAMPLE_TAPS / 2;

	for (size_t n = 0; n < n_out; n++) {
		uint64_t m = (uint64_t)n * (uint64_t)r->down + half;
		const int32_t *c = r->coef + (m % (uint64_t)r->up) * RESAMPLE_TAPS;
		int64_t i0 = (int64_t)(m / (uint64_t)r->up), acc = 0, v;

		for (int k = 0; k < RESAMPLE_TAPS; k++) {
			int64_t i = i0 - k;

			if (i >= 0 && i < (int64_t)n_in)
				acc += (int64_t)c[k] * in[i];
		}
		/* Round half away from zero without shifting a negative value. */
		v = acc >= 0 ? (acc + ONE / 2) / ONE : -((-acc + ONE / 2) / ONE);
		out[n] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
	}
}

void resample_release(struct resample *r)
{
	free(r->coef);
	memset(r, 0, sizeof(*r));
}
