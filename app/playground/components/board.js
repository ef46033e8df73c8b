// The decision-boundary playground's live view (components v2): every picture of a run in one element.
// Python sends a fixed layout (headings, captions, the maps' points and axes, the network's boxes and
// links) and, at every update, only what training changes: image sources by name (data-href; a
// canvas[data-atlas] of that name paints the network's node maps from it), the
// links' colour / width / dash / hover text in frame order (data-links), the nodes' hover text
// (data-ntitles) and small parts redrawn whole (data-slot). The layout is parsed again only when it
// changes (other data, another network), and nothing is touched that did not change.
// With data.click.on, a click on a map's plane (data-click) reports its plane coordinates as the
// trigger value "click" ({x, y, id}), and a dot of data.click.colour marks it until Python has applied
// it (data.click.seen is its id).
// Pointing (issue 14), answered here without the server: hovering, tapping or focusing a node of a
// network (svg[data-net]) draws that node's map large over its output map (foreignObject[data-hover-map]),
// computed from the exact weights and biases each update brings (links[uid].w, .b) on the engine's grid
// (100 x 100 cell centres, the engine's feature formulas and float32 tanh approximant), until the pointer
// leaves (a tap or click pins it until a tap elsewhere). A click on an input's square sends the trigger
// "feature"; a click on a link or a neuron opens a small editor whose Apply sends the trigger "edit".
// window.__pgHoverMs collects, per hover, the milliseconds from the pointer event's handler to the drawn map
// (window.__pgHoverInputMs: from the event's timeStamp, with the wait for the main thread).
export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const board = parentElement.querySelector(".pg-board");
  const d = data || {};
  let st = board.__pg;
  if (!st) {
    st = { layout: null, hrefs: {}, slots: {}, links: {}, ntitles: {}, n: 0, nets: {}, maps: {}, shown: null,
           pinned: false, id: Math.random().toString(36).slice(2) };
    board.__pg = st;
    listen(board, st);
    board.addEventListener("pointerdown", (e) => {
      const target = e.target.closest ? e.target.closest("[data-click]") : null;
      if (!target || !st.click || !st.click.on) return;
      e.preventDefault();
      const r = target.getBoundingClientRect();
      const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
      const x = Math.round((fx * 12 - 6) * 100) / 100, y = Math.round((6 - fy * 12) * 100) / 100;
      const svg = target.ownerSVGElement;
      const pending = svg && svg.querySelector("[data-pending]");
      if (pending && st.click.colour) {
        const w = Number(target.getAttribute("width")), h = Number(target.getAttribute("height"));
        const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
        c.setAttribute("cx", Number(target.getAttribute("x")) + fx * w);
        c.setAttribute("cy", Number(target.getAttribute("y")) + fy * h);
        c.setAttribute("r", "3.2");
        c.setAttribute("fill", st.click.colour);
        pending.appendChild(c);
      }
      st.n += 1;
      st.setTriggerValue("click", { x, y, id: `${st.id}:${st.n}` });
    });
  }
  st.setTriggerValue = setTriggerValue;
  st.click = d.click || null;
  if (st.click && st.click.seen && st.click.seen === `${st.id}:${st.n}`) {
    // Python has applied our last click: the points it draws replace the dots drawn while waiting
    for (const g of board.querySelectorAll("[data-pending]")) g.replaceChildren();
  }
  const layout = typeof d.layout === "string" ? d.layout : "";
  if (layout !== st.layout) {
    closeEditor(board);
    board.innerHTML = layout;
    st.layout = layout;
    st.hrefs = {}; st.slots = {}; st.links = {}; st.ntitles = {}; st.maps = {}; st.shown = null; st.pinned = false;
    st.nets = {};
    for (const svg of board.querySelectorAll("svg[data-net]")) {
      try { st.nets[svg.dataset.net] = JSON.parse(svg.dataset.spec); } catch (err) { /* no pointing then */ }
    }
  }
  for (const [name, uri] of Object.entries(d.hrefs || {})) {
    if (st.hrefs[name] === uri) continue;
    for (const el of board.querySelectorAll(`[data-href="${name}"]`)) el.setAttribute("href", uri);
    for (const canvas of board.querySelectorAll(`canvas[data-atlas="${name}"]`)) paintAtlas(canvas, uri);
    st.hrefs[name] = uri;
  }
  for (const [name, markup] of Object.entries(d.slots || {})) {
    if (st.slots[name] === markup) continue;
    const el = board.querySelector(`[data-slot="${name}"]`);
    if (el) el.innerHTML = markup;
    st.slots[name] = markup;
  }
  for (const [name, s] of Object.entries(d.links || {})) {
    const group = board.querySelector(`[data-links="${name}"]`);
    if (!group) continue;
    const prev = st.links[name] || { stroke: [], width: [], dash: [], title: [] };
    const paths = group.children;
    for (let i = 0; i < paths.length && i < s.stroke.length; i++) {
      const p = paths[i];
      if (prev.stroke[i] !== s.stroke[i]) p.setAttribute("stroke", s.stroke[i]);
      if (prev.width[i] !== s.width[i]) p.setAttribute("stroke-width", s.width[i]);
      if (prev.dash[i] !== s.dash[i]) {
        if (s.dash[i]) p.setAttribute("stroke-dasharray", s.dash[i]); else p.removeAttribute("stroke-dasharray");
      }
    }
    st.links[name] = s;
  }
  if (st.shown) show(board, st, st.shown.uid, st.shown.node, null);  // a node pointed at follows the training
  for (const [name, titles] of Object.entries(d.ntitles || {})) {
    const group = board.querySelector(`[data-ntitles="${name}"]`);
    if (!group) continue;
    const prev = st.ntitles[name] || [];
    const nodes = group.children;
    for (let i = 0; i < nodes.length && i < titles.length; i++) {
      if (prev[i] !== titles[i] && nodes[i].firstChild) nodes[i].firstChild.textContent = titles[i];
    }
    st.ntitles[name] = titles;
  }
}

