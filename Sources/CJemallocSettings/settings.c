// jemalloc's settings for the c360 executable, read once when jemalloc starts (before main).
// MALLOC_CONF in the environment still overrides them.
//
// One arena: the writer stages a commit while a second thread writes the one before it
// (LogWriter), so what one thread allocates another frees, and with jemalloc's default of four
// arenas a core each, freed memory stayed resident in arenas the next allocations did not use
// (bulk ingest of 2,000,000 events over 100,000 customers peaked 45-75 MiB higher; with one
// arena, 10 MiB: README, step 82). Each thread's cache of small allocations still spares most
// allocations the arena's lock.
const char *malloc_conf = "narenas:1";
