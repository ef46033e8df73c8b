// The MoE page's live views (routing map, load, bias) in one element, and the answer to a click or tap
// on the routing map or on a digit: the router's score of every expert (bars), the experts chosen, their
// gates and each chosen expert's answer. Answered here, from data sent with each update (app/moe/probe.py):
// on a 2-D task the model's weights (this file computes what engine/moe/explain.py computes), on the digits
// each strip digit's answer. A pinned point is answered again on every update, so its bars move with training.
const EMPTY_HINT = "Click (or tap) a place on the routing map: its router scores over every expert, the experts " +
  "chosen, their gates and each chosen expert's answer appear here.";
const DIGIT_HINT = "Click (or tap) a digit above: its router scores over every expert, the experts chosen, their " +
  "gates and each chosen expert's answer appear here.";
const SNAP_PX = 7;       // a click this close to a validation point explains that point
const NEAR_DATA = 0.25;  // farther than this (plane units) from every validation point: say it is off the data

function floats(b64) {
  const text = atob(b64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function decode(raw) {
  const m = JSON.parse(raw);
  if (m.kind !== "plane") return m;
  for (const name of ["W", "b", "bias", "points"]) m[name] = floats(m[name]);
  for (const bank of [m.experts, m.shared]) {
    if (!bank) continue;
    for (const name of ["w1", "b1", "w2", "b2"]) bank[name] = floats(bank[name]);
  }
  return m;
}

function softmax(z) {
  let top = -Infinity;
  for (const v of z) top = Math.max(top, v);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function mlp(bank, e, x, D, H, C) {  // expert e of a bank on input x: D -> H (ReLU) -> C
  const hidden = new Array(H);
  for (let j = 0; j < H; j++) {
    let v = bank.b1[e * H + j];
    for (let d = 0; d < D; d++) v += x[d] * bank.w1[(e * D + d) * H + j];
    hidden[j] = v > 0 ? v : 0;
  }
  const out = new Array(C);
  for (let c = 0; c < C; c++) {
    let v = bank.b2[e * C + c];
    for (let j = 0; j < H; j++) v += hidden[j] * bank.w2[(e * H + j) * C + c];
    out[c] = v;
  }
  return out;
}

// The same computation as engine.moe.explain.explain for one input routed on its own.
function explainAt(m, x) {
  const { E, D, H, C } = m, sigmoid = m.mode === "sigmoid_topk";
  const logits = new Array(E);
  for (let e = 0; e < E; e++) {
    let v = m.b[e];
    for (let d = 0; d < D; d++) v += m.W[e * D + d] * x[d];
    logits[e] = v;
  }
  const scores = sigmoid ? logits.map((v) => 1 / (1 + Math.exp(-v))) : softmax(logits);
  const fallback = m.mode === "expert_choice_fallback";  // expert choice, one input alone: its top-k by score
  const rank = logits.map((v, e) => (sigmoid ? scores[e] : v) + (fallback ? 0 : m.bias[e]));
  const experts = [...rank.keys()].sort((a, b) => rank[b] - rank[a] || a - b).slice(0, m.k);
  let gates;
  if (sigmoid) {
    const sum = experts.reduce((a, e) => a + scores[e], 0);
    gates = experts.map((e) => scores[e] / sum);
  } else if (m.gate === "topk") {
    gates = softmax(experts.map((e) => logits[e]));
  } else {
    gates = experts.map((e) => scores[e]);
  }
  const out = new Array(C).fill(0), expertProbs = [];
  experts.forEach((e, s) => {
    const y = mlp(m.experts, e, x, D, H, C);
    expertProbs.push(softmax(y));
    for (let c = 0; c < C; c++) out[c] += gates[s] * y[c];
  });
  for (let s = 0; s < m.S; s++) {
    const y = mlp(m.shared, s, x, D, H, C);
    for (let c = 0; c < C; c++) out[c] += y[c];
  }
  return { scores, experts, gates, expert_probs: expertProbs, probs: softmax(out), sigmoid };
}

function pct(v) { return (100 * v).toFixed(1) + "%"; }
function argmax(a) { let best = 0; a.forEach((v, i) => { if (v > a[best]) best = i; }); return best; }

function classBars(probs, colours) {
  return '<span class="mp-classes" title="class probabilities">' + probs.map((p, c) =>
    `<span style="height:${Math.max(1, Math.round(p * 100))}%;background:${colours[c % colours.length]}" ` +
    `title="class ${c}: ${pct(p)}"></span>`).join("") + "</span>";
}

function panel(m, a, title, note) {
  const colours = m.expert_colors, classes = m.class_colors;
  const what = a.sigmoid ? "affinity (sigmoid, each expert on its own)" : "probability (softmax over every expert)";
  let html = `<p class="mp-title">${title}<button type="button" class="mp-clear" aria-label="Clear">×</button></p>`;
  html += `<p class="mp-hint">Router ${what}; ● chosen, with its gate.</p><div class="mp-bars">`;
  for (let e = 0; e < a.scores.length; e++) {
    const s = a.experts.indexOf(e), chosen = s >= 0;
    html += `<div class="mp-row" data-expert="${e}" data-score="${a.scores[e].toPrecision(8)}" ` +
      `data-chosen="${chosen ? 1 : 0}"${chosen ? ` data-gate="${a.gates[s].toPrecision(8)}"` : ""}>` +
      `<span class="mp-name">E${e}</span><span class="mp-track"><span class="mp-fill" style="width:` +
      `${(100 * Math.min(1, a.scores[e])).toFixed(2)}%;background:${colours[e % colours.length]}"></span></span>` +
      `<span class="mp-val">${pct(a.scores[e])}</span><span class="mp-gate">${chosen ? "gate " + a.gates[s].toFixed(2) : ""}` +
      "</span></div>";
  }
  html += '</div><div class="mp-experts">';
  a.experts.forEach((e, s) => {
    const p = a.expert_probs[s], c = argmax(p);
    html += `<div class="mp-expert" data-expert="${e}" data-answer="${c}">${classBars(p, classes)}` +
      `<span><b style="color:${colours[e % colours.length]}">E${e}</b> (gate ${a.gates[s].toFixed(2)}) answers class ` +
      `${c} (${pct(p[c])})</span></div>`;
  });
  const c = argmax(a.probs);
  html += `</div><p class="mp-out mp-expert" data-answer="${c}">${classBars(a.probs, classes)}` +
    `<span>The model answers class ${c} (${pct(a.probs[c])})</span></p>`;
  if (note) html += `<p class="mp-note">${note}</p>`;
  return html;
}

function nearest(m, x, y) {  // index and distance (plane units) of the validation point nearest (x, y)
  let best = -1, dist = Infinity;
  for (let i = 0; i < m.labels.length; i++) {
    const dx = m.points[2 * i] - x, dy = m.points[2 * i + 1] - y, d = dx * dx + dy * dy;
    if (d < dist) { dist = d; best = i; }
  }
  return { index: best, dist: Math.sqrt(dist) };
}

function fmt(v) { return (v >= 0 ? "" : "−") + Math.abs(v).toFixed(2); }

function render(box, s) {
  const probe = box.querySelector(".moe-probe");
  const m = s.model, p = s.pinned;
  if (probe && m) probe.setAttribute("data-step", String(m.step));
  for (const old of box.querySelectorAll(".mp-marker")) old.remove();
  for (const img of box.querySelectorAll('.moe-digit-strip img[data-picked="1"]')) img.removeAttribute("data-picked");
  if (!probe || !m) return;
  const hint = m.kind === "plane" ? EMPTY_HINT : DIGIT_HINT;
  if (!p) {
    probe.setAttribute("data-state", "empty");
    probe.innerHTML = `<p class="mp-hint">${hint}</p>`;
    return;
  }
  if (p.kind === "outside") {
    probe.setAttribute("data-state", "outside");
    probe.innerHTML = '<p class="mp-note">That is outside the map: nothing to route there. Click or tap inside ' +
      "the picture (the plane it shows).</p>";
    return;
  }
  if (p.kind === "sample" && m.kind === "samples") {
    const d = m.samples[p.index];
    if (!d) { s.pinned = null; return render(box, s); }
    const img = box.querySelector(`.moe-digit-strip img[data-index="${p.index}"]`);
    if (img) img.setAttribute("data-picked", "1");
    probe.setAttribute("data-state", "sample");
    probe.setAttribute("data-index", String(p.index));
    probe.setAttribute("data-row", String(d.row));
    const a = { scores: d.scores, experts: d.experts, gates: d.gates, expert_probs: d.expert_probs, probs: d.probs,
      sigmoid: m.mode === "sigmoid_topk" };
    probe.innerHTML = panel(m, a, `<b>Validation digit ${d.row}</b> (a ${d.label}), step ${m.step}`, "");
    return;
  }
  if (p.kind !== "plane" || m.kind !== "plane") { s.pinned = null; return render(box, s); }
  const a = explainAt(m, [p.x, p.y]);
  const [x0, x1, y0, y1] = m.bounds;
  const near = nearest(m, p.x, p.y);
  let title = `<b>Point (${fmt(p.x)}, ${fmt(p.y)})</b>, step ${m.step}`;
  if (p.point !== null) title = `<b>Validation point ${p.point}</b> (class ${m.labels[p.point]}) at ` +
    `(${fmt(p.x)}, ${fmt(p.y)}), step ${m.step}`;
  const note = near.dist > NEAR_DATA ? "No data near here: the router and the experts never trained on this " +
    "place, so their answer is an extrapolation." : "";
  probe.setAttribute("data-state", "point");
  probe.setAttribute("data-x", String(p.x));
  probe.setAttribute("data-y", String(p.y));
  probe.innerHTML = panel(m, a, title, note);
  const figure = box.querySelector(".moe-routing figure");
  if (figure) {
    const dot = document.createElement("span");
    dot.className = "mp-marker";
    dot.style.left = `${(100 * (p.x - x0) / (x1 - x0)).toFixed(3)}%`;
    dot.style.top = `${(100 * (y1 - p.y) / (y1 - y0)).toFixed(3)}%`;
    figure.appendChild(dot);
  }
}

function pick(event, box, s) {
  const m = s.model, t = event.target;
  if (!m || !t || !t.closest) return false;
  if (t.closest(".mp-clear")) { s.pinned = null; return true; }
  const digit = t.closest(".moe-digit-strip img");
  if (digit) { s.pinned = { kind: "sample", index: Number(digit.getAttribute("data-index")) }; return true; }
  const map = t.closest(".moe-routing figure img");
  if (map && m.kind === "plane") return pickOnMap(event, map.getBoundingClientRect(), s);
  if (t.closest(".moe-routing") && !t.closest(".moe-probe")) { s.pinned = { kind: "outside" }; return true; }
  return false;
}

// A press at (clientX, clientY) on the routing map whose box on screen is r.
function pickOnMap(event, r, s) {
  const m = s.model;
  const u = (event.clientX - r.left) / r.width, v = (event.clientY - r.top) / r.height;
  if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) { s.pinned = { kind: "outside" }; return true; }
  const [x0, x1, y0, y1] = m.bounds;
  let x = x0 + u * (x1 - x0), y = y1 - v * (y1 - y0), point = null;
  const near = nearest(m, x, y), perPx = (x1 - x0) / r.width;
  if (near.index >= 0 && near.dist <= SNAP_PX * perPx) {
    point = near.index; x = m.points[2 * point]; y = m.points[2 * point + 1];
  }
  s.pinned = { kind: "plane", x, y, point };
  return true;
}

// Answer a press: pick what it points at, draw the answer, time it.
function answer(event, box, s, picked) {
  const started = performance.now();
  if (!picked()) return;
  try {
    render(box, s);
  } catch (err) {
    s.pinned = null;
    const probe = box.querySelector(".moe-probe");
    if (probe) probe.innerHTML = `<p class="mp-note">Could not explain that place (${String(err)}).</p>`;
  }
  const ms = performance.now() - started;
  (window.__moeProbeMs = window.__moeProbeMs || []).push(ms);
  // and from the event's own time stamp (adds any wait for the page's main thread: bench/moe_click.py)
  (window.__moeProbeSinceEventMs = window.__moeProbeSinceEventMs || []).push(performance.now() - event.timeStamp);
  box.setAttribute("data-answer-ms", ms.toFixed(3));
}

// While it plays, Streamlit redraws the element between two tasks; a press that arrives at that moment hits
// nothing (its target is the page itself) and would be lost (bench/moe_click.py: 12 of 60 presses while
// playing). The page then answers it here, if it fell where the routing map was last drawn.
function installFallback() {
  if (window.__moeFallback) return;
  window.__moeFallback = true;
  document.addEventListener("pointerdown", (event) => {
    const live = window.__moeLive;
    if (event.button !== 0 || !live || !live.s.mapRect || live.s.model?.kind !== "plane") return;
    const t = event.target;
    if (t !== document.documentElement && t !== document.body) return;
    const rect = live.s.mapRect;  // where it was at the last update: it keeps its place while the run plays
    const u = (event.clientX - rect.left) / rect.width, v = (event.clientY - rect.top) / rect.height;
    if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) return;
    answer(event, live.box, live.s, () => pickOnMap(event, rect, live.s));
  }, true);
}

// Where the routing map is on the screen, for the fallback above.
function rememberMap(box, s) {
  const img = box.querySelector(".moe-routing figure img");
  const r = img && img.getBoundingClientRect();
  if (r && r.width > 0) s.mapRect = { left: r.left, top: r.top, width: r.width, height: r.height };
}

export default function (component) {
  const { parentElement, data } = component;
  const box = parentElement.querySelector(".moe-live");
  const markup = data && typeof data.svg === "string" ? data.svg : "";
  const raw = data && typeof data.probe === "string" ? data.probe : "";
  let s = box.__moe;
  if (!s) {
    s = box.__moe = { markup: null, raw: null, model: null, pinned: null };
    // On the press, not the click: during Play an update may replace the picture between press and release,
    // and a click whose press target left the page never fires (bench/moe_click.py lost 12 of 60 that way).
    box.addEventListener("pointerdown", (event) => {
      if (event.button === 0) answer(event, box, s, () => pick(event, box, s));
      rememberMap(box, s);
    });
  }
  installFallback();
  window.__moeLive = { box, s };
  if (s.raw !== raw) {
    s.raw = raw;
    try {
      const model = raw ? decode(raw) : null;
      if (s.model && model && s.model.kind !== model.kind) s.pinned = null;
      s.model = model;
    } catch (err) {
      s.model = null;
    }
  }
  if (s.markup !== markup) {
    box.innerHTML = markup;
    s.markup = markup;
  }
  render(box, s);
  rememberMap(box, s);
}
