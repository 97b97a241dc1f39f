/*
 * wire.h — the raw capture format shared by every probe and the importer.
 *
 * One capture file per traced thread: <dir>/<pid>-<tid>.ltr.  The file is a
 * 4096-byte control page (struct lt_file_header) followed by a data region of
 * 32-bit little-endian words, grown in chunks of LT_CHUNK_WORDS words.  The
 * data region is written through a MAP_SHARED mapping, so whatever a traced
 * program wrote before it was killed is in the page cache and survives it.
 *
 * Record layout: word 0 is the record header,
 *     bits  0..7   kind   (enum lt_kind; 0 never starts a record)
 *     bits  8..15  aux    (kind-specific small value)
 *     bits 16..31  words  (record length in words, header included, >= 1)
 * followed by words-1 payload words.  Writers store the payload first and the
 * header word last, then advance the cursor, so a reader that stops at the
 * first zero header word sees a consistent prefix even after SIGKILL.
 * A record never straddles a chunk: the tail of a chunk too short for the
 * next record is covered by an LT_PAD record (or left zero when it is a
 * single word; readers skip to the next chunk when a zero word lies in the
 * last word of a chunk).
 *
 * While a program runs, each thread writes into a ring instead: the same
 * control page followed by up to LT_RING_SLOTS chunk slots (ring_slots), in
 * <pid>-<tid>.ring (on tmpfs).  The writer uses the first ring_first_slots
 * of them and doubles that (a "growth") only when the slot the next chunk
 * would take still holds a chunk the recorder has not drained into the
 * flat .ltr file (ring_written / ring_drained below): a thread the recorder
 * keeps up with writes 8 MiB of ring over and over, not 32 (a page's first
 * write is the expensive one, and the pages stay the thread's).  Which slot
 * holds chunk k is lt_ring_slot() below, for the writer and the recorder
 * alike.  Reusing a few hot pages keeps page faults off the traced thread;
 * the ring file outlives a killed program, and the recorder drains what it
 * holds up to the cursor.
 * The writer reserves the ring's pages (fallocate) before it maps them; when
 * that fails it tries fewer slots, a ring on disk (LOOPTRACE_RING_SPILL),
 * then a ring of no slot at all (the control page alone).
 *
 * Loss: when no slot is free (the recorder is behind, gone, or the ring has
 * no slot), the writer does not stall the program (beyond a short wait,
 * LOOPTRACE_WAIT_MS, or as long as the recorder lives with
 * LOOPTRACE_LOSSLESS=1): it writes into a private scratch chunk, counts the
 * records it held by kind into the control page's struct lt_loss whenever
 * it fills or the program exits, and goes back to the ring once a slot is
 * free.  While LT_FILE_DROPPING is set the cursor points into that scratch
 * chunk, not into the ring.  Dropped string or stack records make later
 * records refer to ids that never appear (the agent forgets its ids after
 * a gap, so only records between the gap and the next definition do).
 *
 * Timestamps are CLOCK_MONOTONIC nanoseconds.  "ts64" below means two words,
 * low then high.  "coarse" means a 32-bit microsecond clock (monotonic ns /
 * 1000, truncated to 32 bits) read by the Node agent from a value refreshed
 * every LT_COARSE_PERIOD_US; the importer widens it against the full
 * timestamps around it.  Identifiers (string, stack, async and promise ids)
 * are local to one file.
 */
#ifndef LOOPTRACE_WIRE_H
#define LOOPTRACE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LT_MAGIC "LTRACE\x01\x00"
#define LT_WIRE_VERSION 4u
#define LT_HEADER_BYTES 4096u
#define LT_CHUNK_WORDS (1u << 20) /* 4 MiB per chunk */
#define LT_COARSE_PERIOD_US 1000u
#define LT_MAX_RECORD_WORDS 0xffffu
#define LT_RING_SLOTS 8u /* at most; a ring may have fewer (ring_slots) */
#define LT_RING_FIRST_SLOTS 2u /* slots a ring starts with (ring_first_slots) */
#define LT_RING_GROWTHS 3u /* doublings at most: 1 -> 2 -> 4 -> 8 */
#define LT_LOSS_GAPS 8u

/* Word index of the shared cursor in the control page, as seen by JS through
 * an Int32Array over the page.  Keep in sync with probes/agent/agent.js. */
#define LT_CURSOR_WORD 16

