/*
 * sanitize.h - make untrusted text (torrent names, tracker messages, engine
 * errors) safe to print on a terminal.
 */
#ifndef MEERKO_BROKER_SANITIZE_H
#define MEERKO_BROKER_SANITIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies in[0..inlen) to out (always NUL-terminated, truncated to fit),
 * keeping only well-formed UTF-8 of printable characters. Every control
 * character (C0, DEL, C1 — so no ESC, no CSI, no newline), every invalid,
 * overlong or surrogate sequence becomes '?' (one per byte), and so does
 * every invisible format or bidi control (mk_is_format_control: one '?'
 * per character). Returns strlen(out). */
size_t mk_sanitize(const char *in, size_t inlen, char *out, size_t outlen);

/* True for the Unicode format and bidirectional controls that change how
 * the text around them looks without being visible themselves (U+202E
 * shows "gpj.exe" as "exe.jpg"): the table in sanitize.c. The --json
 * writer escapes the same code points. */
bool mk_is_format_control(uint32_t cp);

#endif
