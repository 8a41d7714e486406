/*
 * make_corpus.c - writes the generated seeds of tests/fuzz/corpus/ (run once;
 * the output is committed):
 *
 *   build-fuzz/make_corpus tests/fuzz/corpus [REPO_ROOT]
 *
 * engine_msg/    one real frame per EngineToBroker message type (packed by
 *                protobuf-c, framed like frame.c), a few that the broker
 *                must refuse, and a multi-frame stream
 * frame_reader/  the same streams behind the 2-byte chunk-size seed
 * socks5/        real greetings and requests (IPv4, IPv6, domain, UDP, ...)
 * cli/           argument vectors, NUL-separated
 * input/         magnet links (the .torrent seed, small.torrent, was made by
 *                mktorrent -l 15 -a http://127.0.0.1:6969/announce on a
 *                40 KiB file and copied in by hand)
 * config/        small meerko.ini files, plus REPO_ROOT/meerko.ini.example
 *                when REPO_ROOT is given
 * sanitize/      output-size byte + text (UTF-8, escapes, C1, overlong)
 * Hand-written, not by this program: resume/ (lt-2.0.8 is
 * tests/unit/data/lt-2.0.8.resume, the rest printf'd), and engine_msg/
 * status_over_cap (65 empty TorrentStatus: one above MK_MAX_TORRENTS) and
 * file_list_two_empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meerko.pb-c.h"

static const char *root;

static void put(const char *sub, const char *name, const void *p, size_t n)
{
	char dir[4096], path[4096];
	snprintf(dir, sizeof dir, "%s/%s", root, sub);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		perror(dir);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* ---- frames ---- */

static uint8_t stream[65536];
static size_t stream_len;

/* Packs m as one frame into out (returns its size). */
static size_t frame(const Meerko__EngineToBroker *m, uint8_t *out)
{
	size_t n = meerko__engine_to_broker__get_packed_size(m);
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	meerko__engine_to_broker__pack(m, out + 4);
	return 4 + n;
}

static void put_msg(const char *name, const Meerko__EngineToBroker *m, int in_stream)
{
	uint8_t buf[8192];
	size_t n = frame(m, buf);
	put("engine_msg", name, buf, n);
	uint8_t fr[8194] = { 0x13, 0x37 };
	memcpy(fr + 2, buf, n);
	put("frame_reader", name, fr, n + 2);
	if (in_stream && stream_len + n <= sizeof stream) {
		memcpy(stream + stream_len, buf, n);
		stream_len += n;
	}
}

