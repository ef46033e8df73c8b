// The network view (components v2): the digit CNN's layers left to right, conv and pooling maps as
// tiles of units, dense layers as columns of nodes. Pointing at a unit (or tapping it) draws its
// incoming connections (red: positive weight, blue: negative, width ∝ |w|) and fills the box with its
// receptive field, its filter, the largest products w·x, the bias, the activation and the output.
//
// Python hands over a drawing's activations (one zlib-compressed float32 array) with each drawing,
// and the model's weights once per model through network_weights.js (a registry on the window, by
// the model's tag). Every sum is computed here, in float64 from the model's float32 numbers: a
// pointer move never goes to the server. window.__hoverMs collects, for each hover that changes the
// unit, the time from the handler's start to the updated links and box; window.__hoverSinceEventMs the
// time since the event's own time stamp, which adds Chromium's wait for the next frame before it
// dispatches a pointer move (bench/digits_hover.py reads both).

const ACTIVATIONS = {
  relu: (z) => Math.max(z, 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
};
const ACT_LABELS = { relu: "ReLU", tanh: "tanh", sigmoid: "σ", gelu: "GELU" };
const TITLES = { input: "Input", conv1: "Convolution 1", pool1: "Downsampling 1", conv2: "Convolution 2",
  pool2: "Downsampling 2", fc1: "Fully-connected 1", fc2: "Fully-connected 2", output: "Output" };
const SHORT = { input: "Input", conv1: "Conv 1", pool1: "Pool 1", conv2: "Conv 2", pool2: "Pool 2", fc1: "Dense 1",
  fc2: "Dense 2", output: "Output" };
const HEIGHT = 640, TOP = 40, GAP_X = 46, DPR = 2, TERMS = 6;

function erf(x) {  // Abramowitz & Stegun 7.1.26 (error below 1.5e-7)
  const s = Math.sign(x), a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  return s * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    * Math.exp(-a * a));
}