// A network's node maps: the atlas (one tile per node, in order) decoded once and drawn at every node's box.
function paintAtlas(canvas, uri) {
  canvas.__uri = uri;
  const img = new Image();
  img.onload = () => {
    if (canvas.__uri !== uri) return;  // a newer atlas is on its way
    const xy = (canvas.dataset.tiles || "").split(",").map(Number);
    const box = Number(canvas.dataset.box), side = Number(canvas.dataset.side), s = Number(canvas.dataset.scale) || 1;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (let k = 0; 2 * k + 1 < xy.length; k++) {
      ctx.drawImage(img, k * side, 0, side, side, xy[2 * k] * s, xy[2 * k + 1] * s, box * s, box * s);
    }
  };
  img.src = uri;
}


// ---------------------------------------------------------------- pointing at the network
const RES = 100;
const LUT = (() => {  // figures.LUT: orange (-1) .. grey (0) .. blue (+1), 256 levels
  const neg = [245, 147, 34], zero = [232, 234, 235], pos = [8, 119, 189], out = new Uint8ClampedArray(768);
  for (let k = 0; k < 256; k++) {
    const t = -1 + 2 * k / 255, end = t < 0 ? neg : pos;
    for (let c = 0; c < 3; c++) out[3 * k + c] = Math.round(zero[c] + (end[c] - zero[c]) * Math.abs(t));
  }
  return out;
})();
const FEATURE = { x: (x, y) => x, y: (x, y) => y, xSquared: (x, y) => x * x, ySquared: (x, y) => y * y,
                  xTimesY: (x, y) => x * y, sinX: (x) => Math.sin(x), sinY: (x, y) => Math.sin(y) };

function activate(kind, row) {  // engine/playground/kernels.py _activate32
  const n = row.length;
  if (kind === "relu") { for (let p = 0; p < n; p++) if (row[p] < 0) row[p] = 0; }
  else if (kind === "tanh") {
    for (let p = 0; p < n; p++) {
      const x = Math.min(Math.max(row[p], -4.97), 4.97), x2 = x * x;
      row[p] = x * (135135 + x2 * (17325 + x2 * (378 + x2))) / (135135 + x2 * (62370 + x2 * (3150 + x2 * 28)));
    }
  } else if (kind === "sigmoid") { for (let p = 0; p < n; p++) row[p] = 1 / (1 + Math.exp(-row[p])); }
}

