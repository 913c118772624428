public import C360Core
import Foundation

/// Reads a file (or standard input, `-`) in 1 MiB chunks and hands over its lines without their
/// newline, numbered from 1, so that a file of any size is read in bounded memory.
public struct LineReader {
    public let file: String

    public init(file: String) {
        self.file = file
    }

    /// - Throws: `C360Error` `.io` when the file cannot be opened or read; what `body` throws, which ends the reading.
    public func forEachLine(_ body: (_ line: ArraySlice<UInt8>, _ number: UInt64) async throws(C360Error) -> Void) async throws(C360Error) {
        let handle: FileHandle
        if file == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: file) else {
                throw C360Error(.io, "cannot open \(file): \(String(cString: strerror(errno)))")
            }
            handle = opened
        }
        defer { if file != "-" { try? handle.close() } }
        var carry: [UInt8] = []
        var number: UInt64 = 0
        let newline = UInt8(ascii: "\n")
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw C360Error(.io, "cannot read \(file): \(error)")
            }
            guard let chunk, !chunk.isEmpty else {
                if !carry.isEmpty {
                    number += 1
                    try await body(carry[...], number)
                }
                return
            }
            var data = carry
            data.append(contentsOf: chunk)
            var lineStart = 0
            while let lineEnd = data[lineStart...].firstIndex(of: newline) {
                number += 1
                try await body(data[lineStart..<lineEnd], number)
                lineStart = lineEnd + 1
            }
            carry = Array(data[lineStart...])
        }
    }
}