function bytesOf(text) {
  const raw = atob(text || ""), out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

const floats = (text) => new Float32Array(bytesOf(text).buffer);  // little-endian float32, base64

async function inflatedFloats(text) {  // zlib data (Python's zlib.compress) of float32, base64
  const stream = new Blob([bytesOf(text)]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Float32Array(await new Response(stream).arrayBuffer());
}

function fmt(v, digits = 4) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(digits);
}
const signed = (v) => (v < 0 ? "−" + fmt(-v) : "+" + fmt(v));

function weightsFor(tag) {
  const entry = (window.__mlDigitsNets || {})[tag];
  if (!entry) return null;
  if (!entry.parsed) {
    const d = entry.raw, w = { ...d };
    for (const name of ["conv1_w", "conv2_w", "fc1_w", "fc2_w", "out_w", "conv1_b", "conv2_b", "fc1_b", "fc2_b", "out_b"]) {
      w[name] = floats(d[name]);
    }
    w.act = ACTIVATIONS[d.activation] || ACTIVATIONS.relu;
    w.actLabel = ACT_LABELS[d.activation] || d.activation;
    entry.parsed = w;
  }
  return entry.parsed;
}

// ---- layout: every layer a column; map layers as a grid of tiles, dense layers as nodes ----

function mapColumn(name, count, size, budget, cols = 0) {  // the largest whole cell size that fits
  let best = null;
  for (const c of cols ? [cols] : [1, 2, 3, 4, 6, 8]) {
    const rows = Math.ceil(count / c), gap = size >= 14 ? 4 : 3;
    let cell = Math.min(name === "input" ? 4 : 4, Math.floor((HEIGHT / rows - gap) / size));
    while (cell > 1 && c * (size * cell + gap) - gap > budget) cell--;
    if (cell < 1) cell = 1;
    const width = c * (size * cell + gap) - gap;
    if (!best || cell > best.cell || (cell === best.cell && width < best.width)) best = { cols: c, rows, gap, cell, width };
  }
  return { name, kind: "map", count, size, ...best, tile: size * best.cell, top: TOP };
}

function layoutOf(net, w) {
  const s = net.shapes, cols = [];
  cols.push(mapColumn("input", 1, 28, 140));
  const conv1 = mapColumn("conv1", s.conv1[0], s.conv1[1], 240), conv2 = mapColumn("conv2", s.conv2[0], s.conv2[1], 130);
  cols.push(conv1, mapColumn("pool1", s.pool1[0], s.pool1[1], 130, conv1.cols));  // pooled maps in line with theirs
  cols.push(conv2, mapColumn("pool2", s.pool2[0], s.pool2[1], 130, conv2.cols));
  for (const [name, shown, n] of [["fc1", w.fc1_shown, w.f1], ["fc2", w.fc2_shown, w.f2],
    ["output", [...Array(10).keys()], 10]]) {
    cols.push({ name, kind: "dense", shown, n, width: name === "output" ? 12 : 10, pitch: HEIGHT / shown.length,
      radius: name === "output" ? 6 : 4, top: TOP });
  }
  let x = 8;
  for (const c of cols) {
    c.x = x;
    x += c.width + (c.name === "output" ? 0 : GAP_X);
  }
  return { cols, byName: Object.fromEntries(cols.map((c) => [c.name, c])), width: x + 64, height: TOP + HEIGHT + 6 };
}

function tileOrigin(col, m) {  // top-left of map m's tile
  const r = Math.floor(m / col.cols), c = m % col.cols;
  const rowsUsed = Math.ceil(col.count / col.cols);
  const slot = col.count === 1 ? HEIGHT : HEIGHT / rowsUsed;
  return [col.x + c * (col.tile + col.gap), col.top + r * slot + (slot - col.tile) / 2];
}

function cellCentre(col, m, r, c) {
  const [x, y] = tileOrigin(col, m);
  return [x + (c + 0.5) * col.cell, y + (r + 0.5) * col.cell];
}

function nodeCentre(col, i) {  // i: position in the shown list
  return [col.x + col.width / 2, col.top + (i + 0.5) * col.pitch];
}

// ---- painting ----

function lutColour(lut, t) {
  const i = 3 * Math.max(0, Math.min(255, Math.round(255 * t)));
  return [lut[i], lut[i + 1], lut[i + 2]];
}

function weightRGB(v, scale) {  // blue (negative), white (0), red (positive), as [r, g, b]
  const t = Math.max(-1, Math.min(1, scale > 0 ? v / scale : 0)), a = Math.abs(t);
  return t >= 0 ? [255 - 27 * a, 255 - 168 * a, 255 - 169 * a] : [255 - 179 * a, 255 - 135 * a, 255 - 87 * a];
}

function weightColour(v, scale, alpha = 1) {  // blue (negative), white (0), red (positive)
  const t = Math.max(-1, Math.min(1, scale > 0 ? v / scale : 0)), a = Math.abs(t);
  return t >= 0 ? `rgba(${Math.round(255 - 27 * a)},${Math.round(255 - 168 * a)},${Math.round(255 - 169 * a)},${alpha})`
    : `rgba(${Math.round(255 - 179 * a)},${Math.round(255 - 135 * a)},${Math.round(255 - 87 * a)},${alpha})`;
}

function paintBase(st) {
  const { net, layout, lut } = st, canvas = st.base, ctx = canvas.getContext("2d");
  canvas.width = layout.width * DPR;
  canvas.height = layout.height * DPR;
  st.over.width = canvas.width;
  st.over.height = canvas.height;
  ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
  ctx.clearRect(0, 0, layout.width, layout.height);
  ctx.imageSmoothingEnabled = false;
  const L = layout.byName;
  // Faint links between consecutive layers, under everything.
  ctx.lineWidth = 0.5;
  const link = (pairs, alpha) => {
    ctx.strokeStyle = `rgba(120,125,140,${alpha})`;
    ctx.beginPath();
    for (const [a, b] of pairs) { ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); }
    ctx.stroke();
  };
  const right = (col, m) => { const [x, y] = tileOrigin(col, m); return [x + col.tile, y + col.tile / 2]; };
  const left = (col, m) => { const [x, y] = tileOrigin(col, m); return [x, y + col.tile / 2]; };
  const all = (a, na, fa, b, nb, fb) => {
    const out = [];
    for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) out.push([fa(a, i), fb(b, j)]);
    return out;
  };
  const nodeL = (col, i) => { const [x, y] = nodeCentre(col, i); return [x - col.radius, y]; };
  const nodeR = (col, i) => { const [x, y] = nodeCentre(col, i); return [x + col.radius, y]; };
  link(all(L.input, 1, right, L.conv1, L.conv1.count, left), 0.35);
  link([...Array(L.conv1.count).keys()].map((m) => [right(L.conv1, m), left(L.pool1, m)]), 0.35);
  link(all(L.pool1, L.pool1.count, right, L.conv2, L.conv2.count, left), 0.035);
  link([...Array(L.conv2.count).keys()].map((m) => [right(L.conv2, m), left(L.pool2, m)]), 0.35);
  link(all(L.pool2, L.pool2.count, right, L.fc1, L.fc1.shown.length, nodeL), 0.035);
  link(all(L.fc1, L.fc1.shown.length, nodeR, L.fc2, L.fc2.shown.length, nodeL), 0.06);
  link(all(L.fc2, L.fc2.shown.length, nodeR, L.output, 10, nodeL), 0.12);
  // Map layers: each map coloured on its own range (the input: ink, 0 black to 1 white).
  const tile = document.createElement("canvas");
  for (const col of layout.cols.filter((c) => c.kind === "map")) {
    const values = net.layers[col.name], n = col.size;
    tile.width = n;
    tile.height = n;
    const tctx = tile.getContext("2d"), image = tctx.createImageData(n, n), p = image.data;
    for (let m = 0; m < col.count; m++) {
      const off = m * n * n;
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < n * n; i++) { lo = Math.min(lo, values[off + i]); hi = Math.max(hi, values[off + i]); }
      if (col.name === "input") { lo = 0; hi = 1; }
      const span = hi > lo ? hi - lo : 1;
      for (let i = 0; i < n * n; i++) {
        const t = (values[off + i] - lo) / span;
        const [r, g, b] = col.name === "input" ? [255 * t, 255 * t, 255 * t] : lutColour(lut, t);
        p[4 * i] = r; p[4 * i + 1] = g; p[4 * i + 2] = b; p[4 * i + 3] = 255;
      }
      tctx.putImageData(image, 0, 0);
      const [x, y] = tileOrigin(col, m);
      ctx.drawImage(tile, x, y, col.tile, col.tile);
    }
  }
  // Dense layers: nodes coloured on the layer's range (the output: its probability).
  for (const col of layout.cols.filter((c) => c.kind === "dense")) {
    const values = col.name === "output" ? net.output : net.layers[col.name];
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (col.name === "output") { lo = 0; hi = 1; }
    col.shown.forEach((u, i) => {
      const [x, y] = nodeCentre(col, i), [r, g, b] = lutColour(lut, (values[u] - lo) / (hi > lo ? hi - lo : 1));
      ctx.beginPath();
      ctx.arc(x, y, col.radius, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fill();
      ctx.strokeStyle = "rgba(60,60,70,0.6)";
      ctx.lineWidth = 0.6;
      ctx.stroke();
      if (col.name === "output") {
        ctx.fillStyle = getComputedStyle(st.root).color || "#31333f";
        ctx.font = (u === net.guess ? "bold " : "") + "11px sans-serif";
        ctx.textAlign = "left";
        ctx.textBaseline = "middle";
        ctx.fillText(`${u}  ${(100 * values[u]).toFixed(values[u] >= 0.995 || values[u] < 0.001 ? 0 : 1)}%`, x + 10, y);
      }
    });
  }
  // Column titles: the layer, then its size (and how many units a dense column shows).
  ctx.fillStyle = getComputedStyle(st.root).color || "#31333f";
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  for (const col of layout.cols) {
    const cx = col.x + col.width / 2 + (col.name === "output" ? 14 : 0);
    const sub = col.kind === "map" ? (col.count === 1 ? `${col.size}×${col.size}` : `${col.count} × ${col.size}×${col.size}`)
      : col.name === "output" ? "10 digits" : `${col.shown.length} of ${col.n}`;
    ctx.font = "bold 11px sans-serif";
    ctx.fillText(SHORT[col.name], cx, 14);
    ctx.font = "10px sans-serif";
    ctx.fillText(sub, cx, 27);
  }
}

