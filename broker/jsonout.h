/*
 * jsonout.h - the --json output: one JSON object per line on stdout, per
 * status tick and per event. The schema is documented in docs/json.md.
 *
 * Contract: every value comes from validated state (engine_msg.c) or the
 * broker itself; every string goes through the JSON escaper (json.c), so a
 * hostile name cannot break a line. Each call writes one whole line and
 * flushes it.
 */
#ifndef MEERKO_BROKER_JSONOUT_H
#define MEERKO_BROKER_JSONOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine_msg.h"
#include "supervise.h"

/* {"type":"status", ...}: every added torrent and the total. */
void mk_jsonout_status(FILE *out, const struct mk_job *job, const struct mk_torrent_set *set,
		       int64_t elapsed_ms, const char *note);
/* {"type":"event","event":EVENT, ...}: id 0 = not about one torrent; input,
 * name and message may be NULL (left out); code 0 is left out. */
void mk_jsonout_event(FILE *out, int64_t elapsed_ms, const char *event, uint32_t id,
		      const char *input, const char *name, const char *message, int code);
/* {"type":"files","id":N,"input":..,"files":[{index,path,size,selected?}],
 * "total_bytes":N}: --list, one per torrent; "selected" only with --files. */
void mk_jsonout_files(FILE *out, int64_t elapsed_ms, uint32_t id, const char *input, const char *name,
		      const Meerko__FileList *fl, const bool *want);
/* {"type":"event","event":"stalled",...,"message":TEXT,"stalled_s":N,
 * "giving_up":B,"why":{counts}}: a stall diagnosis (stall.h). */
void mk_jsonout_stall(FILE *out, int64_t elapsed_ms, const struct mk_job *job,
		      const struct mk_torrent_view *v, int64_t stalled_s, bool giving_up, const char *text);
/* {"type":"exit","code":N,"torrents":[...]}: the last line of a run. */
void mk_jsonout_exit(FILE *out, int64_t elapsed_ms, int code, const struct mk_torrent *t, size_t n);

#endif
