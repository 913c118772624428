import C360Generator
import C360HTTP2
import Testing

@Suite struct StreamTableTests {
    private func expectSame(_ table: StreamTable<Int>, _ model: [Int32: Int], ids: ClosedRange<Int32>) {
        #expect(table.count == model.count)
        #expect(table.isEmpty == model.isEmpty)
        for id in ids { #expect(table[id] == model[id], "stream \(id)") }
        var listed: [Int32: Int] = [:]
        for (id, value) in table {
            #expect(listed[id] == nil, "stream \(id) listed twice")
            listed[id] = value
        }
        #expect(listed == model)
    }

    @Test("inserts, replacements, removals and lookups agree with a Dictionary", arguments: [
        (1 as UInt64, 1...40 as ClosedRange<Int32>), (2, 1...40), (3, 1...300), (4, 1...3_000),
    ])
    func agreesWithDictionary(seed: UInt64, ids: ClosedRange<Int32>) {
        var random = SeededRandom(seed: seed)
        var table = StreamTable<Int>()
        var model: [Int32: Int] = [:]
        for step in 0..<20_000 {
            // Ids a small range apart share home slots (2k and 2k+1 always do): the probing and
            // the backward shift on removal are exercised, not only the direct hits.
            let id = Int32.random(in: ids, using: &random)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                table[id] = step
                model[id] = step
            case 5..<9:
                #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            default:
                table[id] = nil
                model[id] = nil
            }
            #expect(table[id] == model[id])
            if step % 1_000 == 0 { expectSame(table, model, ids: ids) }
        }
        expectSame(table, model, ids: ids)
    }

    @Test("a client's streams 1, 3, 5, … opened and closed as calls come and go, thousands at once")
    func clientStreams() {
        var table = StreamTable<Int32>()
        var open: [Int32] = []
        var next: Int32 = 1
        for round in 0..<50 {
            for _ in 0..<(round % 7 == 0 ? 2_000 : 60) {
                table[next] = next
                open.append(next)
                next += 2
            }
            // The oldest first, as unary calls mostly end, then one in three of the rest.
            for id in open.prefix(open.count / 2) { #expect(table.removeValue(forKey: id) == id) }
            open.removeFirst(open.count / 2)
            for id in open where id % 3 == 0 { table[id] = nil }
            open.removeAll { $0 % 3 == 0 }
            #expect(table.count == open.count)
            for id in open { #expect(table[id] == id) }
        }
        #expect(table[next] == nil)
    }

    @Test("stream 0 and negative ids are never found, and removing them changes nothing")
    func notStreams() {
        var table = StreamTable<Int>()
        table[1] = 10
        #expect(table[0] == nil)
        #expect(table[-1] == nil)
        table[0] = nil
        #expect(table.removeValue(forKey: -3) == nil)
        #expect(table.count == 1)
        #expect(table[1] == 10)
    }

    @Test("a copy is iterated unchanged while the original is emptied")
    func copyOnWrite() {
        var table = StreamTable<Int>()
        for id in stride(from: Int32(1), through: 99, by: 2) { table[id] = Int(id) }
        let copy = table
        var seen = 0
        for (id, value) in copy {
            #expect(value == Int(id))
            table[id] = nil
            seen += 1
        }
        #expect(seen == 50)
        #expect(table.isEmpty)
        #expect(copy.count == 50)
        table.removeAll()
        #expect(table.isEmpty)
        #expect(copy[99] == 99)
    }
}
