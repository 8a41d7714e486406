/*
 * clock.h - the one millisecond clock of broker, engine and framing.
 *
 * Contract: CLOCK_MONOTONIC in milliseconds, for deadlines and elapsed
 * times only (never wall-clock time). Shared by every file that times
 * something (it holds no state, so either side of the trust boundary may
 * include it), so they cannot disagree on the clock or the unit.
 */
#ifndef MEERKO_IPC_CLOCK_H
#define MEERKO_IPC_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