// Every node's values on the grid, layer by layer up to layer `upto`, from this update's weights (kept until
// the next update brings new ones).
function layerMaps(st, uid, upto) {
  const net = st.nets[uid], s = st.links[uid];
  if (!net || !s || !s.w || !s.b) return null;
  let c = st.maps[uid];
  if (!c || c.s !== s) c = st.maps[uid] = { s, layers: [] };
  const ids = net.ids, P = RES * RES;
  while (c.layers.length <= upto) {
    const lay = c.layers.length;
    if (lay === 0) {
      const step = 12 / RES, rows = ids[0].map(() => new Float32Array(P));
      for (let r = 0; r < RES; r++) {
        const y = -6 + step * (RES - 1 - r + 0.5);
        for (let q = 0; q < RES; q++) {
          const x = -6 + step * (q + 0.5);
          for (let i = 0; i < rows.length; i++) rows[i][r * RES + q] = FEATURE[ids[0][i]](x, y);
        }
      }
      c.layers.push(rows);
      continue;
    }
    let wOff = 0, bOff = 0;
    for (let k = 1; k < lay; k++) { wOff += ids[k - 1].length * ids[k].length; bOff += ids[k].length; }
    const prev = c.layers[lay - 1], n = ids[lay - 1].length, kind = lay === ids.length - 1 ? net.out : net.act;
    const rows = [];
    for (let j = 0; j < ids[lay].length; j++) {
      const row = new Float32Array(P).fill(s.b[bOff + j]);
      for (let i = 0; i < n; i++) {
        const w = s.w[wOff + j * n + i], src = prev[i];
        if (w !== 0) for (let p = 0; p < P; p++) row[p] += w * src[p];
      }
      activate(kind, row);
      rows.push(row);
    }
    c.layers.push(rows);
  }
  return c.layers;
}

function where(net, node) {
  for (let lay = 0; lay < net.ids.length; lay++) {
    const k = net.ids[lay].indexOf(node);
    if (k >= 0) return [lay, k];
  }
  return null;
}

