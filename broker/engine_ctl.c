/*
 * engine_ctl.c - the broker's words to the engine and the run's first
 * error (see engine_ctl.h).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "engine_ctl.h"
#include "exitcodes.h"
#include "sanitize.h"
#include "supervise_int.h"

#define MK_MAX_WARNINGS 5

void mk_sup_set_error(struct sup *s, int code, const char *fmt, ...)
{
	if (s->error[0])
		return; /* the first error is the one that matters */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof s->error, fmt, ap);
	va_end(ap);
	s->exit_code = code;
}

int mk_sup_send(struct sup *s, Meerko__BrokerToEngine *m)
{
	if (mk_ipc_send_b2e(s->eng->fd, m) == MK_FRAME_OK)
		return 0;
	mk_sup_set_error(s, MK_EXIT_ENGINE, "engine stopped unexpectedly (write failed)");
	return -1;
}

void mk_sup_send_ref(struct sup *s, int which, uint32_t id)
{
	Meerko__TorrentRef r = MEERKO__TORRENT_REF__INIT;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	r.id = id;
	m.msg_case = which;
	if (which == MEERKO__BROKER_TO_ENGINE__MSG_PAUSE)
		m.pause = &r;
	else if (which == MEERKO__BROKER_TO_ENGINE__MSG_RESUME)
		m.resume = &r;
	else if (which == MEERKO__BROKER_TO_ENGINE__MSG_FORCE_RECHECK)
		m.force_recheck = &r;
	else
		m.save_resume = &r;
	mk_sup_send(s, &m);
}

void mk_sup_send_all(struct sup *s, int which)
{
	for (size_t i = 0; i < s->set.n; i++)
		if (!s->set.t[i]->failed && !s->set.t[i]->listed)
			mk_sup_send_ref(s, which, s->set.t[i]->id);
}

void mk_sup_start_stopping(struct sup *s, int code)
{
	if (s->phase >= PH_STOPPING)
		return;
	if (!s->error[0])
		s->exit_code = code;
	s->phase = PH_STOPPING;
	s->phase_start_ms = mk_now_ms();
	Meerko__Shutdown sd = MEERKO__SHUTDOWN__INIT;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	sd.save_resume = true;
	m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_SHUTDOWN;
	m.shutdown = &sd;
	mk_sup_send(s, &m);
}

void mk_sup_warn(struct sup *s, const char *what, const char *text)
{
	char clean[MK_MAX_TEXT];
	if (s->warnings++ >= MK_MAX_WARNINGS)
		return;
	mk_sanitize(text, strlen(text), clean, sizeof clean);
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: warning: %s: %s\n", what, clean);
}

void mk_sup_kill_engine(struct sup *s)
{
	if (s->eng->pid > 0)
		kill(s->eng->pid, SIGKILL);
}
