/*
 * unpack_guard.h - what stops a hostile engine from making the broker
 * allocate far more than one frame while protobuf-c unpacks it.
 *
 * Contract: protobuf-c turns every element of a repeated field, and every
 * unknown field, into its own heap block, so 16 MiB of two-byte empty
 * elements becomes millions of blocks (1.39 GB for a Status, 870 MB for a
 * FileList, measured before this guard). Two checks, both before anything
 * is stored:
 *  1. mk_e2b_prescan() walks the wire format of an EngineToBroker without
 *     allocating and refuses a Status with more than MK_MAX_TORRENTS
 *     entries, a FileList with more than MK_MAX_FILES entries or an
 *     ExitReport with more than MK_MAX_EXIT_SEEN (counted
 *     over every occurrence of the member: protobuf merges repeats), and
 *     any byte sequence that is not well-formed wire format.
 *  2. mk_unpack_budget is a ProtobufCAllocator that fails once the live
 *     bytes of one unpack (requested size + MK_UNPACK_BLOCK_OVERHEAD per
 *     block, protobuf-c's scan bookkeeping included) would pass its limit;
 *     protobuf-c then frees what it had and unpack returns NULL. It catches
 *     what the prescan does not count (unknown fields, nested repeats).
 * Blocks from the budget allocator carry a header: free them only with
 * mk_unpack_free_allocator (mk_ipc_free_e2b does).
 */
#ifndef MEERKO_IPC_UNPACK_GUARD_H
#define MEERKO_IPC_UNPACK_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "contract.h" /* MK_MAX_TORRENTS */

/* The largest Status and FileList the broker takes (one row per torrent it
 * added, at most MK_MAX_TORRENTS: contract.h; files of one torrent). */
#define MK_MAX_FILES 100000
/* Observations in one ExitReport (the engine sends at most 32). */
#define MK_MAX_EXIT_SEEN 64

/* 64 MiB per unpack. Measured (tests/unit/test_unpack_guard.c prints it):
 * a 100000-file FileList that fills a whole 16 MiB frame peaks at 34.5 MB,
 * 100000 one-byte paths at 19.6 MB, 64 full TorrentStatus rows at 0.3 MB.
 * So every legitimate message fits with more than 1.5x to spare, and an
 * attack costs the broker at most this plus the 16 MiB frame. */
#define MK_UNPACK_BUDGET (64u << 20)
/* Counted per block on top of its size: glibc's chunk header, roughly. */
#define MK_UNPACK_BLOCK_OVERHEAD 16u

/* NULL when buf may be unpacked, else why not (a constant string). */
const char *mk_e2b_prescan(const uint8_t *buf, size_t len);

struct mk_unpack_budget {
	ProtobufCAllocator alloc;   /* pass &b->alloc to protobuf-c */
	size_t limit;               /* live bytes allowed */
	size_t live;                /* live bytes now */
	size_t peak;                /* most live bytes seen */
	int exhausted;              /* an allocation was refused */
};

void mk_unpack_budget_init(struct mk_unpack_budget *b, size_t limit);
/* Frees blocks of any budget (no accounting): for *_free_unpacked. */
extern ProtobufCAllocator mk_unpack_free_allocator;

#endif
