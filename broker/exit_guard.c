/*
 * exit_guard.c - pausing, probing, resuming or stopping for the exit the
 * swarm sees (contract: exit_guard.h; the judging: exit_watch.c). Every
 * address printed is one exit_watch.c parsed from bytes and formats itself
 * with inet_ntop: no engine text reaches the terminal from here.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "exit_guard.h"
#include "exitcodes.h"
#include "jsonout.h"
#include "supervise_int.h"

static struct mk_exit_guard *guard(struct sup *s)
{
	return &s->job->exit_guard;
}

static void ready(struct sup *s, int64_t now)
{
	struct mk_exit_guard *g = guard(s);
	struct mk_cidr rules[MK_EXIT_MAX_RULES];
	char why[160];
	size_t n = 0;
	if (!g->ready) {
		if (mk_exit_parse_expected(s->job->cfg->expected_exit, rules, MK_EXIT_MAX_RULES, &n, why,
					   sizeof why) != 0)
			n = 0; /* config.c refused it already: cannot happen */
		mk_exit_watch_init(&g->w, rules, n);
		g->probe_every_ms = MK_EXIT_PROBE_FIRST_MS;
		g->ready = true;
		g->own_read_ms = now - MK_EXIT_OWN_REFRESH_MS - 1;
	}
	/* offline (--list of .torrent files): no swarm to see us, and not even a
	 * netlink socket to read the addresses with */
	if (!s->job->offline && now - g->own_read_ms > MK_EXIT_OWN_REFRESH_MS) {
		struct mk_ip own[MK_EXIT_MAX_OWN];
		mk_exit_watch_set_own(&g->w, own, mk_exit_own_addresses(own, MK_EXIT_MAX_OWN));
		g->own_read_ms = now;
	}
}

static void say(struct sup *s, const char *event, const char *text, int code)
{
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: %s\n", text);
	if (s->job->json)
		mk_jsonout_event(stdout, mk_now_ms() - s->job->start_ms, event, 0, NULL, NULL, text, code);
}

/* Why a verdict is wrong, in words: "outside [killswitch] expected_exit". */
static void describe(const struct mk_exit_guard *g, enum mk_exit_verdict v, char *buf, size_t len)
{
	char seen[96], first[MK_EXIT_IP_STR];
	mk_exit_view_str(&g->view, seen, sizeof seen);
	mk_ip_str(&g->w.first, first, sizeof first);
	if (v == MK_EXITV_OWN)
		snprintf(buf, len, "the swarm sees this machine at %s, one of its own addresses", seen);
	else if (v == MK_EXITV_WRONG)
		snprintf(buf, len, "the swarm sees this machine at %s, outside [killswitch] expected_exit", seen);
	else
		snprintf(buf, len, "the exit the swarm sees changed from %s to %s", first, seen);
}

static void pause_all(struct sup *s, int64_t now)
{
	struct mk_exit_guard *g = guard(s);
	g->paused = true;
	g->probing = false;
	g->probe_at_ms = now + g->probe_every_ms;
	if (s->phase == PH_RUNNING)
		mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE);
}

/* Does this verdict end the run (exit 10, state saved)? Always for this
 * machine's own address: the proxy's traffic leaves from it, and learning
 * when that is over means connecting again - from it, to new peers too
 * (measured in the lab: a probe moved ~600 KB and reached every seeder
 * before it paused again). So no probe; the user reruns once the VPN under
 * the proxy is back. Otherwise as [killswitch] on_exit_mismatch says. */
static bool stops_the_run(const struct sup *s, enum mk_exit_verdict v)
{
	return v == MK_EXITV_OWN || (v == MK_EXITV_WRONG && s->job->cfg->on_exit_mismatch == MK_ON_MISMATCH_EXIT);
}

static void stop_for(struct sup *s, enum mk_exit_verdict v, const char *why, int64_t now)
{
	if (s->job->json)
		mk_jsonout_event(stdout, now - s->job->start_ms, "exit_mismatch", 0, NULL, NULL, why,
				 MK_EXIT_EXIT_MISMATCH);
	if (s->job->cfg->on_exit_mismatch == MK_ON_MISMATCH_EXIT)
		mk_sup_set_error(s, MK_EXIT_EXIT_MISMATCH, "%s and [killswitch] on_exit_mismatch = exit: "
				 "stopped, state saved", why);
	else
		mk_sup_set_error(s, MK_EXIT_EXIT_MISMATCH, "%s: stopped, state saved, not checked again "
				 "(a check would connect from this address; run again once the VPN under "
				 "the proxy is back)", why);
	mk_sup_start_stopping(s, MK_EXIT_EXIT_MISMATCH);
	guard(s)->last = v;
}

