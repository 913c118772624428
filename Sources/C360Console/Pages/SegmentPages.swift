import C360Core

/// The configured segments with their member counts, and one segment's members a page at a time.
enum SegmentPages {
    static let membersPerPage: Int32 = 50

    static func list(_ layout: PageLayout, segments: [(segment: Segment, members: UInt64)], evaluatedDay: String) -> HTML {
        let rows: [HTML] = segments.map { entry in
            """
            <tr><td><a href="/segments/\(FormFields.encode(entry.segment.name))">\(entry.segment.name)</a></td>\
            <td>\(entry.segment.description)</td>\
            <td><code>\(entry.segment.conditions.map(\.description).joined(separator: " and "))</code></td>\
            <td class="num" data-segment="\(entry.segment.name)">\(Display.count(Int64(entry.members)))</td></tr>
            """
        }
        return layout.render(title: "Segments", """
            <h1>Segments</h1>
            <p class="sub">Membership as of the end of \(evaluatedDay) (UTC), kept current as events arrive.</p>
            <div class="card scroll">
            \(rows.isEmpty ? "<p>No segments are configured (the configuration's <code>segments</code> section).</p>" as HTML : """
            <table><thead><tr><th scope="col">Segment</th><th scope="col">Description</th><th scope="col">Conditions</th><th scope="col" class="num">Members</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """)
            </div>
            """)
    }

    static func members(_ layout: PageLayout, segment: Segment, count: UInt64, customerIDs: [String], nextPage: String, isFirstPage: Bool) -> HTML {
        let path = "/segments/" + FormFields.encode(segment.name)
        let items: [HTML] = customerIDs.map { "<li><a href=\"/customers/\(FormFields.encode($0))\">\($0)</a></li>" }
        let first: HTML = isFirstPage ? "" : "<a href=\"\(path)\">First page</a>"
        let next: HTML = nextPage.isEmpty ? "" : "<a href=\"\(path)?page=\(FormFields.encode(nextPage))\" rel=\"next\">Next page</a>"
        return layout.render(title: "Segment \(segment.name)", """
            <h1>Segment \(segment.name)</h1>
            <p class="sub">\(segment.description.isEmpty ? "" : "\(segment.description) · ")\(Display.count(Int64(count))) members · \
            <code>\(segment.conditions.map(\.description).joined(separator: " and "))</code></p>
            <div class="card">
            \(items.isEmpty ? "<p>No members.</p>" as HTML : "<ul class=\"plain\" data-field=\"members\">\(items)</ul>")
            <nav class="pager" aria-label="Member pages">\(first)\(next)</nav>
            </div>
            """)
    }
}
