// A convolution you can watch (components v2): one filter slides over its (zero-padded) input
// position by position, and each position shows its products w·x and their sum. Python sends the
// padded input maps, the filter, the bias and the activation once per drawing; everything here
// (the sums, play / pause / step / back, a tap on the output map) runs in the browser.

const ACTIVATIONS = {
  relu: (z) => Math.max(z, 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
};
const LABELS = { relu: "ReLU", tanh: "tanh", sigmoid: "σ", gelu: "GELU" };

function erf(x) {  // Abramowitz & Stegun 7.1.26 (error below 1.5e-7)
  const s = Math.sign(x), a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    * Math.exp(-a * a);
  return s * y;
}

function floats(text) {  // little-endian float32 bytes, base64-encoded (Python's conv_watch_data)
  const raw = atob(text || ""), view = new DataView(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) view.setUint8(i, raw.charCodeAt(i));
  return Float64Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

function fmt(v) {
  if (v === 0) return "0";
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

function diverging(v, scale) {  // blue (negative), white (0), red (positive)
  const t = Math.max(-1, Math.min(1, scale > 0 ? v / scale : 0));
  const f = (a) => Math.round(255 - Math.abs(t) * a);
  return t >= 0 ? `rgb(255,${f(190)},${f(200)})` : `rgb(${f(200)},${f(160)},255)`;
}

function setup(d) {  // the whole output (pre-activations) and the colour scales, once per drawing
  const P = d.h + 2 * d.pad, Q = d.w + 2 * d.pad, k = d.k;
  const sums = new Float64Array(d.h * d.w);
  const parts = [];  // per position: per channel sum of w·x
  for (let r = 0; r < d.h; r++) {
    for (let c = 0; c < d.w; c++) {
      let total = 0;
      const per = new Float64Array(d.channels);
      for (let ch = 0; ch < d.channels; ch++) {
        let s = 0;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            s += d.input[(ch * P + r + i) * Q + c + j] * d.kernel[(ch * k + i) * k + j];
          }
        }
        per[ch] = s;
        total += s;
      }
      parts.push(per);
      sums[r * d.w + c] = total + d.bias;
    }
  }
  let zmax = 0, imax = 0;
  for (const z of sums) zmax = Math.max(zmax, Math.abs(z));
  for (const x of d.input) imax = Math.max(imax, Math.abs(x));
  return { P, Q, sums, parts, zmax, imax: imax || 1 };
}

function drawInput(root, d, s, pos) {
  const canvas = root.querySelector(".cw-in");
  const perRow = d.channels === 1 ? 1 : 4, cell = d.channels === 1 ? 7 : 5, gap = 6;
  const tileW = s.Q * cell, tileH = s.P * cell, rows = Math.ceil(d.channels / perRow);
  canvas.width = perRow * tileW + (perRow - 1) * gap;
  canvas.height = rows * tileH + (rows - 1) * gap;
  const ctx = canvas.getContext("2d");
  const r0 = Math.floor(pos / d.w), c0 = pos % d.w;
  for (let ch = 0; ch < d.channels; ch++) {
    const x0 = (ch % perRow) * (tileW + gap), y0 = Math.floor(ch / perRow) * (tileH + gap);
    for (let i = 0; i < s.P; i++) {
      for (let j = 0; j < s.Q; j++) {
        const padding = i < d.pad || j < d.pad || i >= s.P - d.pad || j >= s.Q - d.pad;
        const g = Math.round(255 * Math.min(1, Math.abs(d.input[(ch * s.P + i) * s.Q + j]) / s.imax));
        ctx.fillStyle = padding ? "rgb(70,70,95)" : `rgb(${g},${g},${g})`;
        ctx.fillRect(x0 + j * cell, y0 + i * cell, cell, cell);
      }
    }
    ctx.strokeStyle = "#ff3b3b";
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 + c0 * cell + 1, y0 + r0 * cell + 1, d.k * cell - 2, d.k * cell - 2);
  }
}

