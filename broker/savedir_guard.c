/*
 * savedir_guard.c - which save dirs the engine must not be given (see
 * savedir_guard.h). The rule is the table `rules`, one row per refusal with
 * its reason; everything else only gathers canonical paths for it.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "savedir_guard.h"
#include "state.h"

/* 1 if path is dir itself or below it (both canonical). */
static bool is_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* save is dir, or a directory that holds it. */
static bool at_or_above(const char *save, const char *dir)
{
	return is_within(dir, save);
}

/* save is inside home/.X for some X (the dot-directory itself included). */
static bool in_dot_dir(const char *save, const char *home)
{
	size_t n = strcmp(home, "/") == 0 ? 0 : strlen(home);
	return is_within(save, home) && save[n] == '/' && save[n + 1] == '.';
}

/* save is dir, inside it, or holds it. */
static bool overlaps(const char *save, const char *dir)
{
	return is_within(save, dir) || is_within(dir, save);
}

static const struct rule {
	enum mk_guard_kind kind;
	bool (*refuses)(const char *save, const char *dir);
	const char *where;
	const char *why;
} rules[] = {
	{ MK_GUARD_HOME, at_or_above, "it is, or holds, the home directory",
	  "the engine could read and change everything in it: keys, shell start-up files" },
	{ MK_GUARD_HOME, in_dot_dir, "it is inside a dot-directory of the home",
	  "~/.ssh, ~/.config, ~/.local/bin and the like decide what runs and who may log in" },
	{ MK_GUARD_CONFIG_DIR, at_or_above, "it holds the directory of the config file",
	  "the engine could read the proxy password there" },
	{ MK_GUARD_STATE_DIR, overlaps, "it overlaps the state dir",
	  "the engine could forge the resume data the broker keeps there" },
};

struct mk_savedir_verdict mk_savedir_judge(const char *save, const struct mk_guarded_dir *dirs,
					   size_t n)
{
	struct mk_savedir_verdict v = { NULL, NULL, NULL };
	for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++)
		for (size_t i = 0; i < n; i++) {
			if (dirs[i].kind != rules[r].kind || !dirs[i].path || !dirs[i].path[0] ||
			    !rules[r].refuses(save, dirs[i].path))
				continue;
			v.dir = &dirs[i];
			v.where = rules[r].where;
			v.why = rules[r].why;
			return v;
		}
	return v;
}

/* Appends the components of rest to out (canonical), applying "." and "..". */
static int append_rest(char *out, size_t outlen, const char *rest)
{
	while (*rest) {
		while (*rest == '/')
			rest++;
		size_t len = strcspn(rest, "/");
		if (len == 0)
			break;
		if (len == 2 && strncmp(rest, "..", 2) == 0) {
			char *slash = strrchr(out, '/');
			slash[slash == out ? 1 : 0] = '\0';
		} else if (!(len == 1 && rest[0] == '.')) {
			size_t have = strlen(out);
			bool root = have == 1;
			if (have + !root + len >= outlen) {
				errno = ENAMETOOLONG;
				return -1;
			}
			snprintf(out + have, outlen - have, "%s%.*s", root ? "" : "/", (int)len, rest);
		}
		rest += len;
	}
	return 0;
}

int mk_path_resolve(const char *path, char *out, size_t outlen)
{
	char abs[PATH_MAX], cwd[PATH_MAX], real[PATH_MAX];
	if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
		return -1;
	int w = path[0] == '/' ? snprintf(abs, sizeof abs, "%s", path)
			       : snprintf(abs, sizeof abs, "%s/%s", cwd, path);
	if (w < 0 || (size_t)w >= sizeof abs) {
		errno = ENAMETOOLONG;
		return -1;
	}
	size_t cut = strlen(abs);
	for (;;) {
		char saved = abs[cut];
		abs[cut] = '\0';
		const char *ok = realpath(cut ? abs : "/", real);
		abs[cut] = saved;
		if (ok)
			break;
		if (errno != ENOENT || cut == 0)
			return -1;
		while (cut > 0 && abs[--cut] != '/')
			;
	}
	if (strlen(real) >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(out, real);
	return append_rest(out, outlen, abs + cut);
}

/* The directory holding the config file, canonical; "" when there is none. */
static void config_dir(const char *config_path, char *out, size_t outlen)
{
	char real[PATH_MAX];
	out[0] = '\0';
	if (!config_path || !config_path[0] || !realpath(config_path, real))
		return;
	char *slash = strrchr(real, '/');
	slash[slash == real ? 1 : 0] = '\0';
	snprintf(out, outlen, "%s", real);
}

/* The home of the uid the engine will run as; "" when unknown. */
static void engine_home(const char *save, char *out, size_t outlen)
{
	char err[256];
	struct mk_engine_ids ids;
	out[0] = '\0';
	if (mk_sandbox_engine_ids(save, &ids, err, sizeof err) != 0)
		return;
	struct passwd *pw = getpwuid(ids.uid);
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/' && mk_path_resolve(pw->pw_dir, out, outlen) != 0)
		out[0] = '\0';
}

static void resolve_or_empty(const char *path, char *out, size_t outlen)
{
	if (!path || path[0] != '/' || mk_path_resolve(path, out, outlen) != 0)
		out[0] = '\0';
}

int mk_savedir_check_private(const char *save, const char *config_path, const char *state_dir,
			     char *err, size_t errlen)
{
	char abs[PATH_MAX], home[PATH_MAX], env_home[PATH_MAX], cfg[PATH_MAX], state[PATH_MAX];
	if (mk_path_resolve(save, abs, sizeof abs) != 0)
		return 0; /* mk_savedir_prepare reports it; a dir it creates is judged again */
	engine_home(abs, home, sizeof home);
	resolve_or_empty(getenv("HOME"), env_home, sizeof env_home);
	config_dir(config_path, cfg, sizeof cfg);
	if (mk_state_dir(state_dir, state, sizeof state) != 0)
		state[0] = '\0';
	resolve_or_empty(state, state, sizeof state);
	const struct mk_guarded_dir dirs[] = {
		{ MK_GUARD_HOME, home }, { MK_GUARD_HOME, env_home },
		{ MK_GUARD_CONFIG_DIR, cfg }, { MK_GUARD_STATE_DIR, state },
	};
	struct mk_savedir_verdict v = mk_savedir_judge(abs, dirs, sizeof dirs / sizeof dirs[0]);
	if (!v.dir)
		return 0;
	bool home_rule = v.dir->kind == MK_GUARD_HOME;
	snprintf(err, errlen, "save dir %s refused: %s %s (%s); use a dedicated folder%s%s%s", abs,
		 v.where, v.dir->path, v.why, home_rule ? " such as " : "", home_rule ? v.dir->path : "",
		 home_rule ? "/Downloads" : "");
	return -1;
}