// Draw node `node` of network `uid` large over its output map; `t0` the pointer event's time (recorded).
function show(board, st, uid, node, t0) {
  const net = st.nets[uid], overlay = board.querySelector(`[data-hover-map="${uid}"]`);
  const at = net && where(net, node);
  if (!overlay || !at) return;
  const layers = layerMaps(st, uid, at[0]);
  if (!layers) return;
  const values = layers[at[0]][at[1]];
  let scale = 1;
  if (at[0] === 0) {  // an input: scaled into [-1, 1] by its largest magnitude, as its square
    let top = 0;
    for (let p = 0; p < values.length; p++) top = Math.max(top, Math.abs(values[p]));
    scale = top > 0 ? 1 / top : 1;
  }
  const disc = net.disc && at[0] > 0, canvas = overlay.querySelector("canvas"), ctx = canvas.getContext("2d");
  const img = ctx.createImageData(RES, RES), px = img.data;
  for (let p = 0; p < values.length; p++) {
    let v = values[p] * scale;
    if (disc) v = v > 0 ? 1 : -1;
    let l = Math.round((v + 1) * 127.5);
    l = l < 0 ? 0 : (l > 255 ? 255 : (l === l ? l : 128));
    px[4 * p] = LUT[3 * l]; px[4 * p + 1] = LUT[3 * l + 1]; px[4 * p + 2] = LUT[3 * l + 2]; px[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  overlay.style.display = "";
  overlay.dataset.shows = node;
  const label = net.labels[net.ids.slice(0, at[0]).reduce((a, l) => a + l.length, 0) + at[1]];
  const head = board.querySelector(`[data-head="${uid}"]`);
  if (head) {
    if (head.__original === undefined) head.__original = head.innerHTML;
    head.innerHTML = `<b>${label}</b> — its output at every point of the plane (` +
      (st.pinned ? "tap elsewhere" : "move away") + " for the network's output)";
  }
  for (const g of board.querySelectorAll(`svg[data-net="${uid}"] [data-node]`)) {
    g.classList.toggle("pg-on", g.dataset.node === node);
  }
  float(board, overlay, canvas, label);
  st.shown = { uid, node };
  if (t0 !== null) (window.__pgHoverMs = window.__pgHoverMs || []).push(performance.now() - t0);
}

// When the output map is off the screen (a phone shows the network below it), the map pointed at also shows in a
// small panel fixed at the top of the window.
function float(board, overlay, canvas, label) {
  let panel = board.querySelector(".pg-float");
  const r = overlay.getBoundingClientRect();
  const seen = r.height > 0 && r.bottom > 40 && r.top < window.innerHeight - 40;
  if (seen) { if (panel) panel.style.display = "none"; return; }
  if (!panel) {
    panel = document.createElement("div");
    panel.className = "pg-float";
    panel.innerHTML = '<div class="pg-float-label"></div><canvas width="100" height="100"></canvas>';
    board.appendChild(panel);
  }
  panel.querySelector(".pg-float-label").textContent = label;
  panel.querySelector("canvas").getContext("2d").drawImage(canvas, 0, 0);
  panel.style.display = "";
}

function hide(board, st) {
  const panel = board.querySelector(".pg-float");
  if (panel) panel.style.display = "none";
  if (!st.shown) return;
  const { uid } = st.shown, overlay = board.querySelector(`[data-hover-map="${uid}"]`);
  if (overlay) { overlay.style.display = "none"; delete overlay.dataset.shows; }
  const head = board.querySelector(`[data-head="${uid}"]`);
  if (head && head.__original !== undefined) { head.innerHTML = head.__original; head.__original = undefined; }
  for (const g of board.querySelectorAll(".pg-on")) g.classList.remove("pg-on");
  st.shown = null; st.pinned = false;
}

function nodeOf(target) {
  const g = target && target.closest ? target.closest("[data-node]") : null;
  const svg = g && g.closest("svg[data-net]");
  return g && svg ? { g, uid: svg.dataset.net, node: g.dataset.node, input: g.dataset.kind === "input" } : null;
}

function linkOf(st, target) {
  const hit = target && target.closest ? target.closest("[data-hit]") : null;
  const svg = hit && hit.closest("svg[data-net]");
  if (!hit || !svg) return null;
  const uid = svg.dataset.net, net = st.nets[uid], k = Number(hit.dataset.hit);
  if (!net) return null;
  let off = 0;
  for (let lay = 0; lay + 1 < net.ids.length; lay++) {
    const n = net.ids[lay].length, size = n * net.ids[lay + 1].length;
    if (k < off + size) {
      const j = Math.floor((k - off) / n), i = (k - off) % n;
      return { hit, uid, k, src: net.ids[lay][i], dst: net.ids[lay + 1][j] };
    }
    off += size;
  }
  return null;
}

function fmt(v) { return typeof v === "number" && isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : ""; }

function labelOf(st, uid, node) {
  const net = st.nets[uid], at = net && where(net, node);
  return at ? net.labels[net.ids.slice(0, at[0]).reduce((a, l) => a + l.length, 0) + at[1]] : node;
}

function closeEditor(board) {
  const old = board.querySelector(".pg-edit");
  if (old) old.remove();
}

// The small editor of a weight (link) or a bias (neuron), beside where it was opened.
function openEditor(board, st, spec, x, y) {
  closeEditor(board);
  const box = document.createElement("div");
  box.className = "pg-edit";
  box.setAttribute("role", "dialog");
  const r = board.getBoundingClientRect();
  box.style.left = `${Math.max(0, Math.min(x - r.left + 8, r.width - 250))}px`;
  box.style.top = `${Math.max(0, y - r.top + 8)}px`;
  const title = document.createElement("div");
  title.className = "pg-edit-title";
  title.textContent = spec.label;
  const input = document.createElement("input");
  input.type = "text"; input.inputMode = "decimal"; input.value = spec.value; input.setAttribute("aria-label", spec.label);
  const apply = document.createElement("button");
  apply.type = "button"; apply.textContent = "Apply"; apply.className = "pg-edit-apply";
  const close = document.createElement("button");
  close.type = "button"; close.textContent = "Cancel"; close.className = "pg-edit-close";
  const hint = document.createElement("div");
  hint.className = "pg-edit-hint";
  hint.textContent = "A number from −1000 to 1000; the run continues from it.";
  const send = () => {
    st.n += 1;
    st.setTriggerValue("edit", { ...spec.trigger, value: input.value, id: `${st.id}:${st.n}` });
    closeEditor(board);
  };
  apply.addEventListener("click", send);
  close.addEventListener("click", () => closeEditor(board));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); send(); }
    if (e.key === "Escape") closeEditor(board);
  });
  box.append(title, input, apply, close, hint);
  board.appendChild(box);
  input.focus();
  input.select();
}

