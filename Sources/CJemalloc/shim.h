// jemalloc, from Debian's libjemalloc-dev, built without a prefix: linking it replaces malloc and
// free for the whole process (Swift's runtime, SwiftNIO, RocksDB, libnghttp2). Only the c360
// executable's Allocator.swift imports it.
#include <jemalloc/jemalloc.h>
