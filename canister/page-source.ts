// The web page's source (GET /, /page.css, /page.js, /favicon.svg): the models, a box to
// try one (text; numbers with the shape checked; an image drawn or uploaded, scaled to the
// input's shape), an embedding model's vector, a collection's search, each answer with what
// it cost. ASCII only, no framework, no inline script or style (the Content-Security-Policy
// allows only this origin's files). The canister does not carry this text: host/page-build.ts
// gzips it into canister/page.generated.ts at build time (page.ts serves those bytes), so the
// canister's code stays small (every byte of it costs instructions at init).

import { CYCLES_PER_INSTRUCTION_13, INGRESS_BYTE_FEE_13, INGRESS_MESSAGE_FEE_13, LARGE_SUBNET_NODES, SUBNET_NODES, UPDATE_BASE_FEE_13 } from './cycles.ts';

/** The cycle prices the page's script computes with: the one source (canister/cycles.ts), written in at build time. */
export const PAGE_PRICES = {
  base: UPDATE_BASE_FEE_13,
  perInstruction: CYCLES_PER_INSTRUCTION_13,
  ingress: INGRESS_MESSAGE_FEE_13,
  perByte: INGRESS_BYTE_FEE_13,
  nodes: SUBNET_NODES,
  largeNodes: LARGE_SUBNET_NODES,
};

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
<div id="image" hidden>
<p class="note">Draw with the mouse or a finger (white on black, as MNIST digits are), or upload a picture: it is scaled to the model's input, shown on the right as the model gets it.</p>
<div class="image-row">
<canvas id="draw" width="224" height="224"></canvas>
<div class="tools">
<input type="file" id="upload" accept="image/*">
<label>Values <select id="range"><option value="1">0 to 1</option><option value="255">0 to 255</option><option value="-1">-1 to 1</option></select></label>
<label class="switch"><input type="checkbox" id="invert"> Invert (dark on light)</label>
<button type="button" id="clear" class="plain">Clear</button>
<canvas id="preview" width="28" height="28"></canvas>
</div>
</div>
</div>
<div id="fields"></div>
<p class="note" id="check"></p>
<div class="row">
<label class="switch"><input type="checkbox" id="verified"> Verified: an update call, the subnet agrees (slower)</label>
<button type="submit" id="predict">Predict</button>
</div>
</form>
<div id="answer" aria-live="polite"></div>
</section>
<section id="search-section" hidden>
<h2>Search a collection</h2>
<form id="search">
<label for="collection">Collection</label>
<select id="collection"></select>
<label for="query">Text</label>
<input id="query" type="text" placeholder="what to look for, e.g. a cat on a mat">
<div class="row">
<label>Top <input id="k" type="number" min="1" max="100" value="5"> items</label>
<label class="switch"><input type="checkbox" id="search-verified"> Verified (update)</label>
<button type="submit" id="search-button">Search</button>
</div>
</form>
<div id="hits" aria-live="polite"></div>
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
input[type=text],input[type=number]{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.45rem .6rem}
input[type=number]{width:4.5rem}
.field{display:grid;gap:.3rem;margin:.3rem 0}
.image-row{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
#draw{width:224px;height:224px;border:1px solid var(--line);border-radius:6px;touch-action:none;cursor:crosshair;background:#000}
.tools{display:grid;gap:.5rem;justify-items:start}
#preview{width:84px;height:84px;image-rendering:pixelated;border:1px solid var(--line)}
button.plain{background:var(--bg);color:inherit;border:1px solid var(--line);padding:.35rem 1rem;font-weight:400}
.vector{display:flex;align-items:center;height:3.5rem;gap:1px;margin:.5rem 0;border:1px solid var(--line);border-radius:5px;padding:0 2px}
.vector span{flex:1;min-height:1px;background:var(--accent)}
.vector span.n{background:#e8590c}
.values{width:100%;font-family:ui-monospace,monospace;font-size:.8rem}
.hit{margin:.6rem 0}
.hit .text{margin:.1rem 0 0 .2rem}
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#3b5bdb"/><path d="M4 11V5l4 3 4-3v6" fill="none" stroke="#fff" stroke-width="1.6"/></svg>
`;

// The script: plain DOM calls, text set with textContent (model names, labels and items are data).
// PRICES is written in from canister/cycles.ts (the bench's constants) when the page is built.
export const PAGE_JS = `"use strict";
(function () {
  var PRICES = ${JSON.stringify(PAGE_PRICES)};
  var models = [], collections = [];
  var last = { query: null, update: null };
  var image = null, drawn = false, pen = null;
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function size(b) { return b < 1024 ? b + " B" : b < 1048576 ? (b / 1024).toFixed(1) + " KiB" : (b / 1048576).toFixed(2) + " MiB"; }
  function prod(s) { return s.reduce(function (a, b) { return a * b; }, 1); }
  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (c) { var td = el("td"); if (typeof c === "string") td.textContent = c; else td.appendChild(c); tr.appendChild(td); });
    return tr;
  }
  function specs(m) { return m.inputs && m.inputs.length ? m.inputs : [{ name: "input", shape: m.input_shape }]; }
  function isText(m) { return m.input_kind === "tokens"; }
  function isEmbedding(m) { return m.output_kind === "embedding"; }
  function dims(m) { return m.outputs && m.outputs.length ? prod(m.outputs[0].shape) : m.labels.length; }
  function imageOf(m) {
    var s = specs(m);
    if (isText(m) || s.length !== 1) return null;
    var sh = s[0].shape;
    if (sh.length === 3 && (sh[2] === 1 || sh[2] === 3) && sh[0] >= 8 && sh[1] >= 8 && sh[0] * sh[1] <= 1048576) return { h: sh[0], w: sh[1], c: sh[2], shape: sh };
    if (sh.length === 2 && sh[0] >= 8 && sh[1] >= 8 && sh[0] * sh[1] <= 1048576) return { h: sh[0], w: sh[1], c: 1, shape: sh };
    return null;
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
      var input = specs(m).map(function (s) { return (specs(m).length > 1 ? s.name + " " : "") + "[" + s.shape.join(", ") + "]"; }).join(", ");
      body.appendChild(row([m.name, String(m.version), isEmbedding(m) ? "embedding, " + dims(m) + " dims" : m.labels.join(", "), (isText(m) ? "text, tokens " : m.input_kind + " ") + input, size(m.bytes), hash, m.verified ? "yes" : "no"]));
      var o = el("option", "", m.name + " v" + m.version);
      o.value = m.name;
      select.appendChild(o);
    });
    chosen();
  }
  function model() { var n = $("model").value; return models.filter(function (m) { return m.name === n; })[0]; }
  function field(i, label, placeholder) {
    var id = i === 0 ? "input" : "input-" + i;
    var d = el("div", "field"), l = el("label", "", label), t = el("textarea");
    l.htmlFor = id;
    t.id = id;
    t.rows = 4;
    t.placeholder = placeholder;
    t.addEventListener("input", function () { drawn = false; check(); });
    d.appendChild(l);
    d.appendChild(t);
    return d;
  }
  function chosen() {
    var m = model();
    if (!m) return;
    var d = m.label_descriptions;
    $("meanings").textContent = isEmbedding(m) ? "An embedding model: a text becomes a vector of " + dims(m) + " numbers (unit length); similar texts get close vectors." : d ? m.labels.map(function (l, i) { return l + ": " + d[i]; }).join("; ") : "";
    $("predict").textContent = isEmbedding(m) ? "Embed" : "Predict";
    var box = $("fields");
    box.textContent = "";
    if (isText(m)) box.appendChild(field(0, isEmbedding(m) ? "Text to embed" : "Text", isEmbedding(m) ? "e.g. a cat sat on the mat" : "Type a message, e.g. win a free prize now"));
    else specs(m).forEach(function (s, i) {
      box.appendChild(field(i, "Numbers" + (specs(m).length > 1 ? " for " + s.name : "") + ": shape [" + s.shape.join(", ") + "], " + num(prod(s.shape)) + " values (commas, spaces or nested brackets)", "0.1, 0.5, -1.2, ..."));
    });
    image = imageOf(m);
    $("image").hidden = !image;
    if (image) clear();
    check();
    var c = collections.filter(function (c) { return c.model === m.name; })[0];
    if (c) $("collection").value = c.name;
  }
  function numbers(text) {
    return text.split(/[\\s,;\\[\\]]+/).filter(function (s) { return s.length > 0; }).map(Number);
  }
  function check() {
    var m = model(), out = $("check");
    if (!m || isText(m)) { out.textContent = ""; return; }
    if (image && drawn) { out.textContent = "Input: the image, scaled to [" + image.shape.join(", ") + "] (" + num(prod(image.shape)) + " values, " + $("range").selectedOptions[0].textContent + ")."; return; }
    out.textContent = specs(m).map(function (s, i) {
      var n = numbers($(i === 0 ? "input" : "input-" + i).value).length, want = prod(s.shape);
      return s.name + ": " + num(n) + " of " + num(want) + " numbers" + (n === want ? ", shape [" + s.shape.join(", ") + "] complete" : "");
    }).join("; ") + ".";
  }
  function clear() {
    var c = $("draw"), g = c.getContext("2d");
    g.fillStyle = "#000";
    g.fillRect(0, 0, c.width, c.height);
    drawn = false;
    if (image) { $("preview").width = image.w; $("preview").height = image.h; preview(); }
    check();
  }
  function at(e) {
    var c = $("draw"), r = c.getBoundingClientRect();
    return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height];
  }
  function stroke(p) {
    var g = $("draw").getContext("2d");
    g.strokeStyle = "#fff";
    g.lineWidth = $("draw").width / 11;
    g.lineCap = "round";
    g.lineJoin = "round";
    g.beginPath();
    g.moveTo(pen[0], pen[1]);
    g.lineTo(p[0], p[1]);
    g.stroke();
    pen = p;
  }
  function done() { if (pen) { pen = null; drawn = true; preview(); check(); } }
  function upload() {
    var f = $("upload").files[0];
    if (!f) return;
    createImageBitmap(f).then(function (b) {
      var c = $("draw"), g = c.getContext("2d"), k = Math.min(c.width / b.width, c.height / b.height);
      g.fillStyle = "#000";
      g.fillRect(0, 0, c.width, c.height);
      g.drawImage(b, (c.width - b.width * k) / 2, (c.height - b.height * k) / 2, b.width * k, b.height * k);
      drawn = true;
      preview();
      check();
    }).catch(function () { fail("cannot read that file as an image"); });
  }
  function scaled() {
    var t = document.createElement("canvas");
    t.width = image.w;
    t.height = image.h;
    var g = t.getContext("2d");
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = "high";
    g.drawImage($("draw"), 0, 0, image.w, image.h);
    var d = g.getImageData(0, 0, image.w, image.h);
    if ($("invert").checked) for (var i = 0; i < d.data.length; i++) if (i % 4 !== 3) d.data[i] = 255 - d.data[i];
    return d;
  }
  function preview() { $("preview").getContext("2d").putImageData(scaled(), 0, 0); }
  function pixels() {
    var d = scaled().data, n = image.w * image.h, c = image.c, range = Number($("range").value), out = new Float32Array(n * c);
    for (var i = 0; i < n; i++) for (var k = 0; k < c; k++) {
      var v = c === 1 ? 0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2] : d[4 * i + k];
      out[i * c + k] = range === 255 ? v : range === 1 ? v / 255 : v / 127.5 - 1;
    }
    return out;
  }
  function request(m) {
    if (isText(m)) return { json: { text: $("input").value } };
    if (image && drawn) return { raw: pixels(), query: "dtype=float32&shape=" + image.shape.join(",") };
    var s = specs(m), values = s.map(function (sp, i) {
      var v = numbers($(i === 0 ? "input" : "input-" + i).value), want = prod(sp.shape);
      if (v.some(function (x) { return !isFinite(x); })) throw new Error(sp.name + ": not a list of numbers");
      if (v.length !== want) throw new Error(sp.name + ": " + num(v.length) + " numbers given; the model takes shape [" + sp.shape.join(", ") + "], " + num(want) + " values");
      return v;
    });
    if (s.length === 1) return { json: { input: values[0], shape: s[0].shape } };
    var inputs = {};
    s.forEach(function (sp, i) { inputs[sp.name] = { shape: sp.shape, values: values[i] }; });
    return { json: { inputs: inputs } };
  }
  function send(path, req, verified) {
    var q = [];
    if (req.query) q.push(req.query);
    if (verified) q.push("verified=true");
    var body = req.raw ? req.raw : JSON.stringify(req.json);
    var bytes = req.raw ? req.raw.byteLength : new TextEncoder().encode(body).length, t0 = performance.now();
    return fetch(path + (q.length ? "?" + q.join("&") : ""), {
      method: "POST", headers: { "content-type": req.raw ? "application/octet-stream" : "application/json" }, body: body
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error ? j.error.message : "HTTP " + r.status);
        // A model too heavy for a query is answered by an update even unasked: the answer says which.
        return { answer: j, ms: performance.now() - t0, bytes: bytes, verified: j.verified === true || verified };
      });
    });
  }
  function cost(box, res) {
    var a = res.answer, exec = PRICES.base + PRICES.perInstruction * a.instructions, ingress = PRICES.ingress + PRICES.perByte * res.bytes;
    var large = Math.round((exec + ingress) * PRICES.largeNodes / PRICES.nodes);
    box.appendChild(el("p", "cost", num(a.instructions) + " instructions. " + (res.verified
      ? "As a verified update on a " + PRICES.nodes + "-node subnet: "
      : "As a query it is free today; as an update on a " + PRICES.nodes + "-node subnet it would cost ") +
      num(exec) + " cycles (" + num(PRICES.base) + " + " + PRICES.perInstruction + " per instruction), plus " + num(ingress) +
      " for receiving its " + num(res.bytes) + "-byte request (" + num(PRICES.ingress) + " + " + num(PRICES.perByte) + " per byte); " +
      num(large) + " in all on a " + PRICES.largeNodes + "-node subnet."));
  }
  function latency(box, res) {
    var v = res.verified, a = res.answer;
    last[v ? "update" : "query"] = res.ms;
    var lat = (v ? "Verified (update)" : "Query") + " answered in " + res.ms.toFixed(0) + " ms";
    var other = last[v ? "query" : "update"];
    if (other !== null) lat += "; the last " + (v ? "query" : "verified update") + " took " + other.toFixed(0) + " ms";
    box.appendChild(el("p", "cost", lat + ". Model " + a.model + " v" + a.version + (a.verified ? ", verified by the subnet." : ", answered by one node.")));
  }
  function bar(name, score, top, title) {
    var line = el("div", top ? "bar top" : "bar"), n = el("span", "name", name), track = el("div", "track"), fill = el("div", "fill");
    if (title) n.title = title;
    fill.style.width = (Math.max(0, Math.min(1, score)) * 100).toFixed(1) + "%";
    track.appendChild(fill);
    line.appendChild(n);
    line.appendChild(track);
    line.appendChild(el("span", "score", score.toFixed(4)));
    return line;
  }
  function showScores(m, res) {
    var box = $("answer");
    box.textContent = "";
    res.answer.predictions.forEach(function (p) {
      var div = el("div", "prediction"), labels = m.labels.slice();
      if (labels.length > 10) {
        labels.sort(function (a, b) { return p.scores[b] - p.scores[a]; });
        labels = labels.slice(0, 10);
        div.appendChild(el("p", "note", "The 10 highest of " + m.labels.length + " scores:"));
      }
      labels.forEach(function (label) {
        div.appendChild(bar(label, p.scores[label], label === p.label, m.label_descriptions ? m.label_descriptions[m.labels.indexOf(label)] : ""));
      });
      box.appendChild(div);
    });
    cost(box, res);
    latency(box, res);
  }
  function showVector(res) {
    var box = $("answer"), v = res.answer.vectors[0], top = 0, norm = 0;
    box.textContent = "";
    v.forEach(function (x) { top = Math.max(top, Math.abs(x)); norm += x * x; });
    box.appendChild(el("p", "", res.answer.dims + " dims, length " + Math.sqrt(norm).toFixed(4) + " (orange: negative):"));
    var strip = el("div", "vector");
    v.forEach(function (x) {
      var d = el("span", x < 0 ? "n" : "");
      d.style.height = (top > 0 ? Math.abs(x) / top * 100 : 0).toFixed(1) + "%";
      d.title = x.toFixed(6);
      strip.appendChild(d);
    });
    box.appendChild(strip);
    var t = el("textarea", "values");
    t.id = "vector";
    t.rows = 3;
    t.readOnly = true;
    t.value = JSON.stringify(v);
    box.appendChild(t);
    cost(box, res);
    latency(box, res);
  }
  function fail(message, where) {
    var box = $(where || "answer");
    box.textContent = "";
    box.appendChild(el("p", "error", message));
  }
  function predict(ev) {
    ev.preventDefault();
    var m = model();
    if (!m) return fail("no model to ask");
    var req;
    try { req = request(m); } catch (e) { return fail(e.message); }
    var button = $("predict");
    button.disabled = true;
    send("/models/" + encodeURIComponent(m.name) + (isEmbedding(m) ? "/embed" : "/predict"), req, $("verified").checked).then(function (res) {
      if (isEmbedding(m)) showVector(res); else showScores(m, res);
    }).catch(function (e) { fail(String(e.message || e)); }).then(function () { button.disabled = false; });
  }
  function showCollections() {
    var select = $("collection");
    select.textContent = "";
    collections.forEach(function (c) {
      var o = el("option", "", c.name + " (" + c.model + ", " + c.dims + " dims, " + num(c.count) + " items)");
      o.value = c.name;
      select.appendChild(o);
    });
    $("search-section").hidden = collections.length === 0;
    if (models.length) chosen();
  }
  function search(ev) {
    ev.preventDefault();
    var name = $("collection").value, k = Number($("k").value) || 5, button = $("search-button");
    button.disabled = true;
    send("/collections/" + encodeURIComponent(name) + "/search", { json: { text: $("query").value, k: k } }, $("search-verified").checked).then(function (res) {
      var box = $("hits");
      box.textContent = "";
      if (res.answer.hits.length === 0) box.appendChild(el("p", "note", "The collection holds no items."));
      res.answer.hits.forEach(function (h, i) {
        var d = el("div", "hit");
        d.appendChild(bar(h.id, h.score, i === 0, ""));
        d.appendChild(el("p", "text", (h.text === null ? "(a given vector, no text)" : h.text) + (h.metadata === null ? "" : "  " + JSON.stringify(h.metadata))));
        box.appendChild(d);
      });
      box.appendChild(el("p", "note", "Cosine similarity of each item to the text, the top " + res.answer.hits.length + " of the collection, by model " + res.answer.model + "."));
      cost(box, res);
    }).catch(function (e) { fail(String(e.message || e), "hits"); }).then(function () { button.disabled = false; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    $("try").addEventListener("submit", predict);
    $("search").addEventListener("submit", search);
    $("model").addEventListener("change", chosen);
    $("clear").addEventListener("click", clear);
    $("upload").addEventListener("change", upload);
    $("range").addEventListener("change", check);
    $("invert").addEventListener("change", function () { preview(); check(); });
    var c = $("draw");
    c.addEventListener("pointerdown", function (e) { c.setPointerCapture(e.pointerId); pen = at(e); stroke(at(e)); });
    c.addEventListener("pointermove", function (e) { if (pen) stroke(at(e)); });
    c.addEventListener("pointerup", done);
    c.addEventListener("pointercancel", done);
    fetch("/models").then(function (r) { return r.json(); }).then(function (j) {
      models = j.models;
      if (j.module_hash) $("module").textContent = "Canister wasm sha256 (as its installer stated it; the IC's read_state module_hash is the proof): " + j.module_hash;
      showModels();
    }).catch(function (e) { fail("cannot list the models: " + e.message); });
    fetch("/collections").then(function (r) { return r.ok ? r.json() : { collections: [] }; }).then(function (j) {
      collections = j.collections;
      showCollections();
    }).catch(function () {});
  });
})();
`;
