/// SplitMix64: a small, fast generator whose output depends only on its seed, on every platform,
/// so the same seed always generates the same data set.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`, computed without the platform's own algorithms so it never changes.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % span)
    }

    /// A uniform value in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    public mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    public mutating func pick<T>(_ values: [T]) -> T {
        values[int(in: 0...(values.count - 1))]
    }

    /// Picks a value with probability proportional to its weight.
    public mutating func pick<T>(weighted values: [(T, Int)]) -> T {
        let total = values.reduce(0) { $0 + $1.1 }
        var draw = int(in: 0...(total - 1))
        for (value, weight) in values {
            if draw < weight { return value }
            draw -= weight
        }
        return values[values.count - 1].0
    }
}
