import ArgumentParser

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Print a customer's events, newest first, one JSON object per line.",
        discussion: "Example: c360 timeline cust_42 --limit 20")

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Argument(help: "The customer id.") var id: String
    @Option(help: "Most events to print.") var limit = 50
    @Option(help: "Only events before this log position (to page back).") var before: UInt64?

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let store = try dataDirectory.openStore()
        for event in try store.timeline(customerID: id, limit: limit, beforeSeq: before) {
            print(try JSONOutput.line(event))
        }
    }
}
