/// The console's style sheet and script, compiled into the binary: the page loads nothing from
/// anywhere else (no CDN, no web fonts), so it works on a network without the internet and the
/// Content-Security-Policy can allow only this origin.
enum ConsoleAssets {
    static let styleSheet = #"""
        :root { --ink: #1d2330; --muted: #5b6474; --line: #d9dee7; --paper: #ffffff; --wash: #f3f5f9;
          --accent: #1f5fbf; --accent-ink: #ffffff; --bad: #a4262c; --good: #1e7a3c; --bar: #3a78d8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
          color: var(--ink); background: var(--wash); }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
          outline: 3px solid #f0b400; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; top: 0; background: var(--paper); padding: 8px; }
        .skip:focus { left: 8px; z-index: 10; }
        header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 10px 20px;
          background: var(--ink); color: #fff; }
        header.top a { color: #fff; text-decoration: none; }
        header.top a:hover { text-decoration: underline; }
        .brand { font-weight: 700; font-size: 18px; letter-spacing: .5px; }
        nav.main { display: flex; gap: 16px; flex: 1; }
        .who { display: flex; gap: 10px; align-items: center; font-size: 13px; }
        .who button { background: transparent; color: #fff; border: 1px solid #8893a8; }
        main { max-width: 1180px; margin: 0 auto; padding: 18px 20px 40px; }
        h1 { font-size: 24px; margin: 6px 0 2px; }
        h2 { font-size: 17px; margin: 0 0 10px; }
        h3 { font-size: 14px; margin: 12px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
        .sub { color: var(--muted); margin: 0 0 14px; }
        .card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 0; }
        .figures div { background: var(--wash); border-radius: 6px; padding: 8px 10px; }
        .figures dt { font-size: 12px; color: var(--muted); }
        .figures dd { margin: 2px 0 0; font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        table { width: 100%; border-collapse: collapse; font-size: 14px; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .scroll { overflow-x: auto; }
        form.inline { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; }
        label { display: flex; flex-direction: column; gap: 3px; font-size: 13px; color: var(--muted); }
        fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0; padding: 6px 10px; }
        fieldset label { flex-direction: row; align-items: center; gap: 4px; color: var(--ink); }
        .kinds { display: flex; flex-wrap: wrap; gap: 4px 12px; }
        input, select { font: inherit; padding: 6px 8px; border: 1px solid #aeb6c4; border-radius: 5px; background: #fff; color: var(--ink); }
        button, .button { font: inherit; padding: 7px 14px; border-radius: 5px; border: 1px solid var(--accent);
          background: var(--accent); color: var(--accent-ink); cursor: pointer; text-decoration: none; display: inline-block; }
        button.danger, .button.danger { background: var(--bad); border-color: var(--bad); }
        .button.quiet { background: transparent; color: var(--accent); }
        .alert { border-left: 4px solid var(--bad); background: #fdf0f0; padding: 8px 12px; margin: 0 0 14px; }
        .note { border-left: 4px solid var(--accent); background: #eef4fd; padding: 8px 12px; margin: 0 0 14px; }
        .ok { border-left: 4px solid var(--good); background: #edf7f0; padding: 8px 12px; margin: 0 0 14px; }
        .badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px; background: var(--wash);
          border: 1px solid var(--line); margin: 0 4px 4px 0; }
        .badge.warn { background: #fff4e0; border-color: #e8b45a; }
        .chart { width: 100%; height: auto; display: block; }
        .chart .bar { fill: var(--bar); }
        .chart .axis { stroke: var(--line); }
        .chart .label { font-size: 11px; fill: var(--muted); }
        .chart .label.end { text-anchor: end; }
        .pager { display: flex; gap: 14px; margin-top: 10px; }
        .live { font-size: 12px; color: var(--muted); }
        ul.plain { list-style: none; padding: 0; margin: 0; }
        ul.plain li { padding: 2px 0; }
        @media (max-width: 600px) {
          main { padding: 12px 10px 30px; }
          header.top { padding: 10px; }
          .figures { grid-template-columns: repeat(2, 1fr); }
          th.wide, td.wide { display: none; }
        }
        """#

    /// The tab's icon: a ring of three arcs, c360's customer seen from every side.
    static let icon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d2330"/>        <circle cx="16" cy="16" r="9" fill="none" stroke="#3a78d8" stroke-width="4" stroke-dasharray="15 4"/></svg>
        """#

    /// Live updates: the customer page names its change stream (`data-live`); on each change the
    /// page is fetched again and its live part swapped in, so figures and timeline follow without
    /// a reload and without losing the filters in the address. Someone typing in the journey's
    /// filter form is not interrupted: the swap waits until focus leaves the form, and a focused
    /// link keeps its focus across the swap.
    static let script = #"""
        "use strict";
        (function () {
          const region = document.getElementById("live-region");
          const status = document.getElementById("live-status");
          if (!region || !region.dataset.live || !window.EventSource) return;
          let pending = false;
          let waiting = false;
          function editing() {
            const active = document.activeElement;
            return active && region.contains(active) && active.matches("input, select, textarea");
          }
          async function refresh() {
            if (pending) return;
            if (editing()) {
              if (!waiting) {
                waiting = true;
                region.addEventListener("focusout", function later() {
                  setTimeout(function () {
                    if (editing()) return;
                    region.removeEventListener("focusout", later);
                    waiting = false;
                    refresh();
                  }, 0);
                });
              }
              return;
            }
            pending = true;
            try {
              const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
              if (!response.ok) return;
              const page = new DOMParser().parseFromString(await response.text(), "text/html");
              const fresh = page.getElementById("live-region");
              if (!fresh || editing()) return;
              const active = document.activeElement;
              const href = active && region.contains(active) ? active.getAttribute("href") : null;
              region.replaceChildren(...fresh.childNodes);
              if (href) {
                const again = [...region.querySelectorAll("a[href]")].find(function (link) { return link.getAttribute("href") === href; });
                if (again) again.focus({ preventScroll: true });
              }
              if (status) status.textContent = "Updated " + new Date().toLocaleTimeString();
            } finally {
              pending = false;
            }
          }
          const source = new EventSource(region.dataset.live);
          source.addEventListener("change", refresh);
          source.addEventListener("erased", function () {
            source.close();
            if (status) status.textContent = "This customer has been erased.";
            window.location.reload();
          });
          source.onerror = function () { if (status) status.textContent = "Live updates paused; retrying…"; };
          source.onopen = function () { if (status) status.textContent = "Live: changes appear as they happen."; };
        })();
        """#
}
