/*
 * g711 — ITU-T G.711 µ-law and A-law at 8 kHz: 16-bit linear samples, of
 * which µ-law keeps 14 bits and A-law 13. Used by the prompts (what is
 * cached is already encoded) and by the calls (RTP payloads). No I/O.
 */
#ifndef RELANCE_VOICE_G711_H
#define RELANCE_VOICE_G711_H

#include <stddef.h>
#include <stdint.h>

#define G711_RATE 8000   /* samples a second */

uint8_t g711_linear_to_ulaw(int16_t sample);
int16_t g711_ulaw_to_linear(uint8_t code);
uint8_t g711_linear_to_alaw(int16_t sample);
int16_t g711_alaw_to_linear(uint8_t code);
/* µ-law to A-law for a whole buffer, in place (the answer chose PCMA). */
void g711_ulaw_to_alaw(uint8_t *buf, size_t n);

/*
 * Fills out[0..n) with µ-law samples of a 440 Hz tone, faded in and out
 * over 10 ms so that the start and end do not click. For `relance voice
 * call --tone` and the tests: no audio file needed.
 */
void g711_tone(uint8_t *out, size_t n);

#endif
