/*
 * small_file.h - read one small regular file whole (small_file.c).
 *
 * Contract: mk_small_file_read(dir_fd, name, max, &len) opens name
 * relative to dir_fd (AT_FDCWD: a path) without following a final
 * symlink, and returns a malloc'd copy of its bytes when it is a regular
 * file of 1..max bytes read in one go; otherwise NULL (errno not kept).
 * Used for the broker's own state files (state.c, daemon_store.c).
 */
#ifndef MEERKO_BROKER_SMALL_FILE_H
#define MEERKO_BROKER_SMALL_FILE_H

#include <stddef.h>
#include <stdint.h>

uint8_t *mk_small_file_read(int dir_fd, const char *name, size_t max, size_t *len);

#endif