// ---- hit testing ----

function unitAt(st, x, y) {  // native coordinates -> a unit, or null
  for (const col of st.layout.cols) {
    if (col.kind === "map") {
      if (x < col.x - 1 || x > col.x + col.width + 1) continue;
      for (let m = 0; m < col.count; m++) {
        const [tx, ty] = tileOrigin(col, m);
        if (x >= tx && x < tx + col.tile && y >= ty && y < ty + col.tile) {
          return { layer: col.name, map: m, row: Math.floor((y - ty) / col.cell), col: Math.floor((x - tx) / col.cell) };
        }
      }
      return null;
    }
    const cx = col.x + col.width / 2;
    if (Math.abs(x - cx) > Math.max(col.radius + 4, 9)) continue;
    const i = Math.floor((y - col.top) / col.pitch);
    if (i < 0 || i >= col.shown.length) return null;
    return { layer: col.name, unit: col.shown[i], pos: i };
  }
  return null;
}

// ---- one unit's arithmetic ----

function topIndices(P, k) {  // indices of the k largest |P|, largest first (one pass, a small sorted list)
  const idx = [], mag = [];
  for (let i = 0; i < P.length; i++) {
    const a = Math.abs(P[i]);
    if (idx.length === k && a <= mag[k - 1]) continue;
    let j = idx.length === k ? k - 1 : idx.length;
    while (j > 0 && mag[j - 1] < a) { mag[j] = mag[j - 1]; idx[j] = idx[j - 1]; j--; }
    mag[j] = a;
    idx[j] = i;
  }
  return idx;
}

function weighted(W, X, bias) {  // Σ w·x + b in float64, with every product kept
  const P = new Float64Array(W.length);
  let sum = 0;
  for (let i = 0; i < W.length; i++) { P[i] = W[i] * X[i]; sum += P[i]; }
  return { W, X, P, sum, bias, z: sum + bias };
}

