// jemalloc's configuration, read from this symbol at start-up (MALLOC_CONF in the
// environment still overrides it). Transparent huge pages turn the ~20k page faults
// of a 140 MB put (memtable arenas, chunk buffers, write batches) into ~4k and cut
// its time by a sixth on this VM, where faults are expensive; two arenas match the
// two busy threads of a put pipeline and keep resident memory lower.
#ifdef STRATA_JEMALLOC
extern "C" {
// NOLINTNEXTLINE: jemalloc looks this name up.
const char* malloc_conf = "thp:always,metadata_thp:auto,narenas:2";
}
#endif
