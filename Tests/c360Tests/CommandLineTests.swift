import C360Store
import C360TestSupport
import Foundation
import Testing

@Suite struct CommandLineTests {
    static let exampleConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../ops/c360.example.yaml").standardized.path

    @Test("config check accepts the shipped example and refuses a mistake naming the key, exiting 1")
    func configCheck() async throws {
        try await withTemporaryDirectory { directory in
            let valid = try await C360Process.run(["config", "check", Self.exampleConfig])
            #expect(valid.status == 0, "\(valid.stderr)")
            #expect(valid.stdout.contains("valid") && valid.stdout.contains("big_spender"), "\(valid.stdout)")
            let bad = directory + "/bad.yaml"
            try "access:\n  tokens:\n    - {name: a, sha256: short, scopes: [read]}\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await C360Process.run(["config", "check", bad])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("access.tokens.0.sha256"), "\(refused.stderr)")
        }
    }

    @Test("every setting comes from the option, else the environment, else the configuration file, else the default")
    func configurationPrecedence() async throws {
        try await withTemporaryDirectory { directory in
            // Three data directories told apart by their event counts.
            for (name, events) in [("file", 100), ("environment", 200), ("option", 300)] {
                let events_file = directory + "/\(name).ndjson"
                #expect(try await C360Process.run(["generate", "--customers", "10", "--events", "\(events)", "--out", events_file]).status == 0)
                #expect(try await C360Process.run(["ingest", events_file, "--data", directory + "/" + name]).status == 0)
            }
            let config = directory + "/c360.yaml"
            try "data_directory: \(directory)/file\nserver:\n  listen: 127.0.0.1:6001\n".write(toFile: config, atomically: true, encoding: .utf8)
            let environment = ["C360_DATA_DIRECTORY": directory + "/environment"]

            let fromFile = try await C360Process.run(["stats", "--config", config])
            #expect(fromFile.stdout.contains("events:             100"), "\(fromFile.stdout)\(fromFile.stderr)")
            let fromConfigVariable = try await C360Process.run(["stats"], environment: ["C360_CONFIG": config])
            #expect(fromConfigVariable.stdout.contains("events:             100"), "\(fromConfigVariable.stdout)\(fromConfigVariable.stderr)")
            let fromEnvironment = try await C360Process.run(["stats", "--config", config], environment: environment)
            #expect(fromEnvironment.stdout.contains("events:             200"), "\(fromEnvironment.stdout)\(fromEnvironment.stderr)")
            let fromOption = try await C360Process.run(["stats", "--config", config, "--data", directory + "/option"], environment: environment)
            #expect(fromOption.stdout.contains("events:             300"), "\(fromOption.stdout)\(fromOption.stderr)")

            let check = try await C360Process.run(["config", "check", config], environment: ["C360_SERVER_LISTEN": "127.0.0.1:6002"])
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains("server.listen: set by $C360_SERVER_LISTEN"), "\(check.stdout)")
            #expect(check.stdout.contains("listen: 127.0.0.1:6002"), "\(check.stdout)")
            let refused = try await C360Process.run(["config", "check", config], environment: ["C360_ROCKSDB_BLOCK_CACHE_MB": "lots"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("rocksdb.block_cache_mb (set by $C360_ROCKSDB_BLOCK_CACHE_MB) must be a whole number"), "\(refused.stderr)")
            // A bad value stops every command, not just `config check`.
            let stopped = try await C360Process.run(["stats", "--config", config], environment: ["C360_SERVER_LOG_LEVEL": "loud"])
            #expect(stopped.status != 0)
            #expect(stopped.stderr.contains("$C360_SERVER_LOG_LEVEL"), "\(stopped.stderr)")
        }
    }

