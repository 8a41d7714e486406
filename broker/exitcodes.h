/*
 * exitcodes.h - the one place meerko-secure's exit codes are defined.
 * Documented in README.md ("Exit codes") and docs/meerko-secure.1; keep
 * them in step. With several torrents, a run-wide error's code wins; else
 * the code of the first torrent that failed; 0 only when all completed.
 */
#ifndef MEERKO_BROKER_EXITCODES_H
#define MEERKO_BROKER_EXITCODES_H

enum mk_exit {
	MK_EXIT_OK = 0,           /* download complete and flushed */
	MK_EXIT_INTERNAL = 1,     /* unexpected internal error */
	MK_EXIT_USAGE = 2,        /* bad command line or configuration; also a --files
	                           * SPEC that does not fit the torrent's files */
	MK_EXIT_INPUT = 3,        /* bad .torrent / magnet (missing, malformed) */
	MK_EXIT_PROXY = 4,        /* proxy unreachable, refused, or wrong credentials */
	MK_EXIT_DISK = 5,         /* save dir unwritable, disk full, file error */
	MK_EXIT_SANDBOX = 6,      /* a required sandbox layer is unavailable */
	MK_EXIT_ENGINE = 7,       /* engine crashed, violated the protocol or confinement; the
	                           * proxy relay died past max_restarts, or violated its
	                           * confinement (then at once, no restart) */
	MK_EXIT_OUTAGE = 8,       /* proxy down longer than [killswitch] max_outage */
	MK_EXIT_METADATA = 9,     /* a magnet's metadata did not arrive within [download] metadata_timeout */
	MK_EXIT_EXIT_MISMATCH = 10, /* the swarm sees us at an address outside [killswitch] expected_exit
	                           * (or at this machine's own) and on_exit_mismatch = exit */
	MK_EXIT_STALLED = 11,     /* a torrent got no data for [download] stall_timeout seconds */
	MK_EXIT_LOCKED = 12,      /* another run is downloading the same torrent into the same save dir */
	MK_EXIT_SIGINT = 130,     /* interrupted (SIGINT), resume data saved */
	MK_EXIT_SIGTERM = 143,    /* terminated (SIGTERM), resume data saved */
};

#endif