struct lt_file_header {
	char magic[8];          /* LT_MAGIC */
	uint32_t version;       /* LT_WIRE_VERSION */
	uint32_t header_bytes;  /* LT_HEADER_BYTES */
	uint32_t chunk_words;   /* LT_CHUNK_WORDS */
	int32_t pid;
	int32_t tid;
	int32_t ppid;
	uint64_t start_ns;      /* CLOCK_MONOTONIC when the file was created */
	uint64_t start_realtime_ns;
	uint32_t flags;         /* enum lt_file_flags */
	uint32_t reserved0[3];
	int32_t cursor;         /* next free word in the data region (word LT_CURSOR_WORD) */
	int32_t parent_tid;     /* thread that created this thread, 0 if unknown */
	uint32_t ring_written;  /* ring: chunks the writer has finished */
	uint32_t ring_drained;  /* ring: chunks the recorder has copied out */
	uint32_t ring_slots;    /* ring: chunk slots (<= LT_RING_SLOTS, may be 0); 0 in a flat file */
	uint32_t ring_first_slots; /* ring: slots in use from chunk 0 (0: all ring_slots); 0 in a flat file */
	uint32_t ring_grown;    /* ring: growths published so far (<= LT_RING_GROWTHS); 0 in a flat file */
	uint32_t ring_grow_chunk[LT_RING_GROWTHS]; /* ring: the chunk from which growth i holds */
	uint32_t reserved[6];
	struct lt_loss {        /* what the writer dropped (byte 128 on) */
		uint64_t events;        /* records dropped (pads excluded) */
		uint64_t words;         /* their size in words */
		uint64_t first_ns;      /* when the first gap began (CLOCK_MONOTONIC) */
		uint64_t last_ns;       /* when the last gap ended (or was last seen) */
		uint32_t gaps;          /* gaps (stretches of dropped records) */
		uint32_t reasons;       /* enum lt_loss_reason bits */
		uint64_t by_kind[32];   /* records dropped per enum lt_kind (0: unknown) */
		struct lt_gap {         /* the first LT_LOSS_GAPS - 1 gaps; the last slot
		                           absorbs every later one */
			uint64_t begin_ns, end_ns, events;
		} gap[LT_LOSS_GAPS];
	} loss;
};

/* The slot (< capacity; 0 when capacity is 0) that holds chunk `chunk` of
 * a ring whose control page is h and which has `capacity` slots.  Chunks
 * start in the first ring_first_slots slots (chunk k in slot k mod that);
 * growth i, from chunk g = h->ring_grow_chunk[i] on, doubles the slots in
 * use (at most to capacity) from n to 2n and puts chunk k >= g in slot
 * (k - g + n) mod 2n: the new slots first, then round again.  The writer
 * grows only when the next chunk's slot still holds an undrained chunk,
 * and it publishes ring_grow_chunk[i] before ring_grown (release); a
 * reader loads ring_grown (acquire) after the cursor or ring_written that
 * told it of the chunk.  Whatever the page holds (a damaged or hostile
 * ring), the result is below capacity. */
static inline uint32_t lt_ring_slot(const struct lt_file_header *h, uint32_t capacity, uint32_t chunk)
{
	if (capacity == 0)
		return 0;
	uint32_t used = h->ring_first_slots;
	if (used == 0 || used > capacity)
		used = capacity;
	uint32_t grown = __atomic_load_n(&h->ring_grown, __ATOMIC_ACQUIRE);
	uint32_t base_chunk = 0, base_slot = 0;
	for (uint32_t i = 0; i < grown && i < LT_RING_GROWTHS; i++) {
		uint32_t from = __atomic_load_n(&h->ring_grow_chunk[i], __ATOMIC_RELAXED);
		if (chunk < from || from < base_chunk || used >= capacity)
			break;
		base_chunk = from;
		base_slot = used;
		used = used * 2 < capacity ? used * 2 : capacity;
	}
	return (uint32_t)(((uint64_t)(chunk - base_chunk) + base_slot) % used);
}

enum lt_loss_reason {
	LT_LOSS_BEHIND = 1u << 0,   /* the recorder did not free a slot in time */
	LT_LOSS_NO_RING = 1u << 1,  /* no space for a ring: the log has no slot */
	LT_LOSS_RECORDER = 1u << 2, /* the recorder was gone */
};

enum lt_file_flags {
	LT_FILE_MAIN_THREAD = 1u << 0, /* tid == pid */
	LT_FILE_CLOSED = 1u << 1,      /* the process exited normally */
	LT_FILE_LOST = 1u << 2,        /* the writer dropped records (see struct lt_loss) */
	LT_FILE_DROPPING = 1u << 3,    /* ring: the cursor is in the writer's scratch chunk */
	LT_FILE_ON_DISK = 1u << 4,     /* ring: placed on disk, /dev/shm had no room */
};

