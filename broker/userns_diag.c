/*
 * userns_diag.c - naming the setting that forbids unprivileged user
 * namespaces (see userns_diag.h). One row per setting, in the order the
 * kernel checks them, each with how to change it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userns_diag.h"

#ifndef MEERKO_APPARMOR_PROFILE
#define MEERKO_APPARMOR_PROFILE "/etc/apparmor.d/meerko-secure"
#endif

static bool max_is_zero(const struct mk_userns_settings *s, int err)
{
	(void)err;
	return s->max_user_namespaces == 0;
}

static bool clone_off(const struct mk_userns_settings *s, int err)
{
	(void)err;
	return s->userns_clone == 0;
}

static bool apparmor_restricts(const struct mk_userns_settings *s, int err)
{
	(void)err;
	return s->apparmor_restrict == 1 && !s->profile_active;
}

/* The limit is set but used up (ENOSPC from unshare). */
static bool max_reached(const struct mk_userns_settings *s, int err)
{
	return err == ENOSPC && s->max_user_namespaces > 0;
}

#define SETTING(m) offsetof(struct mk_userns_settings, m)

static const struct cause {
	bool (*blocks)(const struct mk_userns_settings *s, int err);
	const char *setting;  /* printed with its value */
	size_t value;         /* offset of that value in mk_userns_settings */
	const char *how;      /* what to do about it */
} causes[] = {
	{ max_is_zero, "user.max_user_namespaces", SETTING(max_user_namespaces),
	  "allows no user namespaces; allow them with: sudo sysctl -w user.max_user_namespaces=15000 "
	  "(or run meerko-secure with sudo)" },
	{ clone_off, "kernel.unprivileged_userns_clone", SETTING(userns_clone),
	  "forbids unprivileged user namespaces (Debian kernels); allow them with: "
	  "sudo sysctl -w kernel.unprivileged_userns_clone=1 (or run meerko-secure with sudo)" },
	{ apparmor_restricts, "kernel.apparmor_restrict_unprivileged_userns", SETTING(apparmor_restrict),
	  "lets only programs with an AppArmor userns rule create user namespaces; load Meerko's "
	  "profile with: sudo apparmor_parser -r " MEERKO_APPARMOR_PROFILE
	  " (installed by cmake --install; or run meerko-secure with sudo)" },
	{ max_reached, "user.max_user_namespaces", SETTING(max_user_namespaces),
	  "is used up by other processes; raise it with: sudo sysctl -w user.max_user_namespaces=N" },
};

int mk_userns_diagnose(const struct mk_userns_settings *s, int err, char *out, size_t outlen)
{
	for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++) {
		if (!causes[i].blocks(s, err))
			continue;
		long value = *(const long *)((const char *)s + causes[i].value);
		snprintf(out, outlen, "%s = %ld %s", causes[i].setting, value, causes[i].how);
		return 1;
	}
	if (outlen)
		out[0] = '\0';
	return 0;
}

/* The number in a /proc/sys file, or -1 when it cannot be read. */
static long read_number(const char *path)
{
	char buf[32];
	FILE *f = fopen(path, "re");
	long v = -1;
	if (!f)
		return -1;
	if (fgets(buf, sizeof buf, f)) {
		char *end;
		errno = 0;
		long n = strtol(buf, &end, 10);
		if (errno == 0 && end != buf)
			v = n;
	}
	fclose(f);
	return v;
}

/* The AppArmor label of this process starts with "meerko-secure". */
static bool under_profile(void)
{
	static const char *const paths[] = { "/proc/self/attr/apparmor/current", "/proc/self/attr/current" };
	char buf[128];
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		FILE *f = fopen(paths[i], "re");
		if (!f)
			continue;
		bool hit = fgets(buf, sizeof buf, f) && strncmp(buf, "meerko-secure", 13) == 0;
		fclose(f);
		if (hit)
			return true;
	}
	return false;
}

void mk_userns_read(struct mk_userns_settings *s)
{
	s->apparmor_restrict = read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	s->userns_clone = read_number("/proc/sys/kernel/unprivileged_userns_clone");
	s->max_user_namespaces = read_number("/proc/sys/user/max_user_namespaces");
	s->profile_active = under_profile();
}

void mk_userns_explain(char *msg, size_t msglen)
{
	struct mk_userns_settings s;
	char line[512];
	size_t have = strlen(msg);
	mk_userns_read(&s);
	/* the child's line ends in strerror() of the failed step */
	int err = strstr(msg, strerror(ENOSPC)) ? ENOSPC : 0;
	if (mk_userns_diagnose(&s, err, line, sizeof line) && have < msglen)
		snprintf(msg + have, msglen - have, "; %s", line);
}