static void engine_msgs(void)
{
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;

	Meerko__Ready r = MEERKO__READY__INIT;
	r.libtorrent_version = "2.0.8.0";
	r.confined = r.caps_dropped = r.no_new_privs = r.seccomp = r.landlock = 1;
	r.landlock_abi = 3;
	r.landlock_note = "";
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_READY;
	m.ready = &r;
	put_msg("ready", &m, 1);

	Meerko__TorrentStatus t1 = MEERKO__TORRENT_STATUS__INIT, t7 = MEERKO__TORRENT_STATUS__INIT;
	t1.id = 1;
	t1.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	t1.progress_ppm = 421337;
	t1.download_rate = 1234567;
	t1.upload_rate = 4321;
	t1.num_peers = 3;
	t1.num_seeds = 1;
	t1.total_done = 4 << 20;
	t1.total_wanted = 10 << 20;
	t1.total_download = 5 << 20;
	t1.total_upload = 1 << 16;
	t1.name = "debian-12.5.0-amd64 \xc3\xa9t\xc3\xa9 \xe2\x9c\x93";
	t7 = t1;
	t7.id = 7;
	t7.state = MEERKO__TORRENT_STATE__STATE_SEEDING;
	t7.progress_ppm = 1000000;
	t7.total_done = t7.total_wanted;
	t7.name = "evil\x1b]0;title\x07\x1b[2J\r\nname\xc2\x9b";
	Meerko__TorrentStatus *ts[] = { &t1, &t7 };
	Meerko__Status st = MEERKO__STATUS__INIT;
	st.n_torrents = 2;
	st.torrents = ts;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &st;
	put_msg("status", &m, 1);

	/* refused: unknown torrent, progress > 100%, done > wanted */
	Meerko__TorrentStatus bad = t1;
	Meerko__TorrentStatus *bs[] = { &bad };
	st.n_torrents = 1;
	st.torrents = bs;
	bad.id = 3;
	put_msg("status_unknown_id", &m, 0);
	bad.id = 1;
	bad.progress_ppm = 1000001;
	put_msg("status_progress_over", &m, 0);
	bad.progress_ppm = 1;
	bad.total_done = bad.total_wanted + 1;
	put_msg("status_done_over_wanted", &m, 0);
	bad.total_done = 0;
	bad.state = 99;
	put_msg("status_bad_state", &m, 0);

	static const char *texts[] = {
		"", "added", "metadata received", "finished",
		"tracker: connection refused \x1b[31mred\x1b[0m", "file error: No space left on device",
		"torrent error: invalid torrent file", "add failed: invalid info-hash",
		"peer error: connection reset", "info: \xe2\x80\x8f rtl",
	};
	Meerko__Event ev = MEERKO__EVENT__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_EVENT;
	m.event = &ev;
	for (int ty = 1; ty <= 9; ty++) {
		char name[32];
		ev.torrent_id = ty == 9 ? 0 : (ty % 2 ? 1 : 7);
		ev.type = ty;
		ev.message = (char *)texts[ty];
		snprintf(name, sizeof name, "event_%d", ty);
		put_msg(name, &m, ty == 5 || ty == 3);
	}
	ev.type = 0;
	put_msg("event_unknown_type", &m, 0);

	Meerko__ResumeData rd = MEERKO__RESUME_DATA__INIT;
	static uint8_t resume[] = "d11:file-formati1e12:info-hash20:aaaaaaaaaaaaaaaaaaaae";
	rd.torrent_id = 7;
	rd.data.data = resume;
	rd.data.len = sizeof resume - 1;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_RESUME;
	m.resume = &rd;
	put_msg("resume", &m, 1);

	Meerko__ShutdownDone sd = MEERKO__SHUTDOWN_DONE__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE;
	m.shutdown_done = &sd;
	put_msg("shutdown_done", &m, 1);

	put("engine_msg", "stream", stream, stream_len);
	uint8_t fr[sizeof stream + 2] = { 0x00, 0x07 };
	memcpy(fr + 2, stream, stream_len);
	put("frame_reader", "stream", fr, stream_len + 2);
	/* framing errors: zero length, > MK_FRAME_MAX, cut in the middle */
	static const uint8_t zero[] = { 0xab, 0xcd, 0, 0, 0, 0 };
	static const uint8_t huge[] = { 0x01, 0x02, 0x01, 0x00, 0x00, 0x01, 'x' };
	put("frame_reader", "zero_len", zero, sizeof zero);
	put("frame_reader", "too_big", huge, sizeof huge);
	put("frame_reader", "truncated", fr, stream_len / 2);
}

/* ---- SOCKS5 ---- */