function explain(st, u) {  // everything the box and the links show about unit u
  const { net, w } = st, p = w.k >> 1, k = w.k;
  if (u.layer === "conv1" || u.layer === "conv2") {
    const src = u.layer === "conv1" ? "input" : "pool1", [cin, S] = net.shapes[src], n = cin * k * k;
    const Wall = u.layer === "conv1" ? w.conv1_w : w.conv2_w, W = Wall.subarray(u.map * n, (u.map + 1) * n);
    const X = new Float64Array(n), inside = new Uint8Array(n), values = net.layers[src];
    for (let ci = 0; ci < cin; ci++) {
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const r = u.row - p + i, c = u.col - p + j, t = (ci * k + i) * k + j;
          if (r >= 0 && c >= 0 && r < S && c < S) { X[t] = values[(ci * S + r) * S + c]; inside[t] = 1; }
        }
      }
    }
    const info = weighted(W, X, (u.layer === "conv1" ? w.conv1_b : w.conv2_b)[u.map]);
    const r0 = Math.max(0, u.row - p), r1 = Math.min(S - 1, u.row + p), c0 = Math.max(0, u.col - p), c1 = Math.min(S - 1, u.col + p);
    const at = (t) => [Math.floor(t / (k * k)), u.row - p + Math.floor((t % (k * k)) / k), u.col - p + (t % k)];
    return { ...info, kind: "conv", src, cin, a: w.act(info.z), filter: W, box: [r0, r1, c0, c1],
      where: (t) => { const [ci, r, c] = at(t); return src === "input" ? `input (${r}, ${c})` : `pool1 map ${ci} (${r}, ${c})`; },
      link: (t) => (inside[t] ? [src, ...at(t)] : null),
      below: `${src} rows ${r0}-${r1} cols ${c0}-${c1}${cin > 1 ? ` of all ${cin} maps` : ""}` };
  }
  if (u.layer === "pool1" || u.layer === "pool2") {
    const src = u.layer === "pool1" ? "conv1" : "conv2", S = net.shapes[src][1], vals = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      const r = 2 * u.row + i, c = 2 * u.col + j;
      vals.push({ r, c, v: net.layers[src][(u.map * S + r) * S + c] });
    }
    const best = vals.reduce((a, b) => (b.v > a.v ? b : a));
    return { kind: "pool", src, vals, best, a: best.v, z: best.v,
      below: `${src} map ${u.map} rows ${2 * u.row}-${2 * u.row + 1} cols ${2 * u.col}-${2 * u.col + 1}` };
  }
  if (u.layer === "fc1" || u.layer === "fc2" || u.layer === "output") {
    const src = u.layer === "fc1" ? "pool2" : u.layer === "fc2" ? "fc1" : "fc2";
    const X = net.layers[src], n = X.length;
    const row = u.layer === "fc1" ? w.fc1_shown.indexOf(u.unit) : u.layer === "fc2" ? w.fc2_shown.indexOf(u.unit) : u.unit;
    const Wall = u.layer === "fc1" ? w.fc1_w : u.layer === "fc2" ? w.fc2_w : w.out_w;
    const W = Wall.subarray(row * n, (row + 1) * n);
    const info = weighted(W, X, (u.layer === "fc1" ? w.fc1_b : u.layer === "fc2" ? w.fc2_b : w.out_b)[u.unit]);
    const [C2, S] = net.shapes.pool2;
    const at = (i) => [Math.floor(i / (S * S)), Math.floor((i % (S * S)) / S), i % S];
    const out = { ...info, kind: "dense", src, n, filter: W, C2, S,
      where: (i) => { if (src !== "pool2") return `${src} unit ${i}`; const [m, r, c] = at(i); return `pool2 map ${m} (${r}, ${c})`; },
      link: (i) => (src === "pool2" ? ["pool2", ...at(i)] : [src, i]),
      below: `${src} all ${n} units` };
    if (u.layer === "output") {
      const logits = net.layers.logits, top = Math.max(...logits);
      let total = 0;
      for (const l of logits) total += Math.exp(l - top);
      out.a = Math.exp(info.z - top) / total;
      out.softmax = true;
    } else {
      out.a = w.act(info.z);
    }
    return out;
  }
  const v = net.layers.input[u.row * 28 + u.col];
  return { kind: "input", a: v, z: v, below: "" };
}

function receptiveField(st, u) {  // [r0, r1, c0, c1] on the 28×28 input
  if (u.layer === "input") return [u.row, u.row, u.col, u.col];
  if (!("row" in u)) return [0, 27, 0, 27];
  const p = st.w.k >> 1;
  let lo = [u.row, u.col], hi = [u.row, u.col];
  const chain = { conv1: "input", pool1: "conv1", conv2: "pool1", pool2: "conv2" };
  for (let layer = u.layer; layer !== "input"; layer = chain[layer]) {
    if (layer.startsWith("conv")) { lo = lo.map((v) => v - p); hi = hi.map((v) => v + p); }
    else { lo = lo.map((v) => 2 * v); hi = hi.map((v) => 2 * v + 1); }
  }
  const clip = (v) => Math.max(0, Math.min(27, v));
  return [clip(lo[0]), clip(hi[0]), clip(lo[1]), clip(hi[1])];
}

function unitValue(st, u) {  // the network's own value for the unit
  if (u.layer === "output") return st.net.output[u.unit];
  if ("unit" in u) return st.net.layers[u.layer][u.unit];
  const [, S] = st.net.shapes[u.layer];
  return st.net.layers[u.layer][(u.map * S + u.row) * S + u.col];
}

function describe(u) {
  if ("unit" in u) return u.layer === "output" ? `Output · digit ${u.unit}` : `${TITLES[u.layer]} · unit ${u.unit}`;
  if (u.layer === "input") return `Input · pixel (row ${u.row}, col ${u.col})`;
  return `${TITLES[u.layer]} · map ${u.map} · row ${u.row}, col ${u.col}`;
}

// ---- drawing one unit's connections (the overlay) and its box ----

