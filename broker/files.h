/*
 * files.h - the broker's side of --list and --files: what AddTorrent asks
 * for, and what to do with the engine's (validated) FileList.
 */
#ifndef MEERKO_BROKER_FILES_H
#define MEERKO_BROKER_FILES_H

#include <stdio.h>
#include "config.h"
#include "engine_msg.h"
#include "ipc.h"

enum { MK_FILES_LISTED = 1, MK_FILES_SELECT = 2 };

/* Sets list_only / select_files / sequential / max_connections on a, and
 * v->want_files. */
void mk_files_prepare_add(Meerko__AddTorrent *a, const struct mk_config *c,
			  struct mk_torrent_view *v);

/* --list: prints the files to out and returns MK_FILES_LISTED.
 * --files: fills sp (free with mk_files_free_reply) and returns
 * MK_FILES_SELECT. -1 with one line in err: the spec does not fit the
 * torrent (index out of range, glob matching nothing) or out of memory. */
int mk_files_on_list(const struct mk_config *c, const Meerko__FileList *fl, FILE *out,
		     Meerko__SetFilePriorities *sp, char *err, size_t errlen);
void mk_files_free_reply(Meerko__SetFilePriorities *sp);

#endif
