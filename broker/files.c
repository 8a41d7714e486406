/*
 * files.c - --list output and --files selection from the engine's FileList.
 *
 * Contract: the FileList was validated by engine_msg.c (count, path length,
 * sizes), so the sums here cannot overflow (<= 100000 files of <= 2^50
 * bytes). Paths are printed only through mk_sanitize (no escape, no
 * newline reaches the terminal); globs are matched against the raw path,
 * the same bytes libtorrent writes below the save dir. The selection is
 * made here, in the trusted broker, from the user's own SPEC: the engine
 * only learns the resulting priorities.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "filespec.h"
#include "files.h"
#include "progress_line.h" /* mk_size_format */
#include "sanitize.h"

void mk_files_prepare_add(Meerko__AddTorrent *a, const struct mk_config *c,
			  struct mk_torrent_view *v)
{
	a->list_only = c->list_only;
	/* Always, not only with --files: every file waits at priority 0 until the
	 * broker has seen the file list and raised the engine's RLIMIT_FSIZE to
	 * its largest file (rlimits.h); the reply then wants every file. */
	a->select_files = !c->list_only;
	a->sequential = c->sequential;
	a->max_connections = c->max_connections_torrent;
	v->want_files = a->list_only || a->select_files;
}

/* One line per file (pad files left out): index, bytes, size, path; then
 * the total. With a SPEC, '*' marks the files it selects. */
void mk_files_print(const Meerko__FileList *fl, const bool *want, FILE *out)
{
	char path[MK_MAX_PATH + 1], hs[32];
	uint64_t total = 0, chosen = 0;
	size_t shown = 0, n_chosen = 0;
	fprintf(out, "%s%6s  %15s  %10s  %s\n", want ? "  " : "", "index", "bytes", "size", "path");
	for (size_t i = 0; i < fl->n_files; i++) {
		const Meerko__FileEntry *f = fl->files[i];
		if (f->pad)
			continue;
		mk_sanitize(f->path, strlen(f->path), path, sizeof path);
		mk_size_format(f->size, hs, sizeof hs);
		fprintf(out, "%s%6zu  %15" PRIu64 "  %10s  %s\n", want ? (want[i] ? "* " : "  ") : "",
			i, f->size, hs, path);
		total += f->size;
		shown++;
		if (want && want[i])
			chosen += f->size, n_chosen++;
	}
	mk_size_format(total, hs, sizeof hs);
	fprintf(out, "total: %zu file%s, %" PRIu64 " bytes (%s)\n", shown, shown == 1 ? "" : "s", total, hs);
	if (want) {
		mk_size_format(chosen, hs, sizeof hs);
		fprintf(out, "selected (*): %zu file%s, %" PRIu64 " bytes (%s)\n", n_chosen,
			n_chosen == 1 ? "" : "s", chosen, hs);
	}
	fflush(out);
}

/* want[i] for the files c->files_spec selects; NULL (err set) on error. */
static bool *select_files_of(const struct mk_config *c, const Meerko__FileList *fl, char *err, size_t errlen)
{
	struct mk_filespec fs;
	size_t n = fl->n_files;
	bool *want = calloc(n ? n : 1, sizeof *want), *pad = calloc(n ? n : 1, sizeof *pad);
	const char **paths = calloc(n ? n : 1, sizeof *paths);
	int rc = -1;
	if (!want || !pad || !paths) {
		snprintf(err, errlen, "out of memory for the file list");
	} else if (mk_filespec_parse(&fs, c->files_spec, err, errlen) == 0) {
		for (size_t i = 0; i < n; i++) {
			paths[i] = fl->files[i]->path;
			pad[i] = fl->files[i]->pad;
		}
		rc = mk_filespec_select(&fs, paths, pad, n, want, err, errlen);
	}
	free(pad);
	free(paths);
	if (rc != 0) {
		free(want);
		return NULL;
	}
	return want;
}

int mk_files_select(const struct mk_config *c, const Meerko__FileList *fl, bool **want,
		    char *err, size_t errlen)
{
	*want = NULL;
	if (!c->files_spec[0])
		return 0;
	*want = select_files_of(c, fl, err, errlen);
	return *want ? 0 : -1;
}

int mk_files_priorities(const Meerko__FileList *fl, const bool *want, Meerko__SetFilePriorities *sp,
			char *err, size_t errlen)
{
	meerko__set_file_priorities__init(sp);
	sp->id = fl->torrent_id;
	sp->n_priorities = fl->n_files;
	sp->priorities = calloc(fl->n_files ? fl->n_files : 1, sizeof *sp->priorities);
	if (!sp->priorities) {
		snprintf(err, errlen, "out of memory for the file priorities");
		return -1;
	}
	for (size_t i = 0; i < fl->n_files; i++) /* libtorrent's default_priority / dont_download */
		sp->priorities[i] = !want || want[i] ? 4 : 0;
	return 0;
}

int mk_files_on_list(const struct mk_config *c, const Meerko__FileList *fl, FILE *out,
		     Meerko__SetFilePriorities *sp, char *err, size_t errlen)
{
	bool *want = NULL;
	if (mk_files_select(c, fl, &want, err, errlen) != 0)
		return -1;
	int r = MK_FILES_LISTED;
	if (c->list_only)
		mk_files_print(fl, want, out);
	else
		r = mk_files_priorities(fl, want, sp, err, errlen) == 0 ? MK_FILES_SELECT : -1;
	free(want);
	return r;
}

void mk_files_free_reply(Meerko__SetFilePriorities *sp)
{
	free(sp->priorities);
	sp->priorities = NULL;
	sp->n_priorities = 0;
}
