/*
 * engine_files.h - the engine's side of --list / --files / --sequential:
 * add options from an AddTorrent, the FileList it sends once metadata is
 * known, and the SetFilePriorities it applies.
 */
#ifndef MEERKO_ENGINE_FILES_H
#define MEERKO_ENGINE_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include "ipc.h"
#include "mk_shim.h"

#define MK_ENGINE_MAX_FILES 100000 /* the broker's cap too (engine_msg.h) */

struct mk_engine_files {
	bool want_list;   /* AddTorrent asked for list_only or select_files */
	bool sent;        /* the FileList went out */
	bool selected;    /* libtorrent applied the broker's priorities */
	uint8_t *prio;    /* what the broker asked for, until applied */
	size_t n_prio;
};

void mk_engine_files_opts(const Meerko__AddTorrent *a, mk_add_opts *o);
void mk_engine_files_init(struct mk_engine_files *f, const Meerko__AddTorrent *a);
/* Sends the torrent's FileList once, if asked for and metadata is there.
 * Returns -1 if the write failed; 0 otherwise, with *why set when the list
 * cannot be sent (too many files): the caller reports that to the broker. */
int mk_engine_files_send(int fd, mk_session *ses, uint32_t id, struct mk_engine_files *f,
			 const char **why);
/* Sends these files as id's FileList and frees them; as above. */
int mk_engine_files_send_these(int fd, uint32_t id, mk_file *files, size_t n, const char **why);
/* Applies priorities (one per file). -1 if they do not fit the torrent. */
int mk_engine_files_set(mk_session *ses, struct mk_engine_files *f,
			const Meerko__SetFilePriorities *sp);
/* Before each Status: sets f->selected once libtorrent applied them, so a
 * Status saying files_selected already counts only the wanted files. */
void mk_engine_files_poll(mk_session *ses, uint32_t id, struct mk_engine_files *f);

#endif
