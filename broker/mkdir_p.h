/*
 * mkdir_p.h - make a directory and its missing parents (mkdir_p.c).
 *
 * Contract: mk_mkdir_p(path, mode) creates every missing component of
 * path with mode (existing ones are left as they are) and returns 0, or -1
 * with errno. path is modified while it runs and restored before it
 * returns. Used for the save dir (0755), the state dir and the daemon's
 * store (0700).
 */
#ifndef MEERKO_BROKER_MKDIR_P_H
#define MEERKO_BROKER_MKDIR_P_H

#include <sys/types.h>

int mk_mkdir_p(char *path, mode_t mode);

#endif
