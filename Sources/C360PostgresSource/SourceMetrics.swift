import CoreMetrics

/// A source's figures as Prometheus metrics (through swift-metrics), labelled with its name:
/// row changes applied and events refused per table, how far behind the server it is, and
/// whether it runs. The alert rules in ops/prometheus watch the lag.
struct SourceMetrics: Sendable {
    let source: String
    let lagBytes: Gauge
    let lagSeconds: Gauge
    let running: Gauge
    let snapshotRows: Counter

    init(source: String) {
        self.source = source
        lagBytes = Gauge(label: "c360_source_lag_bytes", dimensions: [("source", source)])
        lagSeconds = Gauge(label: "c360_source_lag_seconds", dimensions: [("source", source)])
        running = Gauge(label: "c360_source_running", dimensions: [("source", source)])
        snapshotRows = Counter(label: "c360_source_snapshot_rows_total", dimensions: [("source", source)])
    }

    func changesApplied(_ count: Int, table: String) {
        Counter(label: "c360_source_changes_total", dimensions: [("source", source), ("table", table)]).increment(by: count)
    }

    func eventsRefused(_ count: Int, table: String) {
        Counter(label: "c360_source_events_refused_total", dimensions: [("source", source), ("table", table)]).increment(by: count)
    }
}