function drawOverlay(st, u, info) {
  const { layout } = st, ctx = st.over.getContext("2d"), L = layout.byName;
  ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
  ctx.clearRect(0, 0, layout.width, layout.height);
  const here = "unit" in u ? nodeCentre(L[u.layer], u.pos) : cellCentre(L[u.layer], u.map, u.row, u.col);
  const at = (ref) => (ref.length === 4 ? cellCentre(L[ref[0]], ref[1], ref[2], ref[3])
    : nodeCentre(L[ref[0]], L[ref[0]].shown.indexOf(ref[1])));
  const cellBox = (col, m, r0, r1, c0, c1) => {
    const [x, y] = tileOrigin(col, m);
    return [x + c0 * col.cell, y + r0 * col.cell, (c1 - c0 + 1) * col.cell, (r1 - r0 + 1) * col.cell];
  };
  if (info.kind === "conv" || info.kind === "dense") {
    const col = L[info.src], n = info.W.length;
    let wmax = 0;
    for (let i = 0; i < n; i++) wmax = Math.max(wmax, Math.abs(info.W[i]));
    if (col.kind === "map") {  // the layer below's cells coloured by their weight: one image of every map's slice
      const S = col.size, k = info.kind === "conv" ? st.w.k : S, per = k * k, maps = n / per;
      const tile = st.scratch || (st.scratch = document.createElement("canvas")), tctx = tile.getContext("2d");
      if (tile.width !== k * maps || tile.height !== k) { tile.width = k * maps; tile.height = k; }
      const image = tctx.createImageData(k * maps, k), data = image.data, rowPitch = k * maps;
      for (let m = 0; m < maps; m++) {
        for (let i = 0; i < per; i++) {
          const [r, g, b] = weightRGB(info.W[m * per + i], wmax), o = 4 * (Math.floor(i / k) * rowPitch + m * k + (i % k));
          data[o] = r; data[o + 1] = g; data[o + 2] = b; data[o + 3] = 220;
        }
      }
      tctx.putImageData(image, 0, 0);
      for (let m = 0; m < maps; m++) {
        const [x, y] = tileOrigin(col, m);
        if (info.kind === "conv") {  // the filter's window, clipped where it hangs over the map's edge
          const r = u.row - (k >> 1), c = u.col - (k >> 1), sr = Math.max(0, -r), sc = Math.max(0, -c);
          const er = Math.min(k, S - r), ec = Math.min(k, S - c);
          if (er > sr && ec > sc) {
            ctx.drawImage(tile, m * k + sc, sr, ec - sc, er - sr, x + (c + sc) * col.cell, y + (r + sr) * col.cell,
              (ec - sc) * col.cell, (er - sr) * col.cell);
          }
        } else {
          ctx.drawImage(tile, m * k, 0, k, k, x, y, col.tile, col.tile);
        }
      }
    }
    let links;
    if (info.kind === "conv" && info.cin > 1) {  // one link per input map: its slice's total |w|, coloured by its net sign
      const per = st.w.k * st.w.k, sums = [];
      for (let m = 0; m < info.cin; m++) {
        let net = 0, abs = 0;
        for (let i = 0; i < per; i++) { net += info.W[m * per + i]; abs += Math.abs(info.W[m * per + i]); }
        sums.push({ w: Math.sign(net) * abs, link: [info.src, m, u.row, u.col] });
      }
      wmax = Math.max(...sums.map((e) => Math.abs(e.w)));
      links = sums;
    } else if (col.kind === "map") {  // conv1: all 25; pool2 -> fc1: the 48 largest products
      const chosen = info.kind === "conv" ? [...Array(n).keys()] : topIndices(info.P, 48);
      links = chosen.map((i) => ({ w: info.W[i], link: info.link(i) })).filter((t) => t.link);
    } else {  // dense below: the units drawn
      links = col.shown.map((unit) => ({ w: info.W[unit], link: [info.src, unit] }));
    }
    for (const t of links) {
      const [x, y] = at(t.link);
      ctx.strokeStyle = t.w >= 0 ? "rgba(214,39,40,0.8)" : "rgba(31,119,180,0.8)";
      ctx.lineWidth = 0.4 + 3 * Math.abs(t.w) / (wmax || 1);
      ctx.beginPath();
      ctx.moveTo(here[0], here[1]);
      ctx.lineTo(x, y);
      ctx.stroke();
    }
    if (info.kind === "conv") {  // the window on every input map
      ctx.strokeStyle = "#ff3b3b";
      ctx.lineWidth = 1.2;
      const [r0, r1, c0, c1] = info.box;
      for (let m = 0; m < info.cin; m++) ctx.strokeRect(...cellBox(col, m, r0, r1, c0, c1));
    }
  } else if (info.kind === "pool") {
    const col = L[info.src];
    for (const v of info.vals) {
      const [x, y] = cellCentre(col, u.map, v.r, v.c);
      ctx.strokeStyle = v === info.best ? "rgba(214,39,40,0.95)" : "rgba(120,120,130,0.7)";
      ctx.lineWidth = v === info.best ? 2 : 0.8;
      ctx.beginPath(); ctx.moveTo(here[0], here[1]); ctx.lineTo(x, y); ctx.stroke();
    }
    ctx.strokeStyle = "#ff3b3b";
    ctx.lineWidth = 1.2;
    ctx.strokeRect(...cellBox(col, u.map, 2 * u.row, 2 * u.row + 1, 2 * u.col, 2 * u.col + 1));
  }
  // The receptive field on the input picture, and the unit itself.
  const [r0, r1, c0, c1] = receptiveField(st, u);
  ctx.setLineDash([3, 2]);
  ctx.strokeStyle = "#ffd400";
  ctx.lineWidth = 1.5;
  ctx.strokeRect(...cellBox(L.input, 0, r0, r1, c0, c1));
  ctx.setLineDash([]);
  ctx.strokeStyle = "#ff3b3b";
  ctx.lineWidth = 2;
  if ("unit" in u) {
    ctx.beginPath();
    ctx.arc(here[0], here[1], L[u.layer].radius + 2.5, 0, 2 * Math.PI);
    ctx.stroke();
  } else {
    const col = L[u.layer], s = Math.max(col.cell, 3);
    ctx.strokeRect(here[0] - s / 2 - 1, here[1] - s / 2 - 1, s + 2, s + 2);
  }
}

