/*
 * shim_smoke.c - drives mk_shim against a real swarm (not a unit test).
 *
 *   shim_smoke [-p IP:PORT] [-u USER -P PASS] [-l LISTEN] [-A] [-L DOWN_BPS]
 *              [-r RESUME_IN] [-w RESUME_OUT] [-H FRACTION] [-m MAGNET]
 *              [-D LINGER_S [-Z]] TORRENT|- SAVE_DIR TIMEOUT_S
 *   shim_smoke -E     error-path checks only (no network)
 *
 * Adds the torrent (or magnet), prints alerts and status every 500 ms until
 * the torrent is finished/seeding or TIMEOUT_S passes. With -w it then asks for
 * resume data and writes it. -H stops early at that progress (0..1), saving
 * resume data there with -w. -L limits the download rate (bytes/s). -A turns
 * anonymous mode off. -D keeps the session (popping alerts) for LINGER_S
 * seconds before destroying it; -Z pauses, resumes and pauses the torrent
 * half-way through that. Exit 0 = finished (or halted and resume data saved).
 */
#include "mk_shim.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *state_name[] = {"unknown", "checking", "metadata", "downloading",
				   "finished", "seeding", "paused", "error"};

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static mk_settings base_settings(void)
{
	mk_settings s;
	memset(&s, 0, sizeof s);
	s.proxy_type = MK_PROXY_NONE;
	s.proxy_hostnames = s.proxy_peer_connections = s.proxy_tracker_connections = true;
	s.anonymous_mode = true;
	return s;
}

