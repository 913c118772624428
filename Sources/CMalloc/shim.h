// glibc's malloc tuning (mallopt), which Swift's Glibc module does not expose. Only the c360
// executable's MemoryArenas.swift imports it.
#include <malloc.h>