function inputImage(st) {  // the drawing's 28×28 input as a small canvas, made once per drawing
  if (st.net.inputCanvas) return st.net.inputCanvas;
  const tmp = document.createElement("canvas"), input = st.net.layers.input;
  tmp.width = 28;
  tmp.height = 28;
  const tctx = tmp.getContext("2d"), image = tctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const g = Math.round(255 * Math.max(0, Math.min(1, input[i])));
    image.data[4 * i] = g; image.data[4 * i + 1] = g; image.data[4 * i + 2] = g; image.data[4 * i + 3] = 255;
  }
  tctx.putImageData(image, 0, 0);
  st.net.inputCanvas = tmp;
  return tmp;
}

function drawRF(st, u) {
  const canvas = st.root.querySelector(".nv-rf"), cell = 4;
  if (canvas.width !== 28 * cell) { canvas.width = 28 * cell; canvas.height = 28 * cell; }
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(inputImage(st), 0, 0, canvas.width, canvas.height);
  const [r0, r1, c0, c1] = receptiveField(st, u);
  ctx.strokeStyle = "#ffd400";
  ctx.lineWidth = 2;
  ctx.strokeRect(c0 * cell + 1, r0 * cell + 1, (c1 - c0 + 1) * cell - 2, (r1 - r0 + 1) * cell - 2);
  st.root.querySelector(".nv-rf-cap").textContent = u.layer === "input" ? "The pixel on the input"
    : `Receptive field: input rows ${r0}–${r1}, cols ${c0}–${c1}`;
  return [r0, r1, c0, c1];
}

function drawFilter(st, u, info) {
  const canvas = st.root.querySelector(".nv-filter"), cap = st.root.querySelector(".nv-filter-cap");
  const fig = canvas.parentElement;
  if (info.kind !== "conv" && info.kind !== "dense") {
    fig.hidden = true;
    return;
  }
  fig.hidden = false;
  const f = info.filter;
  let wmax = 0;
  for (const v of f) wmax = Math.max(wmax, Math.abs(v));
  const ctx = canvas.getContext("2d");
  let slices, size, cell, per, gap = 2;
  if (info.kind === "conv") { slices = info.cin; size = st.w.k; cell = slices === 1 ? 28 : 4; per = Math.min(slices, 8); }
  else if (info.src === "pool2") { slices = info.C2; size = info.S; cell = 3; per = 8; }
  else { slices = 1; size = 0; cell = 8; per = 1; }
  if (size) {
    const rows = Math.ceil(slices / per), tile = size * cell;
    canvas.width = per * (tile + gap) - gap;
    canvas.height = rows * (tile + gap) - gap;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const small = st.filterScratch || (st.filterScratch = document.createElement("canvas"));
    small.width = size * slices;
    small.height = size;
    const sctx = small.getContext("2d"), image = sctx.createImageData(size * slices, size);
    for (let m = 0; m < slices; m++) {
      for (let i = 0; i < size * size; i++) {
        const [r, g, b] = weightRGB(f[m * size * size + i], wmax), o = 4 * (Math.floor(i / size) * size * slices + m * size + (i % size));
        image.data[o] = r; image.data[o + 1] = g; image.data[o + 2] = b; image.data[o + 3] = 255;
      }
    }
    sctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    for (let m = 0; m < slices; m++) {
      ctx.drawImage(small, m * size, 0, size, size, (m % per) * (tile + gap), Math.floor(m / per) * (tile + gap), tile, tile);
    }
    if (slices === 1) {  // conv1's filter: its numbers in the cells
      ctx.fillStyle = "#111";
      ctx.font = "9px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      for (let i = 0; i < size * size; i++) {
        ctx.fillText(f[i].toFixed(2), (i % size + 0.5) * cell, (Math.floor(i / size) + 0.5) * cell);
      }
    }
    cap.textContent = info.kind === "conv"
      ? (slices === 1 ? `Filter ${u.map}: ${size}×${size} weights` : `Filter ${u.map}: one ${size}×${size} slice per input map (${slices})`)
      : `Incoming weights: one ${size}×${size} slice per pool2 map (${slices})`;
  } else {
    const n = f.length, across = Math.ceil(Math.sqrt(n * 2));
    canvas.width = across * cell;
    canvas.height = Math.ceil(n / across) * cell;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const image = ctx.createImageData(canvas.width, canvas.height);
    for (let i = 0; i < n; i++) {
      const [r, g, b] = weightRGB(f[i], wmax), x0 = (i % across) * cell, y0 = Math.floor(i / across) * cell;
      for (let dy = 0; dy < cell - 1; dy++) {
        for (let dx = 0; dx < cell - 1; dx++) {
          const o = 4 * ((y0 + dy) * canvas.width + x0 + dx);
          image.data[o] = r; image.data[o + 1] = g; image.data[o + 2] = b; image.data[o + 3] = 255;
        }
      }
    }
    ctx.putImageData(image, 0, 0);
    cap.textContent = `Incoming weights from all ${n} ${info.src} units (row by row)`;
  }
  cap.textContent += ` · blue −${fmt(wmax, 3)} … red +${fmt(wmax, 3)}`;
}