function drawOutput(root, d, s, filled, pos) {  // cells up to `filled` computed, `pos` outlined
  const canvas = root.querySelector(".cw-out"), cell = Math.max(4, Math.floor(224 / d.w));
  canvas.width = d.w * cell;
  canvas.height = d.h * cell;
  const ctx = canvas.getContext("2d");
  for (let i = 0; i < d.h * d.w; i++) {
    ctx.fillStyle = i <= filled ? diverging(s.sums[i], s.zmax) : "rgb(225,225,230)";
    ctx.fillRect((i % d.w) * cell, Math.floor(i / d.w) * cell, cell, cell);
  }
  ctx.strokeStyle = "#111";
  ctx.lineWidth = 2;
  ctx.strokeRect((pos % d.w) * cell + 1, Math.floor(pos / d.w) * cell + 1, cell - 2, cell - 2);
  canvas.__cell = cell;
}

function drawProducts(root, d, s, pos) {
  const box = root.querySelector(".cw-products"), r0 = Math.floor(pos / d.w), c0 = pos % d.w;
  const html = [];
  if (d.channels === 1) {
    box.style.gridTemplateColumns = `repeat(${d.k}, auto)`;
    let pmax = 0;
    const cells = [];
    for (let i = 0; i < d.k; i++) {
      for (let j = 0; j < d.k; j++) {
        const x = d.input[(r0 + i) * s.Q + c0 + j], w = d.kernel[i * d.k + j];
        cells.push([x, w, x * w]);
        pmax = Math.max(pmax, Math.abs(x * w));
      }
    }
    for (const [x, w, p] of cells) {
      html.push(`<div class="cw-cell" style="background:${diverging(p, pmax)}" title="x ${fmt(x)} × w ${fmt(w)}">`
        + `${p === 0 ? "0" : p.toFixed(3)}<small>${x.toFixed(2)}×${w.toFixed(2)}</small></div>`);
    }
  } else {
    box.style.gridTemplateColumns = "auto";
    const per = s.parts[pos];
    let pmax = 0;
    for (const v of per) pmax = Math.max(pmax, Math.abs(v));
    per.forEach((v, ch) => {
      const width = pmax > 0 ? Math.round(80 * Math.abs(v) / pmax) : 0;
      html.push(`<div class="cw-chan"><span>map ${ch}</span><span>${fmt(v)}</span>`
        + `<span class="cw-bar" style="width:${width}px;background:${v >= 0 ? "#e45756" : "#4c78a8"}"></span></div>`);
    });
  }
  box.innerHTML = html.join("");
}

function render(root, st, shown) {  // `shown`: a position the mouse points at (a preview), else the current one
  const d = st.data, s = st.setup, pos = shown === undefined ? st.pos : shown;
  const r = Math.floor(pos / d.w), c = pos % d.w;
  drawInput(root, d, s, pos);
  drawOutput(root, d, s, Math.max(st.pos, pos), pos);
  drawProducts(root, d, s, pos);
  let products = 0;
  for (const v of s.parts[pos]) products += v;
  const z = s.sums[pos], act = (ACTIVATIONS[d.activation] || ACTIVATIONS.relu)(z);
  const sum = root.querySelector(".cw-sum");
  sum.textContent = `${shown === undefined ? "" : "pointing at "}position ${pos + 1} of ${d.h * d.w}`
    + ` (row ${r}, col ${c}): Σ w·x = ${fmt(products)};`
    + `  z = Σ w·x + b = ${fmt(products)} + (${fmt(d.bias)}) = ${fmt(z)};`
    + `  ${LABELS[d.activation] || d.activation}(z) = ${fmt(act)}`;
  sum.setAttribute("data-row", String(r));
  sum.setAttribute("data-col", String(c));
  sum.setAttribute("data-z", String(z));
  sum.setAttribute("data-activation", String(act));
  sum.setAttribute("data-preview", String(shown !== undefined));
  root.querySelector(".cw-play").disabled = !!st.timer || st.pos >= d.h * d.w - 1;
  root.querySelector(".cw-pause").disabled = !st.timer;
  root.querySelector(".cw-step").disabled = st.pos >= d.h * d.w - 1;
  root.querySelector(".cw-back").disabled = st.pos === 0;
}

