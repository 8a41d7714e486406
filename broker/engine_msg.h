/*
 * engine_msg.h - the broker's checks on everything the engine says.
 *
 * The engine parses bytes from strangers, so the broker assumes it may be
 * compromised. A message that fails these checks is a protocol violation:
 * the caller kills the engine and reports it.
 */
#ifndef MEERKO_BROKER_ENGINE_MSG_H
#define MEERKO_BROKER_ENGINE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ipc.h"   /* MK_MAX_TORRENTS, MK_MAX_FILES (ipc/unpack_guard.h) */

#define MK_MAX_TEXT 1024             /* longest event text we accept */
#define MK_MAX_RESUME (8u << 20)     /* largest resume data we store */
#define MK_MAX_RATE (1ull << 40)     /* 1 TiB/s: anything above is a lie */
#define MK_MAX_PATH 4096             /* bytes of one in-torrent path */
#define MK_MAX_FILE_SIZE (1ull << 50) /* 1 PiB per file */
#define MK_MAX_TRACKER_PEERS (1u << 20) /* peers in one tracker reply: libtorrent reads at most a few MiB */
#define MK_MAX_TRACKER_ERROR 512     /* bytes of the last tracker error's text */

/* What the engine last said about a torrent: only validated, sanitised
 * values (and the broker's verdicts on them that progress shows). */
struct mk_torrent_view {
	uint32_t id;
	bool have_status;
	Meerko__TorrentState state;
	uint32_t progress_ppm;
	uint64_t down_rate, up_rate;
	uint32_t peers, seeds;
	uint64_t done, wanted, downloaded, uploaded;
	char name[256];                  /* sanitised for the terminal */
	char label[48];                  /* the broker's name for it until it has one: a magnet's info-hash */
	/* why it may not move (stall.c): counts since the engine started */
	uint32_t tracker_replies, tracker_peers, tracker_errors;
	uint32_t conn_refused, conn_failed, conn_closed;
	char tracker_error[256];         /* the last one, sanitised; "" = none */
	/* --list / --files (set by the broker before the add) */
	bool want_files;                 /* asked the engine for a FileList */
	bool files_selected;             /* engine applied our priorities */
	/* seeding goal (done.c) */
	bool complete_seen;
	int64_t complete_since_ms;
	bool complete, failed;           /* the broker's verdict (torrents.c), never the engine's */
	bool seeding;                    /* downloaded, seeding towards the [seed] goal */
	bool listed;                     /* --list: its files were printed */
};

/* The torrents added to the engine running now, in the order they were
 * added: each view is the `said` part of its torrent's record (torrent.h). */
struct mk_torrent_set {
	struct mk_torrent_view *t[MK_MAX_TORRENTS];
	size_t n;
};

struct mk_torrent_view *mk_torrent_find(struct mk_torrent_set *s, uint32_t id);

/* One message kind's check: 0, or -1 with a one-line reason in why. A
 * Status that passes is applied to the set; nothing else is stored here. */
typedef int mk_engine_check(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why,
			    size_t whylen);

/* Each kind's check (its row in engine_surface.c names it). */
mk_engine_check mk_engine_check_ready, mk_engine_check_status, mk_engine_check_event, mk_engine_check_resume,
	mk_engine_check_shutdown_done, mk_engine_check_file_list, mk_engine_check_exit_report;

/* The check of a message kind (MEERKO__ENGINE_TO_BROKER__MSG_*), NULL for an
 * unknown one. The engine->broker table (engine_surface.c) names the same
 * function in its row (a unit test holds them equal). */
mk_engine_check *mk_engine_check_of(int msg_case);

/* The check of m's kind alone, without the table's phase and once rules
 * (the fuzzer, the sandbox check): -1 with a reason for an unknown kind. */
int mk_engine_msg_check(struct mk_torrent_set *s, const Meerko__EngineToBroker *m,
			char *why, size_t whylen);

#endif