function writeBox(st, u, info) {
  const box = st.root.querySelector(".nv-box"), sum = box.querySelector(".nv-sum");
  box.querySelector(".nv-head").textContent = describe(u);
  const rf = drawRF(st, u);
  drawFilter(st, u, info);
  const value = unitValue(st, u), lines = [];
  let top = [];
  if (info.kind === "conv" || info.kind === "dense") {
    top = topIndices(info.P, TERMS);
    let rest = info.sum;
    for (const i of top) rest -= info.P[i];
    lines.push(`<div>Σ w·x over ${info.P.length} inputs; the largest w·x:</div>`);
    for (const i of top) {
      lines.push(`<div class="nv-term">${signed(info.W[i])} × ${fmt(info.X[i])} = ${signed(info.P[i])} <span class="nv-src">${info.where(i)}</span></div>`);
    }
    if (info.P.length > TERMS) lines.push(`<div class="nv-term">… ${info.P.length - TERMS} more terms: ${signed(rest)}</div>`);
    lines.push('<div class="nv-rule"></div>');
    lines.push(`<div>Σ w·x = ${fmt(info.sum)}</div><div>bias b = ${fmt(info.bias)}</div>`);
    lines.push(`<div class="nv-total nv-z">z = Σ w·x + b = ${fmt(info.z)}</div>`);
    lines.push(info.softmax
      ? `<div class="nv-total">softmax: p = e^z / Σ e^zj = ${(100 * info.a).toFixed(2)}% (output)</div>`
      : `<div class="nv-total">output a = ${st.w.actLabel}(z) = ${fmt(info.a)}</div>`);
    if (info.kind === "dense" && info.src !== "pool2") {
      const shown = st.layout.byName[info.src].shown.length;
      if (shown < info.n) lines.push(`<div class="nv-src">Links go to the ${shown} ${info.src} units drawn; the sum uses all ${info.n}.</div>`);
    }
  } else if (info.kind === "pool") {
    lines.push(`<div>No weights: the largest of the 2×2 window of ${info.src} map ${u.map}:</div>`);
    lines.push(`<div class="nv-term">max(${info.vals.map((v) => (v === info.best ? `<b>${fmt(v.v)}</b>` : fmt(v.v))).join(", ")})</div>`);
    lines.push(`<div class="nv-total">output a = ${fmt(info.a)}</div>`);
  } else {
    lines.push(`<div>A pixel of the 28×28 input the network sees (0 black … 1 white).</div>`);
    lines.push(`<div class="nv-total">value = ${fmt(value)}</div>`);
  }
  sum.innerHTML = lines.join("");
  box.setAttribute("data-layer", u.layer);
  box.setAttribute("data-index", JSON.stringify("unit" in u ? [u.unit] : u.layer === "input" ? [u.row, u.col] : [u.map, u.row, u.col]));
  box.setAttribute("data-z", String(info.z));
  box.setAttribute("data-a", String(info.a));
  box.setAttribute("data-value", String(value));
  box.setAttribute("data-below", info.below || "");
  box.setAttribute("data-rf", rf.join(","));
  box.setAttribute("data-top", JSON.stringify(top.map((i) => [i, info.W[i], info.X[i]])));
}

function show(st, u) {
  const info = explain(st, u);
  drawOverlay(st, u, info);
  writeBox(st, u, info);
  st.shown = u;
}

function sameUnit(a, b) {
  return !!a && !!b && a.layer === b.layer && a.map === b.map && a.row === b.row && a.col === b.col && a.unit === b.unit;
}

