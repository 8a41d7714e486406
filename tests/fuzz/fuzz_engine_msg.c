/*
 * fuzz_engine_msg.c - the broker's wall against a hostile engine.
 *
 * The input is what a compromised engine writes on the socketpair: a stream
 * of frames. Each complete frame goes the way supervise.c's read_engine()
 * takes it: mk_frame_parse -> mk_ipc_unpack_e2b -> mk_engine_msg_check
 * against a set holding two torrents (ids 1 and 7), then free. A framing
 * error ends the stream, as it ends the engine.
 *
 * Oracle, beyond ASan/UBSan: whatever passed the check and was stored in the
 * set must obey what the rest of the broker relies on (progress <= 100%,
 * done <= wanted, a terminal-safe name). Torrent 1 asked for a file list: a
 * FileList that passes goes through files.c as --list (its output must be
 * terminal-safe) and as --files (one priority per file), like supervise.c.
 * Unpacking stays within ipc/unpack_guard.h: no frame costs more than
 * MK_UNPACK_BUDGET, no unpacked Status/FileList is longer than its cap
 * (run.sh also runs this target under a malloc and RSS limit).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "done.h"
#include "engine_msg.h"
#include "files.h"
#include "frame.h"
#include "ipc.h"
#include "sanitize.h"

/* The broker keeps each view in its torrent's record (torrent.h); here a
 * set gets views of its own, zeroed. */
static void back_set(struct mk_torrent_set *s)
{
	static struct mk_torrent_view views[MK_MAX_TORRENTS];
	memset(s, 0, sizeof *s);
	memset(views, 0, sizeof views);
	for (size_t i = 0; i < MK_MAX_TORRENTS; i++)
		s->t[i] = &views[i];
}

static void check_view(const struct mk_torrent_view *v)
{
	if (!v->have_status)
		return;
	if (v->progress_ppm > 1000000 || v->done > v->wanted || v->down_rate > MK_MAX_RATE ||
	    v->up_rate > MK_MAX_RATE || v->state > MEERKO__TORRENT_STATE__STATE_ERROR)
		abort();
	size_t n = strnlen(v->name, sizeof v->name);
	if (n == sizeof v->name)
		abort(); /* not terminated */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v->name[i];
		if (c < 0x20 || c == 0x7f)
			abort(); /* a control byte reached what the progress line prints */
	}
}

/* The caps counted before unpacking (ipc/unpack_guard.c) held. */
static void check_caps(const Meerko__EngineToBroker *m)
{
	if (m->msg_case == MEERKO__ENGINE_TO_BROKER__MSG_STATUS && m->status->n_torrents > MK_MAX_TORRENTS)
		abort();
	if (m->msg_case == MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST && m->file_list->n_files > MK_MAX_FILES)
		abort();
}

/* What supervise.c does with an Event's text: sanitised into a fixed buffer. */
static void use_event(const Meerko__Event *ev)
{
	char clean[MK_MAX_TEXT];
	mk_sanitize(ev->message, strlen(ev->message), clean, sizeof clean);
	for (const char *p = clean; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

/* What supervise.c does with a FileList that passed the check. */
static void use_file_list(const Meerko__FileList *fl)
{
	static struct mk_config c; /* static: it is large */
	Meerko__SetFilePriorities sp;
	char err[512], *buf = NULL;
	size_t len = 0;
	mk_config_defaults(&c);
	c.list_only = true;
	snprintf(c.files_spec, sizeof c.files_spec, "0,*.bin");
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return;
	mk_files_on_list(&c, fl, out, &sp, err, sizeof err);
	fclose(out);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n') || buf[i] == 0x7f)
			abort(); /* a control byte reached the listing */
	free(buf);
	c.list_only = false;
	if (mk_files_on_list(&c, fl, stdout, &sp, err, sizeof err) == MK_FILES_SELECT) {
		if (sp.n_priorities != fl->n_files)
			abort();
		mk_files_free_reply(&sp);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_torrent_set set;
	back_set(&set);
	set.t[0]->id = 1;
	set.t[0]->want_files = true;
	set.t[1]->id = 7;
	set.n = 2;

	size_t off = 0;
	for (int frames = 0; frames < 1024 && off < size; frames++) {
		const uint8_t *payload = NULL;
		size_t plen = 0, used = 0;
		mk_frame_status st = mk_frame_parse(data + off, size - off, &payload, &plen, &used);
		if (st != MK_FRAME_OK)
			break;
		if (used != MK_FRAME_HDR + plen || used > size - off || payload != data + off + MK_FRAME_HDR)
			abort();
		off += used;

		struct mk_ipc_unpack_info info;
		Meerko__EngineToBroker *m = mk_ipc_unpack_e2b_info(payload, plen, &info);
		if (info.peak_bytes > MK_UNPACK_BUDGET)
			abort(); /* one frame cost more than the unpack budget */
		if (m == NULL)
			break; /* the broker kills the engine here */
		check_caps(m);
		char why[256] = "";
		int rc = mk_engine_msg_check(&set, m, why, sizeof why);
		if (rc != 0) {
			if (why[0] == '\0' || strchr(why, '\n'))
				abort(); /* a violation must come with one line */
			mk_ipc_free_e2b(m);
			break;
		}
		if (m->msg_case == MEERKO__ENGINE_TO_BROKER__MSG_EVENT)
			use_event(m->event);
		if (m->msg_case == MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST)
			use_file_list(m->file_list);
		mk_ipc_free_e2b(m);
		const struct mk_seed_goal goal = { 1500, 1 };
		for (size_t i = 0; i < set.n; i++) {
			check_view(set.t[i]);
			mk_torrent_done(set.t[i], &goal, frames);
		}
	}
	return 0;
}