/* Error paths: every one must fail cleanly with a message, never crash. */
static int error_checks(void)
{
	char err[256];
	int bad = 0;
	mk_settings st = base_settings();
	st.proxy_type = MK_PROXY_SOCKS5;
	st.proxy_host = "localhost";
	st.proxy_port = 1080;
	mk_session *s = mk_session_create(&st, err, sizeof err);
	printf("proxy host name   -> %s (%s)\n", s ? "ACCEPTED" : "refused", s ? "" : err);
	bad += s != NULL;
	mk_session_destroy(s);

	st = base_settings();
	s = mk_session_create(&st, err, sizeof err);
	if (!s) {
		printf("create failed: %s\n", err);
		return 1;
	}
	static const struct { const char *what; const char *bytes; size_t len; const char *magnet; } cases[] = {
		{"garbage bytes", "hello world", 11, NULL},
		{"bencoded, no info", "d8:announce3:xyze", 17, NULL},
		{"truncated dict", "d4:infod6:lengthi5e", 19, NULL},
		{"deep nesting", "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll", 110, NULL},
		{"bad magnet", NULL, 0, "magnet:?dn=nothing"},
		{"not a magnet", NULL, 0, "http://example.com/x.torrent"},
		{"bad hash magnet", NULL, 0, "magnet:?xt=urn:btih:zzzz"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = 0;
		int r = mk_add_torrent(s, (uint32_t)(i + 1), cases[i].bytes, cases[i].len,
				       cases[i].magnet, "/tmp", NULL, 0, err, sizeof err);
		printf("%-18s -> %d (%s)\n", cases[i].what, r, err);
		bad += r != -1 || err[0] == 0;
	}
	/* too large */
	size_t big = (8u << 20) + 1;
	char *buf = calloc(1, big);
	int r = mk_add_torrent(s, 50, buf, big, NULL, "/tmp", NULL, 0, err, sizeof err);
	printf("%-18s -> %d (%s)\n", "9 MiB buffer", r, err);
	bad += r != -1;
	free(buf);
	/* both / neither given, bad resume data */
	r = mk_add_torrent(s, 51, NULL, 0, NULL, "/tmp", NULL, 0, err, sizeof err);
	printf("%-18s -> %d (%s)\n", "nothing given", r, err);
	bad += r != -1;
	r = mk_add_torrent(s, 52, NULL, 0, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
			   "/tmp", "garbage", 7, err, sizeof err);
	printf("%-18s -> %d (%s)\n", "bad resume", r, err);
	bad += r != -1;
	r = mk_add_torrent(s, 53, NULL, 0, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
			   "/tmp", NULL, 0, err, sizeof err);
	printf("%-18s -> %d\n", "good magnet", r);
	bad += r != 0;
	r = mk_add_torrent(s, 53, NULL, 0, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
			   "/tmp", NULL, 0, err, sizeof err);
	printf("%-18s -> %d (%s)\n", "id reused", r, err);
	bad += r != -1;
	r = mk_add_torrent(s, 54, NULL, 0, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
			   "/tmp", NULL, 0, err, sizeof err);
	printf("%-18s -> %d (accepted; expect ADD_FAILED)\n", "same hash, new id", r);
	mk_status stt;
	printf("status unknown id -> %d\n", mk_torrent_status(s, 999, &stt));
	bad += mk_torrent_status(s, 999, &stt) != -1;

	/* Leftovers beyond max must keep the fd readable. */
	struct pollfd pf = {mk_alert_fd(s), POLLIN, 0};
	poll(&pf, 1, 1000);
	usleep(200 * 1000);
	mk_alert one;
	size_t got = mk_pop_alerts(s, &one, 1);
	int again = poll(&pf, 1, 0);
	printf("pop 1 of several  -> %zu, fd readable again: %s\n", got, again == 1 ? "yes" : "NO");
	bad += got != 1 || again != 1;
	if (got)
		printf("  alert type=%d id=%u %s\n", one.type, one.torrent_id, one.message);
	mk_alert_free(&one);

	double end = now_s() + 2;
	int added = 0, failed = 0;
	while (now_s() < end) {
		struct pollfd p = {mk_alert_fd(s), POLLIN, 0};
		poll(&p, 1, 200);
		mk_alert a[4]; /* small on purpose: exercises the internal queue */
		size_t n = mk_pop_alerts(s, a, 4);
		for (size_t i = 0; i < n; i++) {
			printf("  alert type=%d id=%u %s\n", a[i].type, a[i].torrent_id, a[i].message);
			added += a[i].type == MK_ALERT_ADDED && a[i].torrent_id == 53;
			failed += a[i].type == MK_ALERT_ADD_FAILED && a[i].torrent_id == 54;
			mk_alert_free(&a[i]);
		}
	}
	bad += added != 1 || failed != 1;
	r = mk_torrent_status(s, 53, &stt);
	printf("status magnet     -> %d state=%s has_metadata=%d\n", r, state_name[stt.state], stt.has_metadata);
	bad += r != 0 || stt.state != MK_STATE_METADATA;
	printf("status failed id  -> %d\n", mk_torrent_status(s, 54, &stt));
	bad += mk_torrent_status(s, 54, &stt) != -1;
	mk_session_destroy(s);
	mk_session_destroy(NULL);
	mk_alert_free(NULL);
	printf("error checks: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	mk_settings st = base_settings();
	const char *resume_in = NULL, *resume_out = NULL, *magnet = NULL;
	double linger = 0;
	int pause_test = 0;
	double halt_at = 2; /* -H: progress fraction at which to save resume data and stop */
	static char proxy_ip[64];
	int opt;
	while ((opt = getopt(argc, argv, "p:u:P:l:Ar:w:m:D:ZH:L:E")) != -1) {
		switch (opt) {
		case 'p': {
			char *c = strrchr(optarg, ':');
			if (!c)
				return 2;
			snprintf(proxy_ip, sizeof proxy_ip, "%.*s", (int)(c - optarg), optarg);
			st.proxy_host = proxy_ip;
			st.proxy_port = (uint16_t)atoi(c + 1);
			if (st.proxy_type == MK_PROXY_NONE)
				st.proxy_type = MK_PROXY_SOCKS5;
			break;
		}
		case 'u': st.proxy_user = optarg; st.proxy_type = MK_PROXY_SOCKS5_PW; break;
		case 'P': st.proxy_password = optarg; break;
		case 'l': st.listen_interfaces = optarg; break;
		case 'A': st.anonymous_mode = false; break;
		case 'r': resume_in = optarg; break;
		case 'w': resume_out = optarg; break;
		case 'm': magnet = optarg; break;
		case 'D': linger = atof(optarg); break;
		case 'Z': pause_test = 1; break;
		case 'H': halt_at = atof(optarg); break;
		case 'L': st.download_rate_limit = atoi(optarg); break;
		case 'E': return error_checks();
		default: return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: see the header of shim_smoke.c\n");
		return 2;
	}
	const char *tpath = argv[optind], *save = argv[optind + 1];
	double timeout = atof(argv[optind + 2]);

	printf("libtorrent %s\n", mk_libtorrent_version());
	char err[256];
	double t0 = now_s();
	mk_session *s = mk_session_create(&st, err, sizeof err);
	if (!s) {
		fprintf(stderr, "mk_session_create: %s\n", err);
		return 1;
	}
	printf("session up in %.0f ms\n", (now_s() - t0) * 1000);

	size_t tlen = 0, rlen = 0;
	unsigned char *tbuf = NULL, *rbuf = NULL;
	if (!magnet && !(tbuf = slurp(tpath, &tlen))) {
		perror(tpath);
		return 1;
	}
	if (resume_in && !(rbuf = slurp(resume_in, &rlen))) {
		perror(resume_in);
		return 1;
	}
	if (mk_add_torrent(s, 7, tbuf, tlen, magnet, save, rbuf, rlen, err, sizeof err) != 0) {
		fprintf(stderr, "mk_add_torrent: %s\n", err);
		mk_session_destroy(s);
		return 1;
	}
	free(tbuf);
	free(rbuf);

	int done = 0, asked = 0, rc = 1, stop = 0;
	double end = t0 + timeout, next_print = 0;
	mk_status ts;
	while (!stop && now_s() < end) {
		struct pollfd p = {mk_alert_fd(s), POLLIN, 0};
		poll(&p, 1, 500);
		mk_alert a[16];
		size_t n = mk_pop_alerts(s, a, 16);
		for (size_t i = 0; i < n; i++) {
			printf("[%6.2f] alert type=%d id=%u %s%s\n", now_s() - t0, a[i].type,
			       a[i].torrent_id, a[i].message, a[i].data ? " (+resume data)" : "");
			if (a[i].type == MK_ALERT_ADD_FAILED)
				stop = 1;
			if (a[i].type == MK_ALERT_RESUME_DATA && resume_out && !stop) {
				FILE *f = fopen(resume_out, "wb");
				if (f && fwrite(a[i].data, 1, a[i].data_len, f) == a[i].data_len) {
					printf("wrote %zu bytes of resume data to %s\n", a[i].data_len, resume_out);
					rc = 0;
				}
				if (f)
					fclose(f);
				stop = 1;
			}
			mk_alert_free(&a[i]);
		}
		if (stop || mk_torrent_status(s, 7, &ts) != 0)
			continue;
		if (now_s() >= next_print) {
			printf("[%6.2f] %-11s %5.1f%% down %lld B/s peers %d seeds %d "
			       "done %lld/%lld dl %lld name '%s'\n", now_s() - t0,
			       state_name[ts.state], ts.progress * 100, (long long)ts.download_rate,
			       ts.num_peers, ts.num_seeds, (long long)ts.total_done,
			       (long long)ts.total_wanted, (long long)ts.total_download, ts.name);
			next_print = now_s() + 0.5;
		}
		if (!done && (ts.state == MK_STATE_FINISHED || ts.state == MK_STATE_SEEDING)) {
			done = 1;
			printf("[%6.2f] complete: state=%s total_download=%lld\n", now_s() - t0,
			       state_name[ts.state], (long long)ts.total_download);
			if (!resume_out) {
				rc = 0;
				break;
			}
		}
		if (!done && ts.progress >= halt_at && ts.state == MK_STATE_DOWNLOADING) {
			done = 1;
			printf("[%6.2f] halting at %.1f%%: total_download=%lld\n", now_s() - t0,
			       ts.progress * 100, (long long)ts.total_download);
		}
		if (done && resume_out && !asked) {
			asked = mk_torrent_save_resume(s, 7) == 0;
			end = now_s() + 10;
		}
	}
	if (rc != 0)
		printf("did not finish (timeout or error)\n");
	for (double start = now_s(), until = start + linger; now_s() < until;) {
		if (pause_test && now_s() > start + linger / 2) {
			/* PAUSED, then RESUMED, then PAUSED again before destroy */
			printf("pause -> %d, resume -> %d, pause -> %d\n", mk_torrent_pause(s, 7),
			       mk_torrent_resume(s, 7), mk_torrent_pause(s, 7));
			pause_test = 0;
		}
		struct pollfd p = {mk_alert_fd(s), POLLIN, 0};
		poll(&p, 1, 200);
		mk_alert a[16];
		size_t n = mk_pop_alerts(s, a, 16);
		for (size_t i = 0; i < n; i++) {
			printf("[%6.2f] alert type=%d id=%u %s\n", now_s() - t0, a[i].type,
			       a[i].torrent_id, a[i].message);
			mk_alert_free(&a[i]);
		}
	}
	t0 = now_s();
	mk_session_destroy(s);
	printf("session destroyed in %.0f ms\n", (now_s() - t0) * 1000);
	return rc;
}