function stop(root, st) {
  if (st.timer) clearInterval(st.timer);
  st.timer = null;
}

function moveTo(root, st, pos) {
  st.pos = Math.max(0, Math.min(st.data.h * st.data.w - 1, pos));
  if (st.pos >= st.data.h * st.data.w - 1) stop(root, st);
  render(root, st);
}

function play(root, st) {
  stop(root, st);
  const speed = Number(root.querySelector(".cw-speed").value) || 20;
  st.timer = setInterval(() => moveTo(root, st, st.pos + 1), 1000 / speed);
  render(root, st);
}

export default function (component) {
  const { parentElement } = component;
  let { data } = component;
  const root = parentElement.querySelector(".cw");
  if (!root || !data || typeof data.input !== "string" || !data.h || !data.w) return;
  let st = parentElement.__cw;
  if (!st) {
    st = { pos: 0, timer: null, data: null, key: "" };
    parentElement.__cw = st;
    root.querySelector(".cw-play").addEventListener("click", () => play(root, st));
    root.querySelector(".cw-pause").addEventListener("click", () => { stop(root, st); render(root, st); });
    root.querySelector(".cw-step").addEventListener("click", () => { stop(root, st); moveTo(root, st, st.pos + 1); });
    root.querySelector(".cw-back").addEventListener("click", () => { stop(root, st); moveTo(root, st, st.pos - 1); });
    root.querySelector(".cw-reset").addEventListener("click", () => { stop(root, st); moveTo(root, st, 0); });
    root.querySelector(".cw-speed").addEventListener("change", () => { if (st.timer) play(root, st); });
    const cellOf = (e) => {  // the output position under the pointer, or -1
      const canvas = root.querySelector(".cw-out"), rect = canvas.getBoundingClientRect();
      const col = Math.floor((e.clientX - rect.left) * canvas.width / rect.width / canvas.__cell);
      const row = Math.floor((e.clientY - rect.top) * canvas.height / rect.height / canvas.__cell);
      return row < 0 || col < 0 || row >= st.data.h || col >= st.data.w ? -1 : row * st.data.w + col;
    };
    const out = root.querySelector(".cw-out");
    out.addEventListener("click", (e) => {  // a click or a tap: jump to that cell
      const cell = cellOf(e);
      if (cell < 0) return;
      stop(root, st);
      moveTo(root, st, cell);
    });
    out.addEventListener("pointermove", (e) => {  // a mouse pointing at a cell: show its sum until it leaves
      if (e.pointerType === "touch" || st.timer) return;
      const cell = cellOf(e);
      if (cell >= 0) render(root, st, cell);
    });
    out.addEventListener("pointerleave", () => { if (!st.timer) render(root, st); });
  }
  const key = `${data.layer}/${data.channel}/${data.bias}/${data.input}/${data.kernel}`;
  if (st.data && key === st.key) return;  // the same drawing again
  const sameShape = st.data && st.data.h === data.h && st.data.w === data.w;
  data = { ...data, input: floats(data.input), kernel: floats(data.kernel) };
  st.data = data;
  st.key = key;
  st.setup = setup(data);
  if (!sameShape) { stop(root, st); st.pos = 0; }
  root.querySelector(".cw-title").textContent =
    `Filter ${data.channel} of ${data.layer === "conv1" ? "Convolution 1" : "Convolution 2"} sliding over ${data.source}`;
  root.querySelector(".cw-in-label").textContent = data.channels === 1
    ? `Input with ${data.pad} pixels of zero padding (shaded); the red square is the filter's window`
    : `The ${data.channels} input maps, each with ${data.pad} cells of zero padding; the filter has one ${data.k}×${data.k} slice per map`;
  root.querySelector(".cw-products-label").textContent = data.channels === 1
    ? `The ${data.k}×${data.k} products w·x here (x × w below each)` : "Σ w·x of each map's slice here";
  root.setAttribute("data-ready", "true");
  render(root, st);
}
