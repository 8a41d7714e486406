/*
 * savedir_owner.c - the save dir's ordinary owner (see savedir_owner.h).
 *
 * /etc/login.defs is read as useradd reads it: "KEY value" lines, '#'
 * comments, the last occurrence wins; a value that is not a plain decimal
 * number is ignored. A UID_MIN of 0 is raised to 1: root is never ordinary.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "savedir_owner.h"

bool mk_uid_is_ordinary(uid_t uid, uid_t uid_min, uid_t uid_max)
{
	return uid != 0 && uid >= uid_min && uid <= uid_max;
}

/* "KEY   123" -> 123 into *out when line starts with key; else unchanged. */
static void read_key(const char *line, const char *key, uid_t *out)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) != 0 || !isspace((unsigned char)line[n]))
		return;
	const char *p = line + n;
	while (isspace((unsigned char)*p))
		p++;
	char *end;
	unsigned long v = strtoul(p, &end, 10);
	if (end == p || !isdigit((unsigned char)*p) || v > (uid_t)-2)
		return;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '\0' || *end == '#')
		*out = (uid_t)v;
}

void mk_login_defs_uid_range(const char *path, uid_t *uid_min, uid_t *uid_max)
{
	*uid_min = MK_UID_MIN_DEFAULT;
	*uid_max = MK_UID_MAX_DEFAULT;
	FILE *f = fopen(path, "re");
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f)) {
			read_key(line, "UID_MIN", uid_min);
			read_key(line, "UID_MAX", uid_max);
		}
		fclose(f);
	}
	if (*uid_min == 0)
		*uid_min = 1;
}

int mk_savedir_owner(const char *save_dir, uid_t *uid, gid_t *gid, char *name, size_t namelen)
{
	struct stat st;
	if (!save_dir || stat(save_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	uid_t lo, hi;
	mk_login_defs_uid_range(MK_LOGIN_DEFS, &lo, &hi);
	if (!mk_uid_is_ordinary(st.st_uid, lo, hi))
		return 0;
	struct passwd *pw = getpwuid(st.st_uid);
	if (!pw || !pw->pw_name || pw->pw_gid == 0)
		return 0;
	*uid = st.st_uid;
	*gid = pw->pw_gid;
	snprintf(name, namelen, "%s", pw->pw_name);
	return 1;
}