    @Test("a configuration file sets segments for ingest and `c360 segment`; a bad one is refused naming the key")
    func configAndSegments() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/demo.ndjson"
            let data = directory + "/data"
            #expect(try await C360Process.run(["generate", "--customers", "300", "--events", "6000", "--seed", "3", "--out", file]).status == 0)
            let ingest = try await C360Process.run(["ingest", file, "--data", data, "--config", Self.exampleConfig])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let members = try await C360Process.run(["segment", "big_spender", "--data", data, "--config", Self.exampleConfig])
            #expect(members.status == 0, "\(members.stderr)")
            let ids = members.stdout.split(separator: "\n").map(String.init)
            #expect(!ids.isEmpty, "a few of 300 generated customers have spent 1,000")
            for id in ids.prefix(3) {
                let profile = try await C360Process.run(["get", id, "--data", data])
                let json = try #require(try JSONSerialization.jsonObject(with: Data(profile.stdout.utf8)) as? [String: Any])
                let purchases = try #require(json["purchases"] as? [String: Any])
                let value = try #require((purchases["lifetime_value"] as? [[String: Any]])?.first?["minor_units"] as? String)
                #expect(Int(value)! >= 100_000, "\(id) is a member with a lifetime value of \(value) pence")
            }
            #expect(try await C360Process.run(["segment", "big_spender", "--data", data, "--config", Self.exampleConfig, "--limit", "2"]).stdout
                .split(separator: "\n").count == min(2, ids.count))

            let bad = directory + "/bad.yaml"
            try "profile:\n  lifecycle:\n    active_dayz: 3\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await C360Process.run(["segment", "big_spender", "--data", data, "--config", bad])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("profile.lifecycle.active_dayz"), "\(refused.stderr)")
            let unknown = try await C360Process.run(["segment", "nope", "--data", data, "--config", Self.exampleConfig])
            #expect(unknown.status != 0)
            #expect(unknown.stderr.contains("no segment nope"), "\(unknown.stderr)")
        }
    }

    @Test("validate reports violations per rule without ingesting, exiting 1; a clean generated file exits 0")
    func validate() async throws {
        try await withTemporaryDirectory { directory in
            let clean = directory + "/clean.ndjson"
            #expect(try await C360Process.run(["generate", "--customers", "20", "--events", "300", "--seed", "5", "--out", clean]).status == 0)
            let ok = try await C360Process.run(["validate", clean])
            #expect(ok.status == 0, "\(ok.stdout)")
            #expect(ok.stdout.contains("300 events checked, 0 violations"))

            let dirty = directory + "/dirty.ndjson"
            let lines = [
                #"{"event_id":"a","customer_id":"c1","occurred_at":"2026-10-01T00:00:00Z","source":"crm","customer_upserted":{"email":"nope"}}"#,
                #"{"event_id":"a","customer_id":"c1","occurred_at":"2026-10-01T00:00:00Z","source":"crm","customer_upserted":{"first_name":"A"}}"#,
            ]
            try lines.joined(separator: "\n").write(toFile: dirty, atomically: true, encoding: .utf8)
            let report = try await C360Process.run(["validate", dirty, "--format", "json"])
            #expect(report.status == 1)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            #expect(json["violations"] as? Int == 2)
            let rules = try #require(json["rules"] as? [[String: Any]])
            #expect(rules.first { $0["rule"] as? String == "bad_email" }?["count"] as? Int == 1)
            #expect(rules.first { $0["rule"] as? String == "duplicate_event_id" }?["count"] as? Int == 1)
            #expect(try await C360Process.run(["validate", directory + "/missing.ndjson"]).status == 2)
        }
    }

    @Test("ingest lets RocksDB finish the compactions its load made due: the next open finds none")
    func ingestSettlesCompactions() async throws {
        try await withTemporaryDirectory { directory in
            let data = directory + "/data"
            // Each ingest's close flushes the memtables: the fourth leaves four files in level 0 of
            // the events column family, which makes a compaction due.
            for load in 0..<4 {
                let file = directory + "/load\(load).ndjson"
                #expect(try await C360Process.run(["generate", "--customers", "50", "--events", "500", "--seed", "\(load + 1)", "--out", file]).status == 0)
                let ingest = try await C360Process.run(["ingest", file, "--data", data])
                #expect(ingest.status == 0, "\(ingest.stderr)")
            }
            let store = try EventStore(directory: data)
            defer { store.close() }
            #expect(store.storageFigures().pendingCompactionBytes == 0)
        }
    }

    @Test("generate, ingest, get, timeline, stats, erase: the operator's round trip")
    func roundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/demo.ndjson"
            let data = directory + "/data"
            #expect(try await C360Process.run(["generate", "--customers", "50", "--events", "1000", "--seed", "3", "--out", file]).status == 0)
            let ingest = try await C360Process.run(["ingest", file, "--data", data])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            #expect(ingest.stdout.contains("appended 1000, duplicates skipped 0, rejected 0"))

            let again = try await C360Process.run(["ingest", file, "--data", data])
            #expect(again.stdout.contains("appended 0, duplicates skipped 1000, rejected 0"))

            let get = try await C360Process.run(["get", "cust_7", "--data", data])
            #expect(get.status == 0)
            let profile = try JSONSerialization.jsonObject(with: Data(get.stdout.utf8)) as? [String: Any]
            #expect(profile?["customer_id"] as? String == "cust_7")
            let email = try #require((profile?["details"] as? [String: Any])?["email"] as? String)

            let byEmail = try await C360Process.run(["get", email, "--identity", "email", "--data", data])
            #expect(byEmail.stdout.contains("\"customer_id\": \"cust_7\""))

            let timeline = try await C360Process.run(["timeline", "cust_7", "--limit", "3", "--data", data])
            #expect(timeline.stdout.split(separator: "\n").count == 3)

            let stats = try await C360Process.run(["stats", "--data", data])
            #expect(stats.stdout.contains("events:             1000"))
            #expect(stats.stdout.contains("customers:          50"))

            let erase = try await C360Process.run(["erase", "cust_7", "--request-id", "DSR-7", "--data", data])
            #expect(erase.status == 0, "\(erase.stderr)")
            #expect(erase.stdout.contains("\"request_id\": \"DSR-7\""))
            let gone = try await C360Process.run(["get", "cust_7", "--data", data])
            #expect(gone.status != 0)
            #expect(gone.stderr.contains("cust_7 was erased"))

            let replay = try await C360Process.run(["replay", "--data", data])
            #expect(replay.status == 0)
            #expect(replay.stdout.contains("rebuilt projections equal the live ones"))
        }
    }

    @Test("backup, erase, restore from the command line: the restored directory keeps the customer erased")
    func backupEraseRestore() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/demo.ndjson"
            let data = directory + "/data"
            #expect(try await C360Process.run(["generate", "--customers", "20", "--events", "300", "--seed", "4", "--out", file]).status == 0)
            #expect(try await C360Process.run(["ingest", file, "--data", data]).status == 0)
            let backup = try await C360Process.run(["backup", directory + "/backups", "--data", data])
            #expect(backup.status == 0, "\(backup.stderr)")
            #expect(backup.stdout.contains("300 events"))
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory + "/backups").first { $0.hasPrefix("backup-") })
            #expect(try await C360Process.run(["erase", "cust_3", "--request-id", "DSR-3", "--data", data]).status == 0)

            let restore = try await C360Process.run(["restore", directory + "/backups/" + name, "--data", directory + "/restored"])
            #expect(restore.status == 0, "\(restore.stderr)")
            #expect(restore.stdout.contains("erasures applied from the ledger: 1"))
            let gone = try await C360Process.run(["get", "cust_3", "--data", directory + "/restored"])
            #expect(gone.stderr.contains("cust_3 was erased"))
            #expect(try await C360Process.run(["get", "cust_4", "--data", directory + "/restored"]).status == 0)

            let again = try await C360Process.run(["restore", directory + "/backups/" + name, "--data", directory + "/restored"])
            #expect(again.status != 0)
            #expect(again.stderr.contains("not empty"))
        }
    }

    @Test("ingest reports each bad line with file, line number and reason, ingests the rest and exits 1")
    func ingestBadLines() async throws {
        try await withTemporaryDirectory { directory in
            let good = #"{"event_id":"g1","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"web","web_event":{"type":"WEB_EVENT_TYPE_PAGE_VIEW"}}"#
            let lines = [good, "{oops", #"{"event_id":"g2","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"web","teleport":{}}"#, good.replacingOccurrences(of: "g1", with: "g3")]
            let file = directory + "/mixed.ndjson"
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await C360Process.run(["ingest", file, "--data", directory + "/data"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(file):2: malformed JSON"))
            #expect(result.stderr.contains("\(file):3: teleport: unknown field"))
            #expect(result.stdout.contains("appended 2, duplicates skipped 0, rejected 2"))
        }
    }

    @Test("a data directory held by another process gets a message naming it and the holder's pid")
    func lockedDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let data = directory + "/data"
            let holder = try C360Process.start(["ingest", "-", "--data", data], standardInput: .pipe)
            defer {
                try? holder.standardInput?.close()
                holder.waitForExit()
            }
            // The holder has the directory once its lock file names it.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, (try? String(contentsOfFile: data + "/c360.lock", encoding: .utf8))?.contains("\(holder.pid)") != true {
                try await Task.sleep(for: .milliseconds(50))
            }
            let result = try await C360Process.run(["stats", "--data", data])
            #expect(result.status != 0)
            #expect(result.stderr.contains("data directory \(data) is in use by another process (pid \(holder.pid))"))
        }
    }

    @Test("bad arguments get a usage error, not a crash")
    func badArguments() async throws {
        #expect(try await C360Process.run(["get"]).status != 0)
        #expect(try await C360Process.run(["timeline", "c1", "--limit", "0"]).stderr.contains("--limit must be at least 1"))
        #expect(try await C360Process.run(["get", "c1", "--as-of", "soon"]).stderr.contains("not an RFC 3339 time"))
        #expect(try await C360Process.run(["ingest", "/nonexistent/file.ndjson"]).stderr.contains("cannot read /nonexistent/file.ndjson"))
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
