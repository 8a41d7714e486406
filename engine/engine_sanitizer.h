/*
 * engine_sanitizer.h - what the engine does differently in an ASan+UBSan
 * build (cmake -DMEERKO_SANITIZE=ON), and nothing in a release build.
 */
#ifndef MEERKO_ENGINE_SANITIZER_H
#define MEERKO_ENGINE_SANITIZER_H

#ifdef MEERKO_SANITIZE
/* Lets the sanitizer runtimes cache what they cannot read once confined
 * (/proc/self/maps, the symbolizer's files). Call just before confining. */
void mk_sanitizer_prepare_sandbox(void);
#else
static inline void mk_sanitizer_prepare_sandbox(void)
{
}
#endif

#endif
