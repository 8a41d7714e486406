/*
 * clock.h - the broker's one millisecond clock.
 *
 * Contract: CLOCK_MONOTONIC in milliseconds, for deadlines and elapsed
 * times only (never wall-clock time). Shared by every broker file that times
 * something, so they cannot disagree on the clock or the unit.
 */
#ifndef MEERKO_BROKER_CLOCK_H
#define MEERKO_BROKER_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
