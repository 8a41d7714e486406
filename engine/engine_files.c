/*
 * engine_files.c - file lists and file priorities (see engine_files.h).
 *
 * Contract: a FileList is sent at most once per torrent, only when the
 * broker asked for it, and only with metadata (a magnet sends it when the
 * metadata arrived). The torrent was added with every file at priority 0
 * (hold_files), so nothing is downloaded before the broker answers with
 * SetFilePriorities, and nothing at all for --list. files_selected is
 * reported only once libtorrent shows the priorities applied. Priorities that do not
 * match the torrent's file count are refused: the broker is trusted, so
 * that is a bug and the caller ends the engine.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_files.h"

void mk_engine_files_opts(const Meerko__AddTorrent *a, mk_add_opts *o)
{
	memset(o, 0, sizeof *o);
	o->hold_files = a->list_only || a->select_files;
	/* Listing a .torrent needs no peer: it never leaves the machine. */
	o->paused = a->list_only && a->torrent_data.len > 0;
	o->sequential = a->sequential;
	o->max_connections = a->max_connections > 0 ? a->max_connections : 0;
}

void mk_engine_files_init(struct mk_engine_files *f, const Meerko__AddTorrent *a)
{
	memset(f, 0, sizeof *f);
	f->want_list = a->list_only || a->select_files;
}

static int send_list(int fd, uint32_t id, const mk_file *files, size_t n)
{
	Meerko__FileEntry *e = calloc(n ? n : 1, sizeof *e);
	Meerko__FileEntry **p = calloc(n ? n : 1, sizeof *p);
	int rc = -1;
	if (e && p) {
		for (size_t i = 0; i < n; i++) {
			meerko__file_entry__init(&e[i]);
			e[i].path = files[i].path;
			e[i].size = files[i].size > 0 ? (uint64_t)files[i].size : 0;
			e[i].pad = files[i].pad;
			p[i] = &e[i];
		}
		Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
		Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
		fl.torrent_id = id;
		fl.n_files = n;
		fl.files = p;
		m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST;
		m.file_list = &fl;
		mk_frame_status st = mk_ipc_send_e2b(fd, &m);
		rc = st == MK_FRAME_OK ? 0 : st == MK_FRAME_TOO_BIG ? 1 : -1;
	}
	free(e);
	free(p);
	return rc;
}

int mk_engine_files_send_these(int fd, uint32_t id, mk_file *files, size_t n, const char **why)
{
	*why = NULL;
	int rc = n > MK_ENGINE_MAX_FILES ? 1 : send_list(fd, id, files, n);
	mk_files_free(files, n);
	if (rc == 1) {
		*why = "the torrent has too many files (or too long names) to list or select";
		return 0;
	}
	return rc;
}

int mk_engine_files_send(int fd, mk_session *ses, uint32_t id, struct mk_engine_files *f,
			 const char **why)
{
	mk_file *files = NULL;
	size_t n = 0;
	*why = NULL;
	if (!f || !f->want_list || f->sent || mk_torrent_files(ses, id, &files, &n) != 0)
		return 0;
	f->sent = true;
	return mk_engine_files_send_these(fd, id, files, n, why);
}

int mk_engine_files_set(mk_session *ses, struct mk_engine_files *f,
			const Meerko__SetFilePriorities *sp)
{
	if (!f || !f->sent || sp->n_priorities > MK_ENGINE_MAX_FILES)
		return -1;
	uint8_t *prio = malloc(sp->n_priorities ? sp->n_priorities : 1);
	if (!prio)
		return -1;
	for (size_t i = 0; i < sp->n_priorities; i++)
		prio[i] = sp->priorities[i] > 7 ? 0xff : (uint8_t)sp->priorities[i];
	int rc = mk_torrent_set_priorities(ses, sp->id, prio, sp->n_priorities);
	free(f->prio);
	f->prio = rc == 0 ? prio : NULL;
	f->n_prio = rc == 0 ? sp->n_priorities : 0;
	if (rc != 0)
		free(prio);
	f->selected = false;
	return rc;
}

void mk_engine_files_poll(mk_session *ses, uint32_t id, struct mk_engine_files *f)
{
	if (!f->prio || mk_torrent_priorities_applied(ses, id, f->prio, f->n_prio) != 1)
		return;
	f->selected = true;
	free(f->prio);
	f->prio = NULL;
	f->n_prio = 0;
}
