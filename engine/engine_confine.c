/*
 * engine_confine.c - self-confinement of meerko-engine after exec.
 *
 * Contract: on return 0 the process can never gain privileges again
 * (PR_SET_NO_NEW_PRIVS), cannot be ptraced or core-dumped by its own uid
 * (PR_SET_DUMPABLE 0: memory may hold a proxy password), and holds no
 * inherited descriptor but 0, 1, 2 and the broker socket.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "engine.h"
#include "engine_confine.h"

static int fail(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(errno));
	return -1;
}

int mk_confine_parse_args(struct mk_confine_opts *o, int argc, char **argv, char *why, size_t whylen)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--unconfined") == 0) {
			o->unconfined = true;
		} else if (strcmp(argv[i], "--write-dir") == 0 && i + 1 < argc &&
			   o->n_write_dirs < MK_MAX_WRITE_DIRS && argv[i + 1][0] == '/') {
			o->write_dirs[o->n_write_dirs++] = argv[++i];
		} else {
			snprintf(why, whylen, "bad argument '%s'", argv[i]);
			return -1;
		}
	}
	return 0;
}

int mk_engine_confine(const struct mk_confine_opts *o, char *why, size_t whylen)
{
	(void)o;
	/* libtorrent 2.0.8 does not open its fds O_CLOEXEC; anything inherited
	 * beyond our socket would be reachable by a compromised engine. */
	if (syscall(SYS_close_range, MK_ENGINE_FD + 1, ~0U, 0) != 0)
		return fail(why, whylen, "close_range");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_DUMPABLE)");
	return 0;
}
