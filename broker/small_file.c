/*
 * small_file.c - read one small regular file whole (see small_file.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "small_file.h"

uint8_t *mk_small_file_read(int dir_fd, const char *name, size_t max, size_t *len)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	uint8_t *buf = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && (size_t)sb.st_size <= max &&
	    (buf = malloc((size_t)sb.st_size)) != NULL) {
		*len = (size_t)sb.st_size;
		if (read(fd, buf, *len) != (ssize_t)*len) {
			free(buf);
			buf = NULL;
		}
	}
	close(fd);
	return buf;
}
