/*
 * g711 — G.711 µ-law and A-law (g711.h), after the ITU-T G.191 reference
 * code, and a test tone.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "g711.h"

/*
 * µ-law: 14 significant bits; magnitude biased by 33 so that segment
 * boundaries fall on powers of two; negative samples use the one's
 * complement (-1 codes like 0), as ITU-T G.191 does. Bits are inverted on
 * the wire: 0xFF is +0, 0x7F is -0.
 */
uint8_t g711_linear_to_ulaw(int16_t sample)
{
	int abs_v = sample < 0 ? ((~sample) >> 2) + 33 : (sample >> 2) + 33;
	int seg = 1, high, low;
	uint8_t code;

	if (abs_v > 0x1FFF)
		abs_v = 0x1FFF;
	for (int i = abs_v >> 6; i != 0; i >>= 1)
		seg++;
	high = 8 - seg;
	low = 0x0F - ((abs_v >> seg) & 0x0F);
	code = (uint8_t)((high << 4) | low);
	if (sample >= 0)
		code |= 0x80;
	return code;
}

int16_t g711_ulaw_to_linear(uint8_t code)
{
	int sign = code < 0x80 ? -1 : 1;
	int m = ~code, exponent = (m >> 4) & 0x07, step = 4 << (exponent + 1);

	m &= 0x0F;
	return (int16_t)(sign * ((0x80 << exponent) + step * m + step / 2 - 4 * 33));
}

/*
 * A-law: 13 significant bits, segments of 16 steps doubling from the
 * second; even bits inverted on the wire (XOR 0x55): 0xD5 is +0, 0x55 -0.
 */
uint8_t g711_linear_to_alaw(int16_t sample)
{
	int ix = sample < 0 ? (~sample) >> 4 : sample >> 4;

	if (ix > 15) {
		int exp = 1;

		while (ix > 16 + 15) {
			ix >>= 1;
			exp++;
		}
		ix -= 16;
		ix += exp << 4;
	}
	if (sample >= 0)
		ix |= 0x80;
	return (uint8_t)(ix ^ 0x55);
}

int16_t g711_alaw_to_linear(uint8_t code)
{
	int ix = (code ^ 0x55) & 0x7F, exp = ix >> 4, mant = ix & 0x0F;

	if (exp > 0)
		mant += 16;
	mant = (mant << 4) + 8;
	if (exp > 1)
		mant <<= exp - 1;
	return (int16_t)(code > 127 ? mant : -mant);
}

void g711_ulaw_to_alaw(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = g711_linear_to_alaw(g711_ulaw_to_linear(buf[i]));
}

void g711_tone(uint8_t *out, size_t n)
{
	const double step = 2.0 * 3.14159265358979323846 * 440.0 / G711_RATE;
	const size_t fade = G711_RATE / 100;

	for (size_t i = 0; i < n; i++) {
		double gain = 0.3;

		if (i < fade)
			gain *= (double)i / fade;
		if (n - i < fade)
			gain *= (double)(n - i) / fade;
		out[i] = g711_linear_to_ulaw((int16_t)(gain * 32767.0 * sin(step * (double)i)));
	}
}
