#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A malloc'd C copy of `string`, to be released with `free`.
func strdupOrEmpty(_ string: String) -> UnsafeMutablePointer<CChar> {
    strdup(string) ?? strdup("")!
}
