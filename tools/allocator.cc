// jemalloc's configuration, read from this symbol at start-up (MALLOC_CONF in the
// environment still overrides it). Transparent huge pages turn the ~20k page faults
// of a 140 MB put (memtable arenas, chunk buffers, write batches) into ~4k and cut
// its time by a sixth on this VM, where faults are expensive; two arenas match the
// two busy threads of a put pipeline and keep resident memory lower. Freed pages
// are kept 30 s before they go back to the kernel (default 10 s, purged bit by bit):
// an ingest frees and reallocates gigabytes of parse buffers within seconds, and
// re-faulting them doubled its system time. A server still returns idle memory.
#ifdef STRATA_JEMALLOC
extern "C" {
// NOLINTNEXTLINE: jemalloc looks this name up.
const char* malloc_conf =
    "thp:always,metadata_thp:auto,narenas:2,dirty_decay_ms:30000,muzzy_decay_ms:30000";
}
#endif
