/*
 * control_methods.h - the Transmission RPC methods meerko-control serves:
 * one JSON request body -> one ControlRequest, one ControlReply -> one JSON
 * response body. Pure functions (no I/O): the fuzz target calls them.
 *
 * Contract: mk_ctl_parse() never crashes and never leaks, whatever the
 * bytes; on any problem it sets p->error to the Transmission "result" text
 * to send back (p->req is then NULL and the broker is not asked). Unknown
 * argument names are ignored; an argument of the wrong JSON type is an
 * error. The rendered response has exactly the keys "arguments", "result"
 * and (if the request had one) "tag".
 */
#ifndef MEERKO_CONTROL_METHODS_H
#define MEERKO_CONTROL_METHODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

/* Deepest JSON nesting accepted (a request needs 3). */
#define MK_CTL_JSON_DEPTH 16

struct mk_ctl_method;

struct mk_ctl_parsed {
	const struct mk_ctl_method *method;  /* NULL: unknown or no method */
	Meerko__Control__ControlRequest *req; /* NULL when error is set */
	const char *error;                   /* result text, or NULL */
	bool has_tag;
	int64_t tag;
};

/* Parses body[0..len) (need not be NUL-terminated) into p, with request id. */
void mk_ctl_parse(const char *body, size_t len, uint64_t id, struct mk_ctl_parsed *p);

/* The response body (malloc'd, NUL-terminated, *len without the NUL) for
 * p and the broker's reply (NULL when p->error is set). session_id fills
 * session-get's "session-id". NULL only when out of memory. */
char *mk_ctl_render(const struct mk_ctl_parsed *p, const Meerko__Control__ControlReply *reply,
		    const char *session_id, size_t *len);

void mk_ctl_parsed_free(struct mk_ctl_parsed *p);

/* The table, for tests and reviews: name and why-safe of row i, NULL past
 * the end. */
const char *mk_ctl_method_name(size_t i, const char **why_safe);

/* Strict base64 (RFC 4648, '=' padding optional, whitespace skipped) into a
 * malloc'd buffer. Returns -1 on any other byte. Exposed for tests. */
int mk_ctl_base64_decode(const char *in, size_t inlen, uint8_t **out, size_t *outlen);

#endif