static void socks5(void)
{
	static const uint8_t g1[] = { 5, 1, 0 };
	static const uint8_t g2[] = { 5, 2, 0, 2 };
	static const uint8_t g3[] = { 5, 1, 2 };
	static const uint8_t r4[] = { 5, 1, 0, 1, 127, 0, 0, 4, 0x1a, 0xe1 };
	static const uint8_t r6[] = { 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1a, 0xe1 };
	static const uint8_t rd[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 0, 80 };
	static const uint8_t ru[] = { 5, 3, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t rx[] = { 5, 9, 0, 1, 10, 0, 0, 1, 0, 22 };
	static const uint8_t rnul[] = { 5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80 };
	put("socks5", "greeting_noauth", g1, sizeof g1);
	put("socks5", "greeting_two_methods", g2, sizeof g2);
	put("socks5", "greeting_userpass_only", g3, sizeof g3);
	put("socks5", "request_ipv4", r4, sizeof r4);
	put("socks5", "request_ipv6", r6, sizeof r6);
	put("socks5", "request_domain", rd, sizeof rd);
	put("socks5", "request_udp_associate", ru, sizeof ru);
	put("socks5", "request_unknown_cmd", rx, sizeof rx);
	put("socks5", "request_domain_nul", rnul, sizeof rnul);
}

/* ---- CLI ---- */

static void argv_seed(const char *name, const char *const *args)
{
	uint8_t buf[4096];
	size_t n = 0;
	for (size_t i = 0; args[i]; i++) {
		size_t l = strlen(args[i]);
		if (i)
			buf[n++] = 0;
		memcpy(buf + n, args[i], l);
		n += l;
	}
	put("cli", name, buf, n);
}

static void cli(void)
{
	argv_seed("download", (const char *[]){ "-o", "/tmp/dl", "file.torrent", NULL });
	argv_seed("proxy", (const char *[]){ "--proxy", "127.0.0.1:1080", "--progress", "plain",
					     "--max-down", "100", "--max-up", "0", "a.torrent", NULL });
	argv_seed("proxy_v6_user", (const char *[]){ "--proxy=socks5://[::1]:9050", "--proxy-user", "alice",
						     "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", NULL });
	argv_seed("no_proxy", (const char *[]){ "--no-proxy", "--sandbox", "off", "-c", "/dev/null", "x", NULL });
	argv_seed("contradiction", (const char *[]){ "--no-proxy", "--proxy", "1.2.3.4:5", "x", NULL });
	argv_seed("short_cluster", (const char *[]){ "-hVo/tmp", "x", NULL });
	argv_seed("help", (const char *[]){ "-h", NULL });
	argv_seed("version", (const char *[]){ "--version", NULL });
	argv_seed("sandbox_check", (const char *[]){ "--sandbox-check", NULL });
	argv_seed("bad_values", (const char *[]){ "--proxy", "host.example:1080", "--max-down", "-1",
						  "--progress", "fancy", "--", "-x.torrent", NULL });
	argv_seed("tilde", (const char *[]){ "--output=~/Downloads", "--max-up=10000000", "t", NULL });
}

/* ---- input ---- */

static void input(void)
{
	static const char *const magnets[][2] = {
		{ "magnet_hex", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=test&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce" },
		{ "magnet_base32", "magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH" },
		{ "magnet_v2", "magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e" },
		{ "magnet_no_xt", "magnet:?dn=nothing" },
		{ "magnet_no_query", "magnet:xt=urn:btih:0123456789abcdef0123456789abcdef01234567" },
	};
	for (size_t i = 0; i < sizeof magnets / sizeof magnets[0]; i++)
		put("input", magnets[i][0], magnets[i][1], strlen(magnets[i][1]));
}

/* ---- config ---- */

static void config(void)
{
	static const char *const inis[][2] = {
		{ "minimal", "[proxy]\ntype = socks5\nhost = 127.0.0.1\nport = 9050\n" },
		{ "password", "[proxy]\nhost = ::1\nport = 1080\nusername = alice\npassword = s3cret ; comment\n" },
		{ "no_proxy", "[proxy]\ntype = none\nrequired = false\n[privacy]\ndht = on\nutp = yes\n" },
		{ "all_sections", "; c\n# c\n[download]\nsave_dir = ~/Downloads\nmax_down = 0\nmax_up = 10000000\n"
				  "[ui]\nprogress = PLAIN\nplain_interval = 3600\n[sandbox]\nmode = off\n" },
		{ "errors", "[proxy]\nport = 0x50\nhost = localhost\n[privcy]\ndht = off\n  indented = 1\n" },
		{ "crlf", "[proxy]\r\nhost = 10.0.0.1\r\nport = 1\r\n" },
		{ "none_required", "[proxy]\ntype = none\n" },
		{ "killswitch_state", "[killswitch]\non_proxy_loss = exit\nmax_outage = 604800\nmax_restarts = 0\n"
				      "restart_window = 1\n[state]\ndir = ~/.local/state/meerko\nresume_interval = 5\n" },
	};
	for (size_t i = 0; i < sizeof inis / sizeof inis[0]; i++)
		put("config", inis[i][0], inis[i][1], strlen(inis[i][1]));
}

/* ---- sanitize ---- */

static void sanitize(void)
{
	static const struct { const char *name; const char *text; size_t len; } s[] = {
#define S(n, t) { n, t, sizeof t - 1 }
		S("ascii", "\xff" "Ubuntu 24.04 LTS (amd64).iso"),
		S("utf8", "\x40" "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87"),
		S("escapes", "\x80" "a\x1b]0;pwned\x07\x1b[2Jb\r\nc\x7f\t"),
		S("c1_overlong_surrogate", "\x20" "\xc2\x9b\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\x80\xe0\x80\xaf"),
		S("truncate_mid_char", "\x04" "ab\xc3\xa9\xe2\x9c\x93"),
		S("embedded_nul", "\x10" "abc\0def"),
		S("bidi", "\x30" "\xe2\x80\xae" "gpj.exe \xef\xbb\xbf"),
#undef S
	};
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		put("sanitize", s[i].name, s[i].text, s[i].len);
}

static void copy_file(const char *from, const char *sub, const char *name)
{
	FILE *f = fopen(from, "rb");
	if (!f) {
		perror(from);
		exit(1);
	}
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	put(sub, name, buf, n);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: make_corpus OUTDIR [REPO_ROOT]\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) != 0 && errno != EEXIST) {
		perror(root);
		return 1;
	}
	engine_msgs();
	socks5();
	cli();
	input();
	config();
	sanitize();
	if (argc == 3) {
		char p[4096];
		snprintf(p, sizeof p, "%s/meerko.ini.example", argv[2]);
		copy_file(p, "config", "meerko.ini.example");
	}
	return 0;
}