enum lt_kind {
	LT_PAD = 1,           /* filler to the end of a chunk */
	LT_STRING = 2,        /* id, nbytes, bytes (UTF-8, zero-padded to a word) */
	LT_PROC_START = 3,    /* ts64, argv string id (NUL-separated args) */
	LT_POLL_ENTER = 4,    /* ts64, timeout ms (int32) */
	LT_POLL_EXIT = 5,     /* ts64, ready events or -errno (int32) */
	LT_OUTPUT = 6,        /* aux fd (bit 7: continued); ts64, nbytes, bytes */
	LT_FORK = 7,          /* ts64, child pid */
	LT_EXEC = 8,          /* ts64, path string id: an exec attempt; aux LT_EXEC_FAILED:
	                         the attempt just before returned (errno in word 3) */
	LT_THREAD_CREATE = 9, /* ts64 */
	LT_JS_START = 10,     /* ts64 (base of "rel64" agent-relative times), thread id,
	                         main script string id, [worker name string id, 0 none] */
	LT_EXIT_EMIT = 11,    /* aux 0 'beforeExit' 1 'exit'; rel64, exit code */
	LT_EXIT_DONE = 12,    /* rel64, 0 — the process.emit that LT_EXIT_EMIT opened returned */
	LT_MAIN_END = 13,     /* rel64 — the main module's evaluation returned */

	LT_P_INIT = 16,       /* promise id, parent promise id, coarse; aux 1: then a stack id */
	LT_P_SETTLE = 17,     /* promise id, coarse */
	LT_P_BEFORE = 18,     /* promise id, coarse: a reaction of it starts */
	LT_P_AFTER = 19,      /* promise id, coarse */

	LT_R_INIT = 20,       /* async id, trigger async id, type string id, stack id,
	                         rel64 (ns since LT_JS_START), timer delay ms (int32, -1),
	                         callback name string id, 0; aux bit0: unref'd,
	                         bit1: a repeating timer (setInterval), bit2: the
	                         time is the coarse clock (one word, then 0) */
	LT_R_BEFORE = 21,     /* async id, rel64; aux bit0: handle is closing,
	                         bit1: the time is the coarse clock (one word, then 0) */
	LT_R_AFTER = 22,      /* async id, rel64; aux bit1 as for LT_R_BEFORE */
	LT_R_DESTROY = 23,    /* async id, rel64 (aux bit1 as for LT_R_BEFORE): a libuv
	                         handle's close() was called, or a live timer or immediate
	                         was cleared (clearTimeout/clearInterval/clearImmediate,
	                         its close() or [Symbol.dispose]()) */
	LT_R_REF = 24,        /* async id; aux: 1 ref'd, 0 unref'd — at each ref()/unref()
	                         call and for every live handle at exit */
	LT_REJECT = 25,       /* aux enum lt_reject_kind; promise id, reason string id
	                         ("Name: message"), stack id of the detection point (for
	                         an unhandled rejection of a promise made by then/catch:
	                         one frame, where the handler given to it is defined),
	                         rel64, ordinal (1, 2, ... per thread) */
	LT_STACK = 26,        /* stack id, nframes, then per frame:
	                         function string id, file string id, line, column;
	                         a column of LT_FRAME_NATIVE: a machine-code frame,
	                         file the module's path, line the address in it
	                         (relative to its load bias), resolved at import */
	LT_REJECT_DETAIL = 27,/* ordinal of an LT_REJECT, string id of the reason's full
	                         stack — written at exit, once Node has printed it, since
	                         reading err.stack earlier changes Node's crash report */
	LT_BLOCKING = 28,     /* aux enum lt_blocking_call; ts64 begin, ns (uint32, capped):
	                         a libc call on a traced thread that blocked >= 1 ms */
	LT_SAMPLE = 29,       /* ts64 (absolute), stack id, busy ns (uint32, capped): the JS
	                         stack sampled while the thread had been busy (out of
	                         epoll) that long; written after the fact, so its place in
	                         the stream is not its time (probes/agent/watchdog.cc);
	                         then, optional, on-CPU ns and run-queue ns of the thread
	                         in that busy period (uint32, 0xffffffff unknown) */
	LT_SAMPLING = 30,     /* aux enum lt_sampling; Node ABI (process.versions.modules),
	                         threshold ms: written once per JS thread after LT_JS_START */
	LT_WORK = 31,         /* aux enum lt_pool_work; ts64 submitted (absolute), queue
	                         wait ns, run ns (uint32, capped; 0xffffffff: not seen),
	                         submitted -> done callback ns (capped), resource id:
	                         a threadpool request of a libuv program, written on
	                         the loop's thread as its done callback begins */
	LT_KIND_MAX
};
#ifndef __cplusplus
_Static_assert(LT_KIND_MAX <= 32, "struct lt_loss counts kinds below 32");
#endif

#define LT_EXEC_FAILED 1u
#define LT_WORK_UNSEEN 0xffffffffu

