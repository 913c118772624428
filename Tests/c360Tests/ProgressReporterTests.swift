@testable import c360
import Testing

@Suite struct ProgressReporterTests {
    @Test("on a terminal: a bar, the share done, the figures and the time left")
    func bar() {
        let line = ProgressReporter.line(label: "ingest", fraction: 0.25, elapsed: .seconds(10), text: "1000 events/s", bar: true)
        #expect(line == "ingest [######..................] 25% 1000 events/s, 0:30 left")
    }

    @Test("elsewhere: a plain line with the share done and about the time left")
    func plain() {
        let line = ProgressReporter.line(label: "replay", fraction: 0.5, elapsed: .seconds(65), text: "5 of 10 events folded", bar: false)
        #expect(line == "replay: 50% 5 of 10 events folded, about 1:05 left")
    }

    @Test("without a known total (standard input): the figures alone")
    func unknownTotal() {
        #expect(ProgressReporter.line(label: "ingest", fraction: nil, elapsed: .seconds(3), text: "900 events/s", bar: true) == "ingest: 900 events/s")
    }

    @Test("done, past done, and nothing done yet")
    func edges() {
        #expect(ProgressReporter.line(label: "x", fraction: 1, elapsed: .seconds(4), text: "t", bar: true) == "x [########################] 100% t, 0:00 left")
        #expect(ProgressReporter.line(label: "x", fraction: 1.7, elapsed: .seconds(4), text: "t", bar: false) == "x: 100% t, about 0:00 left")
        #expect(ProgressReporter.line(label: "x", fraction: 0, elapsed: .seconds(4), text: "t", bar: false) == "x: 0% t")
    }

    @Test("the clock reads minutes and seconds, and hours when there are any")
    func clock() {
        #expect(ProgressReporter.clock(0) == "0:00")
        #expect(ProgressReporter.clock(75) == "1:15")
        #expect(ProgressReporter.clock(3725) == "1:02:05")
    }
}