static void on_wrong(struct sup *s, enum mk_exit_verdict v, int64_t now)
{
	struct mk_exit_guard *g = guard(s);
	char why[256], line[360];
	describe(g, v, why, sizeof why);
	if (stops_the_run(s, v)) {
		if (s->phase == PH_RUNNING)
			mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE); /* not one more byte meanwhile */
		stop_for(s, v, why, now);
		return;
	}
	bool again = g->probing;
	if (again)
		g->probe_every_ms = g->probe_every_ms * 2 > MK_EXIT_PROBE_MAX_MS ? MK_EXIT_PROBE_MAX_MS
										 : g->probe_every_ms * 2;
	pause_all(s, now);
	snprintf(line, sizeof line, "%s: torrents paused %s (next check in %lld s)", why,
		 again ? "again" : "until it is right again", (long long)(g->probe_every_ms / 1000));
	say(s, v == MK_EXITV_CHANGED ? "exit_changed" : "exit_mismatch", line, 0);
	g->last = v;
}

static void on_right(struct sup *s, enum mk_exit_verdict was)
{
	struct mk_exit_guard *g = guard(s);
	char seen[96], line[192];
	mk_exit_view_str(&g->view, seen, sizeof seen);
	if (g->paused) {
		/* the probe already runs every torrent: it stays so */
		g->paused = g->probing = false;
		g->probe_every_ms = MK_EXIT_PROBE_FIRST_MS;
		snprintf(line, sizeof line, "the swarm sees this machine at %s again: resumed", seen);
		say(s, "exit_right", line, 0);
	} else if (was == MK_EXITV_UNKNOWN && s->job->json) {
		mk_jsonout_event(stdout, mk_now_ms() - s->job->start_ms, "exit_seen", 0, NULL, NULL, seen, 0);
	}
	g->last = MK_EXITV_RIGHT;
}

static void on_changed_warn(struct sup *s)
{
	struct mk_exit_guard *g = guard(s);
	char why[256], line[320];
	describe(g, MK_EXITV_CHANGED, why, sizeof why);
	snprintf(line, sizeof line, "warning: %s ([killswitch] on_exit_change = warn)", why);
	say(s, "exit_changed", line, 0);
	mk_exit_watch_accept(&g->w, &g->view);
	g->last = MK_EXITV_RIGHT;
}

static void judge(struct sup *s, int64_t now)
{
	struct mk_exit_guard *g = guard(s);
	struct mk_exit_view view;
	enum mk_exit_verdict v = mk_exit_judge(&g->w, &view);
	if (v == MK_EXITV_UNKNOWN)
		return;
	g->view = view;
	g->have_view = true;
	if (g->paused && !g->probing)
		return; /* no torrent runs: late words from before the pause */
	if (v == MK_EXITV_RIGHT && g->last != MK_EXITV_RIGHT)
		on_right(s, g->last);
	else if (v == MK_EXITV_CHANGED && s->job->cfg->on_exit_change == MK_ON_CHANGE_WARN && !g->paused)
		on_changed_warn(s);
	else if (v != MK_EXITV_RIGHT && (!g->paused || g->probing))
		on_wrong(s, v, now);
}

void mk_exitg_on_report(struct sup *s, const Meerko__ExitReport *r)
{
	int64_t now = mk_now_ms();
	ready(s, now);
	for (size_t i = 0; i < r->n_seen; i++) { /* checked by engine_msg.c */
		const Meerko__ExitSeen *e = r->seen[i];
		int kind = e->source == MEERKO__EXIT_SOURCE__EXIT_SOURCE_TRACKER ? MK_EXIT_SRC_TRACKER
										  : MK_EXIT_SRC_PEER;
		mk_exit_watch_note(&guard(s)->w, kind, e->source_id, e->address.data, e->address.len);
	}
	if (s->phase == PH_RUNNING)
		judge(s, now);
}

void mk_exitg_tick(struct sup *s, int64_t now)
{
	struct mk_exit_guard *g = guard(s);
	if (!g->paused || s->phase != PH_RUNNING || s->outage_start_ms || now < g->probe_at_ms)
		return;
	if (g->probing) { /* the window passed without two sources saying it is right */
		g->probe_every_ms = g->probe_every_ms * 2 > MK_EXIT_PROBE_MAX_MS ? MK_EXIT_PROBE_MAX_MS
										 : g->probe_every_ms * 2;
		pause_all(s, now);
		return;
	}
	mk_exit_watch_forget(&g->w); /* only what the swarm says from now on counts */
	g->probing = true;
	g->probe_at_ms = now + MK_EXIT_PROBE_WINDOW_MS;
	mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_RESUME);
}

bool mk_exitg_holds(struct sup *s)
{
	return guard(s)->paused && !guard(s)->probing;
}

void mk_exitg_engine_started(struct sup *s)
{
	struct mk_exit_guard *g = guard(s);
	int64_t now = mk_now_ms();
	ready(s, now);
	mk_exit_watch_forget(&g->w); /* a new engine has a new pseudonym key */
	if (g->paused) {
		g->probing = false;
		g->probe_at_ms = now + g->probe_every_ms;
		mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE);
	}
}

void mk_exitg_note(struct sup *s, char *buf, size_t len)
{
	struct mk_exit_guard *g = guard(s);
	char seen[96];
	buf[0] = '\0';
	if (!g->have_view)
		return;
	mk_exit_view_str(&g->view, seen, sizeof seen);
	if (g->paused)
		snprintf(buf, len, "paused: exit %s %s", seen, g->probing ? "checking" : "wrong");
	else
		snprintf(buf, len, "exit %s", seen);
}
