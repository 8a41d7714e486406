/*
 * jsonout.c - the --json lines (see jsonout.h and docs/json.md).
 */
#include <string.h>

#include "done.h"
#include "json.h"
#include "jsonout.h"
#include "progress.h"

static void header(struct mk_json *j, FILE *out, const char *type, int64_t elapsed_ms)
{
	mk_json_begin(j, out);
	mk_json_str(j, "type", type);
	mk_json_i64(j, "elapsed_ms", elapsed_ms > 0 ? elapsed_ms : 0);
}

static void torrent(struct mk_json *j, const struct mk_job *job, const struct mk_torrent_view *t)
{
	mk_json_obj_open(j, NULL);
	mk_json_u64(j, "id", t->id);
	if (t->id >= 1 && t->id <= job->n_torrents)
		mk_json_str(j, "input", job->torrents[t->id - 1].kept.input->arg);
	mk_json_str(j, "name", t->name);
	mk_json_str(j, "state", mk_progress_view_word(t)); /* "seeding" only towards a [seed] goal */
	mk_json_u64(j, "progress_ppm", t->progress_ppm);
	mk_json_u64(j, "done_bytes", t->done);
	mk_json_u64(j, "wanted_bytes", t->wanted);
	mk_json_u64(j, "down_bps", t->down_rate);
	mk_json_u64(j, "up_bps", t->up_rate);
	mk_json_u64(j, "peers", t->peers);
	mk_json_u64(j, "seeds", t->seeds);
	mk_json_u64(j, "downloaded_bytes", t->downloaded);
	mk_json_u64(j, "uploaded_bytes", t->uploaded);
	mk_json_bool(j, "complete", t->complete);
	mk_json_bool(j, "seeding", t->seeding);
	uint64_t r = mk_ratio_milli(t);
	if (r != UINT64_MAX)
		mk_json_u64(j, "ratio_milli", r);
	mk_json_obj_close(j);
}

void mk_jsonout_status(FILE *out, const struct mk_job *job, const struct mk_torrent_set *set,
		       int64_t elapsed_ms, const char *note)
{
	struct mk_json j;
	struct mk_progress_total tot;
	mk_progress_total(set, &tot);
	header(&j, out, "status", elapsed_ms);
	mk_json_arr_open(&j, "torrents");
	for (size_t i = 0; i < set->n; i++)
		torrent(&j, job, set->t[i]);
	mk_json_arr_close(&j);
	mk_json_obj_open(&j, "total");
	mk_json_u64(&j, "torrents", job->n_torrents);
	mk_json_u64(&j, "complete", tot.complete);
	mk_json_u64(&j, "failed", tot.failed);
	mk_json_u64(&j, "seeding", tot.seeding);
	mk_json_u64(&j, "progress_ppm", tot.progress_ppm);
	mk_json_u64(&j, "done_bytes", tot.done);
	mk_json_u64(&j, "wanted_bytes", tot.wanted);
	mk_json_u64(&j, "down_bps", tot.down_rate);
	mk_json_u64(&j, "up_bps", tot.up_rate);
	mk_json_u64(&j, "peers", tot.peers);
	mk_json_obj_close(&j);
	if (note && note[0])
		mk_json_str(&j, "note", note);
	mk_json_end(&j);
}

void mk_jsonout_event(FILE *out, int64_t elapsed_ms, const char *event, uint32_t id,
		      const char *input, const char *name, const char *message, int code)
{
	struct mk_json j;
	header(&j, out, "event", elapsed_ms);
	mk_json_str(&j, "event", event);
	if (id)
		mk_json_u64(&j, "id", id);
	if (input)
		mk_json_str(&j, "input", input);
	if (name)
		mk_json_str(&j, "name", name);
	if (message)
		mk_json_str(&j, "message", message);
	if (code)
		mk_json_i64(&j, "code", code);
	mk_json_end(&j);
}

void mk_jsonout_stall(FILE *out, int64_t elapsed_ms, const struct mk_job *job,
		      const struct mk_torrent_view *v, int64_t stalled_s, bool giving_up, const char *text)
{
	struct mk_json j;
	header(&j, out, "event", elapsed_ms);
	mk_json_str(&j, "event", "stalled");
	mk_json_u64(&j, "id", v->id);
	if (v->id >= 1 && v->id <= job->n_torrents)
		mk_json_str(&j, "input", job->torrents[v->id - 1].kept.input->arg);
	if (v->name[0])
		mk_json_str(&j, "name", v->name);
	mk_json_str(&j, "message", text);
	mk_json_i64(&j, "stalled_s", stalled_s);
	mk_json_bool(&j, "giving_up", giving_up);
	mk_json_obj_open(&j, "why");
	mk_json_u64(&j, "tracker_replies", v->tracker_replies);
	mk_json_u64(&j, "tracker_peers", v->tracker_peers);
	mk_json_u64(&j, "tracker_errors", v->tracker_errors);
	if (v->tracker_error[0])
		mk_json_str(&j, "tracker_error", v->tracker_error);
	mk_json_u64(&j, "conn_refused", v->conn_refused);
	mk_json_u64(&j, "conn_failed", v->conn_failed);
	mk_json_u64(&j, "conn_closed", v->conn_closed);
	mk_json_u64(&j, "peers", v->peers);
	mk_json_obj_close(&j);
	mk_json_end(&j);
}

void mk_jsonout_exit(FILE *out, int64_t elapsed_ms, int code, const struct mk_torrent *t, size_t n)
{
	struct mk_json j;
	header(&j, out, "exit", elapsed_ms);
	mk_json_i64(&j, "code", code);
	mk_json_arr_open(&j, "torrents");
	for (size_t i = 0; i < n; i++) {
		mk_json_obj_open(&j, NULL);
		mk_json_u64(&j, "id", i + 1);
		mk_json_str(&j, "input", t[i].kept.input->arg);
		mk_json_str(&j, "name", t[i].kept.name);
		mk_json_str(&j, "result", t[i].kept.failed ? "failed" : t[i].kept.complete ? "complete"
				      : t[i].kept.listed ? "listed" : "incomplete");
		if (t[i].kept.failed)
			mk_json_i64(&j, "code", t[i].kept.failed);
		mk_json_u64(&j, "downloaded_bytes", t[i].kept.downloaded);
		mk_json_obj_close(&j);
	}
	mk_json_arr_close(&j);
	mk_json_end(&j);
}

void mk_jsonout_files(FILE *out, int64_t elapsed_ms, uint32_t id, const char *input, const char *name,
		      const Meerko__FileList *fl, const bool *want)
{
	struct mk_json j;
	uint64_t total = 0;
	header(&j, out, "files", elapsed_ms);
	mk_json_u64(&j, "id", id);
	mk_json_str(&j, "input", input);
	if (name && name[0])
		mk_json_str(&j, "name", name);
	mk_json_arr_open(&j, "files");
	for (size_t i = 0; i < fl->n_files; i++) {
		const Meerko__FileEntry *f = fl->files[i];
		if (f->pad)
			continue; /* BEP 47 padding: never shown, as in the table */
		mk_json_obj_open(&j, NULL);
		mk_json_u64(&j, "index", i);
		mk_json_str(&j, "path", f->path);
		mk_json_u64(&j, "size", f->size);
		if (want)
			mk_json_bool(&j, "selected", want[i]);
		mk_json_obj_close(&j);
		total += f->size; /* <= 100000 files of <= 2^50 bytes (engine_msg.c): no overflow */
	}
	mk_json_arr_close(&j);
	mk_json_u64(&j, "total_bytes", total);
	mk_json_end(&j);
}