function pointer(st, event, pin) {
  if (!st.layout || !st.w || !st.net) return;
  const t0 = performance.now(), created = event.timeStamp, rect = st.over.getBoundingClientRect();
  if (!rect.width) return;
  const x = (event.clientX - rect.left) * st.layout.width / rect.width;
  const y = (event.clientY - rect.top) * st.layout.height / rect.height;
  const u = unitAt(st, x, y);
  if (!u) return;
  if (pin) st.pinned = u;
  if (sameUnit(u, st.shown)) return;
  show(st, u);
  const done = performance.now(), ms = done - t0;
  (window.__hoverMs = window.__hoverMs || []).push(ms);
  (window.__hoverSinceEventMs = window.__hoverSinceEventMs || []).push(done - created);
  st.root.setAttribute("data-hover-ms", ms.toFixed(2));
}

function fit(st) {  // the picture's width: the space it has, never under 60 % of its own size (then it scrolls)
  if (!st.layout) return;
  const space = st.root.querySelector(".nv-scroll").clientWidth || st.layout.width;
  const scale = Math.max(0.6, Math.min(1.3, space / st.layout.width));
  for (const canvas of [st.base, st.over]) {
    canvas.style.width = `${st.layout.width * scale}px`;
    canvas.style.height = `${st.layout.height * scale}px`;
  }
}

function render(st) {  // (re)draw for the newest drawing and weights; keep the unit being looked at
  const status = st.root.querySelector(".nv-status");
  if (!st.net) return;
  const w = weightsFor(st.net.tag);
  if (!w) {
    status.textContent = "Loading the network's weights…";
    return;
  }
  status.textContent = "";
  st.w = w;
  st.layout = layoutOf(st.net, w);
  paintBase(st);
  fit(st);
  const u = st.pinned || st.shown || { layer: "conv1", map: 0, row: 14, col: 14 };
  show(st, u.layer === "fc1" || u.layer === "fc2" ? { ...u, pos: st.layout.byName[u.layer].shown.indexOf(u.unit) } : u);
  st.root.querySelector(".nv-caption").textContent = `Dense layers show ${w.fc1_shown.length} of ${w.f1} and `
    + `${w.fc2_shown.length} of ${w.f2} units (evenly spaced); every sum uses them all. Tiles: each map coloured on its `
    + "own range (dark low, yellow high); the input in grey. Dashed yellow: the unit's receptive field on the input.";
  st.root.setAttribute("data-ready", "true");
  st.root.setAttribute("data-tag", st.net.tag);
}

async function load(st, data) {
  const values = await inflatedFloats(data.values);
  if (st.data !== data) return;  // a newer drawing arrived meanwhile
  const layers = {};
  for (const [name, shape] of Object.entries(data.shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    layers[name] = values.subarray(data.offsets[name], data.offsets[name] + size);
  }
  const logits = layers.logits, top = Math.max(...logits);
  let total = 0;
  for (const l of logits) total += Math.exp(l - top);
  const output = Array.from(logits, (l) => Math.exp(l - top) / total);
  const guess = output.indexOf(Math.max(...output));
  st.net = { tag: data.tag, shapes: data.shapes, layers, output, guess };
  st.lut = bytesOf(data.lut);
  render(st);
}

export default function (component) {
  const { parentElement, data } = component;
  const root = parentElement.querySelector(".nv");
  if (!root) return;
  let st = root.__nv;
  if (!st) {
    st = { root, base: root.querySelector(".nv-base"), over: root.querySelector(".nv-over"), data: null, net: null,
      w: null, layout: null, shown: null, pinned: null };
    root.__nv = st;
    st.over.addEventListener("pointermove", (e) => { if (e.pointerType !== "touch") pointer(st, e, false); });
    st.over.addEventListener("click", (e) => pointer(st, e, true));  // a click, or a tap on a touch screen
    st.over.addEventListener("pointerleave", () => { if (st.pinned && st.layout && !sameUnit(st.pinned, st.shown)) show(st, st.pinned); });
    window.addEventListener("ml-digits-weights", (e) => { if (st.net && e.detail === st.net.tag) render(st); });
    new ResizeObserver(() => fit(st)).observe(root);
    // For tests and benches: where a unit is on the screen (client coordinates of its centre).
    // The unit is scrolled into view first (the picture may be wider or taller than the screen).
    root.nvPoint = (layer, index) => {
      const col = st.layout.byName[layer];
      const [x, y] = col.kind === "dense" ? nodeCentre(col, col.shown.indexOf(index[0]))
        : cellCentre(col, layer === "input" ? 0 : index[0], index[index.length - 2], index[index.length - 1]);
      const mark = document.createElement("span"), scale = st.over.getBoundingClientRect().width / st.layout.width;
      mark.style.cssText = `position:absolute;width:1px;height:1px;left:${x * scale}px;top:${y * scale}px`;
      root.querySelector(".nv-stage").appendChild(mark);
      mark.scrollIntoView({ block: "center", inline: "center" });
      mark.remove();
      const rect = st.over.getBoundingClientRect();
      return [rect.left + x * rect.width / st.layout.width, rect.top + y * rect.height / st.layout.height];
    };
    root.nvShown = (layer) => (st.layout ? st.layout.byName[layer].shown || null : null);
  }
  if (!data || typeof data.values !== "string" || !data.shapes || !data.offsets) return;
  if (st.data && st.data.values === data.values && st.data.tag === data.tag) return;  // the same drawing again
  st.data = data;
  load(st, data);
}
