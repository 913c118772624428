import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long command (ingest, replay, restore) on standard error. On a terminal, one
/// line redrawn in place: a bar, the share done, the caller's figures (the rate among them) and
/// the time left. Anywhere else (a pipe, a journal, a CI log), a plain line every five seconds,
/// since a log full of carriage returns is unreadable. Silent for the first second, so short runs
/// print nothing.
final class ProgressReporter: @unchecked Sendable {
    // @unchecked Sendable: used from the one task that runs the command.
    private let label: String
    private let started = ContinuousClock.now
    private let onTerminal: Bool
    private let interval: Duration
    private var lastPrinted: ContinuousClock.Instant?
    private var drawn = false

    init(label: String, onTerminal: Bool = ProgressReporter.standardErrorIsTerminal) {
        self.label = label
        self.onTerminal = onTerminal
        self.interval = onTerminal ? .milliseconds(200) : .seconds(5)
    }

    static var standardErrorIsTerminal: Bool {
        isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// `fraction`: the share done (0...1), if known; `text`: what to show beside it.
    func update(fraction: Double?, _ text: @autoclosure () -> String) {
        let now = ContinuousClock.now
        guard now - started >= .seconds(1), lastPrinted.map({ now - $0 >= interval }) ?? true else { return }
        lastPrinted = now
        let line = Self.line(label: label, fraction: fraction, elapsed: now - started, text: text(), bar: onTerminal)
        if onTerminal {
            // Return to the line's start and clear it, so a shorter line leaves nothing behind.
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
            drawn = true
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Seconds since the reporter was made: the command's running time, for rates.
    var elapsedSeconds: Double { Self.seconds(ContinuousClock.now - started) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Ends the bar's line on a terminal, so what follows starts on a line of its own.
    func finish() {
        if drawn {
            FileHandle.standardError.write(Data("\n".utf8))
            drawn = false
        }
    }

    /// `ingest [########............] 40% figures, 0:12 left` on a terminal;
    /// `ingest: 40% figures, about 0:12 left` otherwise.
    static func line(label: String, fraction: Double?, elapsed: Duration, text: String, bar: Bool) -> String {
        guard let fraction, fraction.isFinite else { return "\(label): \(text)" }
        let done = min(1, max(0, fraction))
        let left = done > 0 ? seconds(elapsed) * (1 - done) / done : nil
        let percent = "\(Int(done * 100))%"
        let remaining = left.map { ", \(bar ? "" : "about ")\(clock($0)) left" } ?? ""
        guard bar else { return "\(label): \(percent) \(text)\(remaining)" }
        let width = 24
        let filled = Int(done * Double(width))
        return "\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(percent) \(text)\(remaining)"
    }

    /// 75 → `1:15`; 3725 → `1:02:05`.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
