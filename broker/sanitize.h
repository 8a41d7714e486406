/*
 * sanitize.h - make untrusted text (torrent names, tracker messages, engine
 * errors) safe to print on a terminal.
 */
#ifndef MEERKO_BROKER_SANITIZE_H
#define MEERKO_BROKER_SANITIZE_H
#include <stddef.h>

/* Copies in[0..inlen) to out (always NUL-terminated, truncated to fit),
 * keeping only well-formed UTF-8 of printable characters. Every control
 * character (C0, DEL, C1 — so no ESC, no CSI, no newline), every invalid,
 * overlong or surrogate sequence becomes '?'. Returns strlen(out). */
size_t mk_sanitize(const char *in, size_t inlen, char *out, size_t outlen);

#endif
