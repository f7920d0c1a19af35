// The web page the canister serves at GET / (with /page.css and /page.js): the models,
// a box to try one, the answer as bars with what it cost. Static bytes (the same for
// every request, so they can be certified); everything live comes from the REST API
// (GET /models, POST /models/{name}/predict). No framework, ASCII only, no inline
// script or style (the Content-Security-Policy allows only this origin's files).

import type { RestResponse } from './rest.ts';

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>decentAI: models on chain</title>
<link rel="stylesheet" href="/page.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<script src="/page.js" defer></script>
</head>
<body>
<header>
<h1>decentAI</h1>
<p>Open-source models answering from inside an Internet Computer canister: no central API, the bytes are on chain.
API clients: <a href="/api">/api</a> lists the JSON endpoints.</p>
</header>
<main>
<section>
<h2>Models</h2>
<table id="models">
<thead><tr><th>Name</th><th>Version</th><th>Labels</th><th>Input</th><th>Size</th><th>SHA-256</th><th>Verified</th></tr></thead>
<tbody><tr><td colspan="7">loading&hellip;</td></tr></tbody>
</table>
<p class="note" id="module"></p>
<p class="note">Check a model off chain: download its bytes (the links in the SHA-256 column; files over 1 MiB come in
1 MiB parts, to join in order), then compare <code>sha256sum</code> of the file with the SHA-256 listed here, e.g.
<code>curl -s "http://HOST/models/NAME/bytes?version=V" | sha256sum</code>. The same bytes come from the Candid query
<code>read_model(name, version, offset, length)</code>.</p>
</section>
<section>
<h2>Try it</h2>
<form id="try">
<label for="model">Model</label>
<select id="model" name="model"></select>
<p class="note" id="meanings"></p>
<label for="input" id="input-label">Text</label>
<textarea id="input" name="input" rows="4" placeholder="Type a message"></textarea>
<div class="row">
<label class="switch"><input type="checkbox" id="verified"> Verified: an update call, the subnet agrees (slower)</label>
<button type="submit" id="predict">Predict</button>
</div>
</form>
<div id="answer" aria-live="polite"></div>
</section>
</main>
<noscript><p>This page needs JavaScript to call the canister; the REST API works without it (see /api).</p></noscript>
</body>
</html>
`;

export const PAGE_CSS = `:root{color-scheme:light dark;--fg:#1d2330;--bg:#f6f7fb;--card:#fff;--line:#d8dce6;--accent:#3b5bdb;--top:#2f9e44;--muted:#667085}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ee;--bg:#141821;--card:#1d2330;--line:#323a4a;--accent:#7c96ff;--top:#51cf66;--muted:#98a2b3}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{max-width:64rem;margin:0 auto;padding:0 1.25rem}
header{padding-top:1.5rem}
h1{margin:0;font-size:1.8rem;color:var(--accent)}
h2{font-size:1.15rem;margin:0 0 .75rem}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}
td{white-space:nowrap}
td:nth-child(6){white-space:normal}
code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em}
.hash{word-break:break-all}
.note{color:var(--muted);font-size:.85rem;margin:.75rem 0 0}
form{display:grid;gap:.4rem}
select,textarea,button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.45rem .6rem}
textarea{width:100%;resize:vertical}
.row{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;margin-top:.25rem}
button{background:var(--accent);color:#fff;border:0;padding:.5rem 1.4rem;font-weight:600;cursor:pointer}
button:disabled{opacity:.6;cursor:wait}
.switch{display:flex;gap:.4rem;align-items:center}
#answer{margin-top:1rem}
.prediction{margin:.5rem 0 1rem}
.bar{display:grid;grid-template-columns:9rem 1fr 5.5rem;gap:.6rem;align-items:center;margin:.3rem 0}
.track{height:1.1rem;background:var(--bg);border:1px solid var(--line);border-radius:5px;overflow:hidden}
.fill{height:100%;background:var(--accent)}
.top .fill{background:var(--top)}
.top .name{font-weight:700}
.score{text-align:right;font-variant-numeric:tabular-nums}
.cost{color:var(--muted);font-size:.9rem;margin:.25rem 0}
.error{color:#e03131;font-weight:600}
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#3b5bdb"/><path d="M4 11V5l4 3 4-3v6" fill="none" stroke="#fff" stroke-width="1.6"/></svg>
`;

// The script: plain DOM calls, text set with textContent (model names and labels are data).
export const PAGE_JS = `"use strict";
(function () {
  var models = [];
  var last = { query: null, update: null };
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function size(b) { return b < 1024 ? b + " B" : b < 1048576 ? (b / 1024).toFixed(1) + " KiB" : (b / 1048576).toFixed(2) + " MiB"; }
  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (c) { var td = el("td"); if (typeof c === "string") td.textContent = c; else td.appendChild(c); tr.appendChild(td); });
    return tr;
  }
  function showModels() {
    var body = $("models").tBodies[0];
    body.textContent = "";
    var select = $("model");
    select.textContent = "";
    if (models.length === 0) body.appendChild(row(["no model is active yet: upload one (npm run upload)"]));
    models.forEach(function (m) {
      var hash = el("span", "hash", m.sha256 + " ");
      var base = "/models/" + encodeURIComponent(m.name) + "/bytes?version=" + m.version;
      for (var part = 0, n = Math.max(1, Math.ceil(m.bytes / 1048576)); part < n; part++) {
        var a = el("a", "", n === 1 ? "bytes" : "part " + (part + 1));
        a.href = base + (part === 0 ? "" : "&offset=" + part * 1048576);
        hash.appendChild(a);
        hash.appendChild(document.createTextNode(" "));
      }
      body.appendChild(row([m.name, String(m.version), m.labels.join(", "), m.input_kind + " [" + m.input_shape.join(", ") + "]", size(m.bytes), hash, m.verified ? "yes" : "no"]));
      var o = el("option", "", m.name + " v" + m.version);
      o.value = m.name;
      select.appendChild(o);
    });
    chosen();
  }
  function model() { var n = $("model").value; return models.filter(function (m) { return m.name === n; })[0]; }
  function chosen() {
    var m = model();
    if (!m) return;
    var d = m.label_descriptions;
    $("meanings").textContent = d ? m.labels.map(function (l, i) { return l + ": " + d[i]; }).join("; ") : "";
    var vector = m.input_kind === "vector";
    $("input-label").textContent = vector ? "Numbers (" + m.input_shape.reduce(function (a, b) { return a * b; }, 1) + ", separated by commas or spaces)" : "Text";
    $("input").placeholder = vector ? "0.1, 0.5, -1.2, ..." : "Type a message, e.g. win a free prize now";
  }
  function body(m, text) {
    if (m.input_kind !== "vector") return { text: text };
    var parts = text.split(/[\\s,;\\[\\]]+/).filter(function (s) { return s.length > 0; });
    var input = parts.map(Number);
    if (input.some(function (x) { return !isFinite(x); })) throw new Error("not a list of numbers");
    return { input: input };
  }
  function show(m, answer, verified, ms) {
    var box = $("answer");
    box.textContent = "";
    answer.predictions.forEach(function (p) {
      var div = el("div", "prediction");
      m.labels.forEach(function (label) {
        var s = p.scores[label];
        var line = el("div", label === p.label ? "bar top" : "bar");
        var name = el("span", "name", label);
        if (m.label_descriptions) name.title = m.label_descriptions[m.labels.indexOf(label)];
        line.appendChild(name);
        var track = el("div", "track");
        var fill = el("div", "fill");
        fill.style.width = (Math.max(0, Math.min(1, s)) * 100).toFixed(1) + "%";
        track.appendChild(fill);
        line.appendChild(track);
        line.appendChild(el("span", "score", s.toFixed(4)));
        div.appendChild(line);
      });
      box.appendChild(div);
    });
    var asUpdate = 5000000 + answer.instructions;
    box.appendChild(el("p", "cost", num(answer.instructions) + " instructions. " + (verified
      ? "As a verified update on a 13-node subnet: 5,000,000 + 1 per instruction = " + num(asUpdate) + " cycles (plus the ingress message)."
      : "As a query it is free today; as an update it would cost " + num(asUpdate) + " cycles on a 13-node subnet.")));
    last[verified ? "update" : "query"] = ms;
    var lat = (verified ? "Verified (update)" : "Query") + " answered in " + ms.toFixed(0) + " ms";
    var other = last[verified ? "query" : "update"];
    if (other !== null) lat += "; the last " + (verified ? "query" : "verified update") + " took " + other.toFixed(0) + " ms";
    box.appendChild(el("p", "cost", lat + ". Model " + answer.model + " v" + answer.version + (answer.verified ? ", verified by the subnet." : ", answered by one node.")));
  }
  function fail(message) {
    var box = $("answer");
    box.textContent = "";
    box.appendChild(el("p", "error", message));
  }
  function predict(ev) {
    ev.preventDefault();
    var m = model();
    if (!m) return fail("no model to ask");
    var verified = $("verified").checked;
    var payload;
    try { payload = body(m, $("input").value); } catch (e) { return fail(e.message); }
    var button = $("predict");
    button.disabled = true;
    var t0 = performance.now();
    fetch("/models/" + encodeURIComponent(m.name) + "/predict" + (verified ? "?verified=true" : ""), {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error ? j.error.message : "HTTP " + r.status);
        show(m, j, verified, performance.now() - t0);
      });
    }).catch(function (e) { fail(String(e.message || e)); }).then(function () { button.disabled = false; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    $("try").addEventListener("submit", predict);
    $("model").addEventListener("change", chosen);
    fetch("/models").then(function (r) { return r.json(); }).then(function (j) {
      models = j.models;
      if (j.module_hash) $("module").textContent = "Canister wasm sha256 (as its installer stated it; the IC's read_state module_hash is the proof): " + j.module_hash;
      showModels();
    }).catch(function (e) { fail("cannot list the models: " + e.message); });
  });
})();
`;

/**
 * The page is ASCII (a test checks): one byte per character, in one plain loop. Run once,
 * when the core loads (~2,200 instructions a byte, ~20M for the three files): a query's
 * work is discarded, so bytes made on demand would be paid by every GET.
 */
function asciiBytes(s: string): Uint8Array {
  var n = s.length, out = new Uint8Array(n), i = 0;
  for (; i < n; i++) out[i] = s.charCodeAt(i);
  return out;
}

const SECURITY: [string, string][] = [
  ['content-security-policy', "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['cache-control', 'no-cache'],
];

interface Asset {
  headers: [string, string][];
  bytes: Uint8Array;
}

function asset(type: string, text: string): Asset {
  return { headers: [['content-type', type] as [string, string]].concat(SECURITY), bytes: asciiBytes(text) };
}

const HTML = asset('text/html; charset=utf-8', PAGE_HTML);
const ASSETS = new Map<string, Asset>([
  ['/', HTML],
  ['/index.html', HTML],
  ['/page.css', asset('text/css; charset=utf-8', PAGE_CSS)],
  ['/page.js', asset('text/javascript; charset=utf-8', PAGE_JS)],
  ['/favicon.svg', asset('image/svg+xml', FAVICON_SVG)],
]);

/** The page's files as served (path, headers, body): host/http-certification.ts certifies them at build time. */
export function pageAssets(): { path: string; status: number; headers: [string, string][]; body: Uint8Array }[] {
  return [...ASSETS].map(([path, a]) => ({ path, status: 200, headers: a.headers, body: a.bytes }));
}

/** Whether `res` is one of the page's files answered by pageResponse (so certified at its exact path). */
export function isPageAsset(res: RestResponse): boolean {
  return ASSET_BODIES.has(res.body);
}
const ASSET_BODIES = new Set([...ASSETS.values()].map((a) => a.bytes));

/** The page's paths. */
export const PAGE_PATHS = [...ASSETS.keys()];

/** The answer for one of the page's paths (GET or HEAD), else null. */
export function pageResponse(method: string, path: string): RestResponse | null {
  const a = ASSETS.get(path);
  if (a === undefined || (method !== 'GET' && method !== 'HEAD')) return null;
  return { status: 200, headers: a.headers, body: a.bytes, upgrade: false };
}
