/*
 * resample — rational sample-rate conversion of 16-bit mono audio, for
 * voice prompts: espeak-ng speaks at 22050 Hz, telephony (G.711) wants
 * 8000 Hz.
 *
 * Method: a polyphase FIR. The rate ratio out/in is reduced to up/down
 * (22050 -> 8000 is 160/441); the input is conceptually padded with up-1
 * zeros between samples, low-pass filtered below the lower Nyquist
 * frequency, and every down-th sample kept, computing only those outputs.
 * The prototype filter is a Kaiser-windowed sinc of RESAMPLE_TAPS taps
 * per phase, cut off at 0.475 of the lower rate (3800 Hz for 8 kHz),
 * about 70 dB down from ~4.2 kHz: what lies above 4 kHz in the voice
 * cannot fold back into the telephone band.
 *
 * The coefficients are designed once in double precision in
 * resample_init (a sinc needs sin()), then rounded to Q20 integers with
 * each phase summing to exactly 1.0 (a constant input stays constant).
 * resample_run uses integer arithmetic only; it saturates to int16.
 * Output sample n stands for input time n * in_rate / out_rate: the filter's
 * delay is compensated.
 */
#ifndef RELANCE_RESAMPLE_H
#define RELANCE_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define RESAMPLE_TAPS 128          /* per phase: 128 multiply-adds per output sample */
#define RESAMPLE_MAX_PHASES 1024   /* caps the table at 512 KiB */

struct resample {
	int up, down;               /* out_rate / in_rate, reduced */
	int32_t *coef;              /* [up][RESAMPLE_TAPS], Q20; owned */
};

/*
 * Designs the filter for in_rate -> out_rate (both 1000..192000 Hz).
 * Returns 0, or -1 when the rates are out of range, their reduced ratio
 * needs more than RESAMPLE_MAX_PHASES phases, or memory runs out (r is
 * then empty and resample_release harmless).
 */
int resample_init(struct resample *r, int in_rate, int out_rate);

/* How many output samples n_in input samples give. */
size_t resample_out_len(const struct resample *r, size_t n_in);

/* Converts in[0..n_in) into out[0..resample_out_len(n_in)). The input
 * is the whole signal: silence is assumed before and after it. */
void resample_run(const struct resample *r, const int16_t *in, size_t n_in, int16_t *out);

/* Frees the table; r may be resample_init'ed again. */
void resample_release(struct resample *r);

#endif
