import C360Core
import Testing

/// Where an event's day goes among the day buckets kept: the decision `updateDay` and the wire
/// fold share, over every case of the newest day and the window.
@Suite struct DayPlacementTests {
    @Test("placement by the event's day, the last bucket's day and the days kept", arguments: [
        // (day, last bucket's day, days kept, placement)
        (100, nil, 90, ProjectionFold.DayPlacement.appended),
        (100, nil, 1, .appended),
        (100, nil, 0, .dropped),
        (100, 100, 90, .last),
        (100, 100, 0, .last),
        (101, 100, 90, .appended),
        (190, 100, 90, .appended),
        (99, 100, 90, .elsewhere),
        (11, 100, 90, .elsewhere),
        (10, 100, 90, .dropped),
        (99, 100, 1, .dropped),
        (101, 100, 0, .dropped),
    ] as [(Int32, Int32?, Int, ProjectionFold.DayPlacement)])
    func placement(day: Int32, lastDay: Int32?, kept: Int, expected: ProjectionFold.DayPlacement) {
        var fold = ProjectionFold()
        fold.dayBucketsKept = kept
        #expect(fold.placement(ofDay: day, lastDay: lastDay) == expected)
    }

    @Test("the oldest day kept counts the newest as the first of the days kept")
    func oldestDayKept() {
        var fold = ProjectionFold()
        #expect(fold.oldestDayKept(newest: 100) == 11)
        fold.dayBucketsKept = 1
        #expect(fold.oldestDayKept(newest: 100) == 100)
    }
}