/* LT_WORK: what a threadpool request was (the values of probes/bpf/loop.h's
 * enum lt_bpf_work, so that both captures count alike) */
enum lt_pool_work {
	LT_POOL_FS = 1,     /* uv_fs_* */
	LT_POOL_QUEUE = 2,  /* uv_queue_work */
	LT_POOL_DNS = 3,    /* uv_getaddrinfo, uv_getnameinfo */
	LT_POOL_RANDOM = 4, /* uv_random */
	LT_POOL_KINDS
};
#define LT_FRAME_NATIVE 0xffffffffu /* LT_STACK: the frame is an address (uv_* interposers) */
/* LT_R_INIT's callback name of a native callback: this byte, the address in
 * its module (relative to the load bias) in hex, a space, the module path;
 * named from the module's symbols at import. */
#define LT_NATIVE_CALLBACK '\x01'

enum lt_sampling {
	LT_SAMPLING_ON = 1,
	LT_SAMPLING_OFF = 2,          /* LOOPTRACE_SAMPLE_MS=0 */
	LT_SAMPLING_UNAVAILABLE = 3,  /* no watchdog module for this Node ABI */
};

enum lt_reject_kind {
	LT_REJECT_UNHANDLED = 0,
	LT_REJECT_HANDLED_LATE = 1,
	LT_REJECT_UNCAUGHT_EXCEPTION = 2,
};

enum lt_blocking_call {
	LT_CALL_READ = 1,
	LT_CALL_WRITE = 2,
	LT_CALL_FSYNC = 3,
	LT_CALL_SLEEP = 4,
	LT_CALL_WAIT = 5, /* waitpid & co */
	LT_CALL_OPEN = 6,
	LT_CALL_GC = 7,   /* a V8 garbage collection (eBPF attach) */
};

static inline uint32_t lt_record_header(unsigned kind, unsigned aux, unsigned words)
{
	return (uint32_t)kind | ((uint32_t)aux << 8) | ((uint32_t)words << 16);
}

static inline unsigned lt_record_kind(uint32_t h) { return h & 0xffu; }
static inline unsigned lt_record_aux(uint32_t h) { return (h >> 8) & 0xffu; }
static inline unsigned lt_record_words(uint32_t h) { return h >> 16; }
/* A 64-bit value (a time in ns) stored as two words, low word first. */
static inline uint64_t lt_ts64(const uint32_t *w) { return (uint64_t)w[0] | ((uint64_t)w[1] << 32); }

/* Records that later ones refer to (strings, stacks, process, thread and JS
 * starts, sampling state, exec, fork): whoever drops events (a flight
 * window, an import window) keeps these. */
static inline int lt_record_defines(unsigned kind)
{
	switch (kind) {
	case LT_STRING:
	case LT_STACK:
	case LT_PROC_START:
	case LT_JS_START:
	case LT_SAMPLING:
	case LT_EXEC:
	case LT_FORK:
	case LT_THREAD_CREATE:
		return 1;
	default:
		return 0;
	}
}

/* The identity every capture file's control page starts with: the layout
 * (version, header and chunk sizes), the thread (pid, tid, ppid, the
 * main-thread flag) and when it began (CLOCK_MONOTONIC and wall clock).
 * The magic, the cursor and the ring fields are the writer's to set. */
static inline void lt_file_header_init(struct lt_file_header *h, int32_t pid, int32_t tid, int32_t ppid,
				       uint64_t start_ns, uint64_t start_realtime_ns)
{
	h->version = LT_WIRE_VERSION;
	h->header_bytes = LT_HEADER_BYTES;
	h->chunk_words = LT_CHUNK_WORDS;
	h->pid = pid;
	h->tid = tid;
	h->ppid = ppid;
	h->start_ns = start_ns;
	h->start_realtime_ns = start_realtime_ns;
	h->flags = pid == tid ? (uint32_t)LT_FILE_MAIN_THREAD : 0u;
}

/* Count the records in the first `words` words of a chunk (the writer's
 * scratch chunk, or one the drain could not write) as lost: each one but
 * padding into by_kind (kinds from 32 on at 0), stopping at the first zero
 * or empty header.  Returns how many; *walked gets the words they take. */
static inline uint64_t lt_count_records(const uint32_t *p, size_t words, uint64_t by_kind[32], size_t *walked)
{
	size_t i = 0;
	uint64_t n = 0;
	while (i < words) {
		uint32_t h = p[i];
		unsigned k = lt_record_kind(h), w = lt_record_words(h);
		if (h == 0 || w == 0)
			break;
		if (k != LT_PAD) {
			by_kind[k < 32 ? k : 0]++;
			n++;
		}
		i += w;
	}
	*walked = i;
	return n;
}

#endif
