/*
 * files.h - the broker's side of --list and --files: what AddTorrent asks
 * for, and what to do with the engine's (validated) FileList.
 */
#ifndef MEERKO_BROKER_FILES_H
#define MEERKO_BROKER_FILES_H

#include <stdbool.h>
#include <stdio.h>
#include "config.h"
#include "engine_msg.h"
#include "ipc.h"

enum { MK_FILES_LISTED = 1, MK_FILES_SELECT = 2 };

/* Sets list_only / select_files / sequential / max_connections on a, and
 * v->want_files. */
void mk_files_prepare_add(Meerko__AddTorrent *a, const struct mk_config *c,
			  struct mk_torrent_view *v);

/* want[i] (n_files entries, calloc'd: free it) for the files c->files_spec
 * selects; *want = NULL when there is no SPEC (every file). 0, or -1 with
 * one line in err: the spec does not fit (index out of range, glob matching
 * nothing) or out of memory. */
int mk_files_select(const struct mk_config *c, const Meerko__FileList *fl, bool **want,
		    char *err, size_t errlen);
/* The --list table (index, bytes, size, path; '*' marks want[i] when want is
 * not NULL) and the total lines, paths sanitised for the terminal. */
void mk_files_print(const Meerko__FileList *fl, const bool *want, FILE *out);
/* sp = one priority per file (want NULL = every file); free with
 * mk_files_free_reply. -1 (err set) when out of memory. */
int mk_files_priorities(const Meerko__FileList *fl, const bool *want, Meerko__SetFilePriorities *sp,
			char *err, size_t errlen);

/* Both for one torrent (fuzzing, tests). --list: prints the files to out and returns MK_FILES_LISTED.
 * --files: fills sp (free with mk_files_free_reply) and returns
 * MK_FILES_SELECT. -1 with one line in err: the spec does not fit the
 * torrent (index out of range, glob matching nothing) or out of memory. */
int mk_files_on_list(const struct mk_config *c, const Meerko__FileList *fl, FILE *out,
		     Meerko__SetFilePriorities *sp, char *err, size_t errlen);
void mk_files_free_reply(Meerko__SetFilePriorities *sp);

#endif
