#ifndef C360_CROCKSDB_SHIM_H
#define C360_CROCKSDB_SHIM_H
#include <rocksdb/c.h>
#endif
