/*
 * mkdir_p.c - make a directory and its missing parents (see mkdir_p.h).
 */
#include <errno.h>
#include <sys/stat.h>

#include "mkdir_p.h"

int mk_mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, mode);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, mode) != 0 && errno != EEXIST ? -1 : 0;
}
