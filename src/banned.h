/*
 * banned — string functions that overflow or are not re-entrant. Included in
 * every translation unit by the Makefile; using one breaks the build.
 * Use snprintf, memcpy with a checked length, strtoll with end checks.
 */
#ifndef RELANCE_BANNED_H
#define RELANCE_BANNED_H

/* The system headers first: glibc defines inline versions of some of these,
 * which must be seen before the names are poisoned below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNED(f) sorry_##f##_is_banned_in_relance

#undef strcpy
#define strcpy(a, b) BANNED(strcpy)
#undef strcat
#define strcat(a, b) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(a, b) BANNED(strtok)
#undef atoi
#define atoi(a) BANNED(atoi)
#undef atol
#define atol(a) BANNED(atol)
#undef atof
#define atof(a) BANNED(atof)
#undef gets
#define gets(a) BANNED(gets)

#endif