function listen(board, st) {
  board.addEventListener("pointerover", (e) => {
    const t0 = performance.now(), hit = nodeOf(e.target);
    if (hit) {
      if (!st.pinned) {
        show(board, st, hit.uid, hit.node, t0);
        // also from when the event was made (its timeStamp): adds the time it waited for the page's main thread
        (window.__pgHoverInputMs = window.__pgHoverInputMs || []).push(performance.now() - e.timeStamp);
      }
      return;
    }
    const link = linkOf(st, e.target);
    if (link) {  // the weight as a hover title (set only now: nothing per update for links nobody points at)
      const s = st.links[link.uid], w = s && s.w ? s.w[link.k] : null;
      let title = link.hit.querySelector("title");
      if (!title) { title = document.createElementNS("http://www.w3.org/2000/svg", "title"); link.hit.appendChild(title); }
      title.textContent = `${labelOf(st, link.uid, link.src)} → ${labelOf(st, link.uid, link.dst)}: weight ` +
        `${fmt(w)} (click to edit)`;
    }
  });
  board.addEventListener("pointerout", (e) => {
    const from = nodeOf(e.target), to = nodeOf(e.relatedTarget);
    if (from && !st.pinned && !(to && to.g === from.g)) hide(board, st);
  });
  board.addEventListener("focusin", (e) => {
    const hit = nodeOf(e.target);
    if (hit && !st.pinned) show(board, st, hit.uid, hit.node, performance.now());
  });
  board.addEventListener("focusout", (e) => {
    const hit = nodeOf(e.target);
    if (hit && !st.pinned && !board.querySelector(".pg-edit")) hide(board, st);
  });
  const activate = (target, x, y) => {
    const hit = nodeOf(target);
    if (hit && hit.input) {
      st.n += 1;
      st.setTriggerValue("feature", { name: hit.node, uid: hit.uid, id: `${st.id}:${st.n}` });
      return true;
    }
    if (hit) {  // a neuron: its map stays (a tap's hover), and its bias opens
      st.pinned = true;
      show(board, st, hit.uid, hit.node, null);
      const s = st.links[hit.uid], net = st.nets[hit.uid], at = where(net, hit.node);
      const k = net.ids.slice(1, at[0]).reduce((a, l) => a + l.length, 0) + at[1];
      openEditor(board, st, { label: `Bias of ${labelOf(st, hit.uid, hit.node)}`, value: fmt(s && s.b ? s.b[k] : null),
                              trigger: { uid: hit.uid, kind: "bias", node: hit.node } }, x, y);
      return true;
    }
    const link = linkOf(st, target);
    if (link) {
      const s = st.links[link.uid];
      openEditor(board, st, { label: `Weight ${labelOf(st, link.uid, link.src)} → ${labelOf(st, link.uid, link.dst)}`,
                              value: fmt(s && s.w ? s.w[link.k] : null),
                              trigger: { uid: link.uid, kind: "weight", src: link.src, dst: link.dst } }, x, y);
      return true;
    }
    return false;
  };
  board.addEventListener("click", (e) => {
    if (e.target.closest && e.target.closest(".pg-edit")) return;
    if (!activate(e.target, e.clientX, e.clientY)) { closeEditor(board); hide(board, st); }
  });
  board.addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && nodeOf(e.target)) {
      e.preventDefault();
      const r = e.target.getBoundingClientRect();
      activate(e.target, r.right, r.top);
    }
    if (e.key === "Escape") { closeEditor(board); hide(board, st); }
  });
  document.addEventListener("pointerdown", (e) => {  // a tap or click outside the view lets go of a pinned map
    if (!e.composedPath().includes(board)) { closeEditor(board); if (st.pinned) hide(board, st); }
  });
}
