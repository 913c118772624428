// Nothing to import: the module only defines jemalloc's `malloc_conf` (settings.c).
