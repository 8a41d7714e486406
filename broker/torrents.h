/*
 * torrents.h - what happens to each torrent of a run (torrents.c), called
 * by supervise.c (clocks, the end of a run) and engine_surface.c (the
 * engine's messages). torrents.c calls neither back: what it tells the
 * engine goes through engine_ctl.h.
 */
#ifndef MEERKO_BROKER_TORRENTS_H
#define MEERKO_BROKER_TORRENTS_H

#include <stdint.h>
#include "ipc.h"

struct sup;

void mk_tor_engine_started(struct sup *s);              /* forget what the last engine said */
void mk_tor_add_all(struct sup *s);                     /* on Ready */
void mk_tor_on_event(struct sup *s, const Meerko__Event *ev);
void mk_tor_on_file_list(struct sup *s, const Meerko__FileList *fl); /* --list / --files */
void mk_tor_after_status(struct sup *s);                /* verdicts; stop when all are settled */
void mk_tor_check_deadlines(struct sup *s, int64_t now); /* metadata timeouts */
void mk_tor_check_stalls(struct sup *s, int64_t now);   /* stall notices and stall_timeout */
void mk_tor_proxy_back(struct sup *s, int64_t now);     /* restart metadata clocks */
void mk_tor_finish(struct sup *s);                      /* copy results into the job */

#endif
