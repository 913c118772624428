import Foundation

/// Every file under `directory` holding any of `needles`, as "<relative path> holds <needle>": a
/// plain search, independent of `PersonalDataScanner`, the store's own proof of an erasure.
///
/// RocksDB deletes files while it runs (a compaction's inputs, a WAL after a flush). A file listed
/// but gone when read held data that now lives in a newer file this walk may not have listed, so
/// the search starts over rather than skip it.
func filesHoldingAny(of needles: [String], under directory: String) throws -> [String] {
    for _ in 0..<10 {
        if let found = try searchOnce(for: needles, under: directory) { return found }
    }
    throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: directory, NSLocalizedDescriptionKey: "files kept going away during 10 searches"])
}

/// One walk: what it found, or nil if a listed file was gone before it was read.
private func searchOnce(for needles: [String], under directory: String) throws -> [String]? {
    var found: [String] = []
    let walker = FileManager.default.enumerator(atPath: directory)
    while let relative = walker?.nextObject() as? String {
        let path = directory + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { continue }
        guard let bytes = try contentsIfPresent(path) else { return nil }
        for needle in needles where bytes.range(of: Data(needle.utf8)) != nil {
            found.append("\(relative) holds \(needle)")
        }
    }
    return found
}

/// The file's bytes, or nil if it does not exist (any other failure throws).
private func contentsIfPresent(_ path: String) throws -> Data? {
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
        return nil
    }
}
