import C360Model

/// Erasure from the console: a confirmation naming the customer, then the receipt.
enum ErasePages {
    static func confirm(_ layout: PageLayout, customerID: String, name: String, csrfToken: String, error: String? = nil) -> HTML {
        let path = "/customers/" + FormFields.encode(customerID)
        let who = name == customerID || name.isEmpty ? customerID : "\(name) (\(customerID))"
        return layout.render(title: "Erase \(customerID)", """
            <h1>Erase \(who)?</h1>
            \(error.map { message -> HTML in "<p class=\"alert\" role=\"alert\">\(message)</p>" } ?? "")
            <div class="card">
            <p>Erasure removes every event, identity and figure of <strong>\(who)</strong> from c360 for good (the GDPR right to \
            erasure). What stays is a tombstone holding a keyed hash of the customer id, so that the erasure can be proven, and \
            no personal data. It cannot be undone.</p>
            <form method="post" action="\(path)/erase">
            <input type="hidden" name="csrf" value="\(csrfToken)">
            <input type="hidden" name="customer_id" value="\(customerID)">
            <p><label for="erase-reference">The erasure request's reference (kept in the tombstone)\
            <input id="erase-reference" name="request_id" maxlength="128" autocomplete="off" placeholder="for example DSR-2026-0142"></label></p>
            <p class="pager"><button class="danger" type="submit">Erase \(customerID) permanently</button>\
            <a class="button quiet" href="\(path)">Cancel</a></p>
            </form>
            </div>
            """)
    }

    static func receipt(_ layout: PageLayout, customerID: String, receipt: C360_V1_EraseReceipt) -> HTML {
        let rows: [(String, String, String)] = [
            ("Tombstone at log position", "tombstone.seq", "\(receipt.tombstone.seq)"),
            ("Customer hash (HMAC-SHA256)", "tombstone.customer_hash", receipt.tombstone.customerHash),
            ("Request reference", "tombstone.request_id", receipt.tombstone.requestID.isEmpty ? "—" : receipt.tombstone.requestID),
            ("Erased at", "tombstone.erased_at", Display.time(receipt.tombstone.erasedAt)),
            ("Events removed", "events_removed", "\(receipt.eventsRemoved)"),
            ("Identities removed", "identities_removed", "\(receipt.identitiesRemoved)"),
            ("Duplicate-check entries removed", "dedup_entries_removed", "\(receipt.dedupEntriesRemoved)"),
            ("Projection removed", "projection_removed", receipt.projectionRemoved ? "yes" : "no"),
            ("Snapshot entries removed", "snapshot_entries_removed", "\(receipt.snapshotEntriesRemoved)"),
            ("Files searched for personal data", "files_verified", "\(receipt.filesVerified)"),
            ("Files still holding personal data", "files_with_personal_data", "\(receipt.filesWithPersonalData)"),
        ]
        let facts: [HTML] = rows.map { label, field, value in "<dt>\(label)</dt><dd data-field=\"\(field)\">\(value)</dd>" }
        let clean = receipt.filesWithPersonalData == 0
        return layout.render(title: "Erased \(customerID)", """
            <h1>\(customerID) is erased</h1>
            <p class="\(HTML(trusted: clean ? "ok" : "alert"))" role="status">\(clean
                ? "Every file of the data directory was searched afterwards: none holds the customer's personal data."
                : "Some files still hold the customer's personal data: the erasure did not finish. Try again, and tell the operator.")</p>
            <div class="card"><h2>Receipt</h2><dl class="facts" data-field="receipt">\(facts)</dl></div>
            <p>The audit log records this erasure, who asked for it and from where.</p>
            """)
    }
}
