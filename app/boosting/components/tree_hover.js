// Hover (or tap) a tree thumbnail or a "Σ k" button on the boosting page: the big map shows that tree
// alone (or the sum of trees 0..k) at once, drawn here from data sent with the page (no server call).
// The map is a canvas laid over the Plotly map's plot area (or, when that is off screen, a floating panel
// at the top of the window, as on a phone). What it shows is written on it as data attributes.
const THUMBS = ".st-key-boosting_thumbs";
const MAP = ".st-key-boosting_map";
const SUM_PREFIX = "st-key-boosting_sum_";
const OVERLAY_ID = "boosting-hover-overlay";
const MIN_SIZE = 2.0, MAX_SIZE = 16.0;  // marker diameters, as app/boosting/figures.py gradient_sizes

function bytes(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function decode(raw) {
  const d = JSON.parse(raw);
  const xb = bytes(d.x);
  d.xs = new Float32Array(xb.buffer, 0, xb.length / 4);
  d.ys = bytes(d.y);
  for (const list of [d.trees, d.sums]) {
    for (const m of list) {
      m.q = new Int8Array(bytes(m.map).buffer);
      m.g = bytes(m.grad);
    }
  }
  return d;
}

function state() {
  if (!window.__mlpBoostingHover) {
    window.__mlpBoostingHover = { raw: null, data: null, shown: null, pinned: false, installed: false };
  }
  return window.__mlpBoostingHover;
}

function mix(c, v) {  // v in [-1, 1] -> the palette's colour
  const a = v < 0 ? c.neg : c.pos, t = Math.min(1, Math.abs(v));
  return [0, 1, 2].map((i) => Math.round(c.mid[i] + t * (a[i] - c.mid[i])));
}

function target(el) {  // what the pointer is on: {kind, index} or null
  if (!el || !el.closest) return null;
  const img = el.closest(THUMBS + ' img[alt^="tree "]');
  if (img) {
    const m = /^tree (\d+) alone$/.exec(img.getAttribute("alt") || "");
    if (m) return { kind: "tree", index: Number(m[1]) };
  }
  const box = el.closest('[class*="' + SUM_PREFIX + '"]');
  if (box) {
    for (const name of box.classList) {
      if (name.startsWith(SUM_PREFIX)) return { kind: "sum", index: Number(name.slice(SUM_PREFIX.length)) };
    }
  }
  return null;
}

function outline(shown) {
  for (const img of document.querySelectorAll(THUMBS + ' img[alt^="tree "]')) {
    const m = /^tree (\d+) alone$/.exec(img.getAttribute("alt") || "");
    const k = m ? Number(m[1]) : -1;
    const on = shown && k >= 0 && (shown.kind === "tree" ? k === shown.index : k <= shown.index);
    if (on) {
      img.setAttribute("data-in-sum", shown.kind === "sum" ? "1" : "0");
      img.style.outline = "3px solid #e8553e";
      img.style.outlineOffset = "1px";
    } else if (img.hasAttribute("data-in-sum")) {
      img.removeAttribute("data-in-sum");
      img.style.outline = "";
    }
  }
}

function hide() {
  const s = state();
  s.shown = null;
  s.pinned = false;
  const old = document.getElementById(OVERLAY_ID);
  if (old) old.remove();
  outline(null);
}

function place(overlay) {
  const area = document.querySelector(MAP + " .js-plotly-plot .nsewdrag");
  const r = area ? area.getBoundingClientRect() : null;
  const visible = r && r.width > 20 && r.bottom > 40 && r.top < window.innerHeight - 40;
  let left, top, side;
  if (visible) {
    left = r.left; top = r.top; side = Math.min(r.width, r.height);
    overlay.setAttribute("data-where", "map");
  } else {  // the big map is off screen (a phone scrolled to the thumbnails): a panel at the top instead
    side = Math.min(window.innerWidth - 24, 360);
    left = (window.innerWidth - side) / 2; top = 12;
    overlay.setAttribute("data-where", "panel");
  }
  Object.assign(overlay.style, { left: left + "px", top: top + "px", width: side + "px", height: side + "px" });
  return side;
}

function draw(shown) {
  const s = state(), d = s.data;
  if (!d) return hide();
  const list = shown.kind === "tree" ? d.trees : d.sums;
  const m = list[shown.index];
  if (!m) return hide();
  let overlay = document.getElementById(OVERLAY_ID);
  if (!overlay) {
    overlay = document.createElement("div");
    overlay.id = OVERLAY_ID;
    overlay.setAttribute("role", "img");
    Object.assign(overlay.style, { position: "fixed", zIndex: 999990, pointerEvents: "none",
      boxShadow: "0 2px 10px rgba(0,0,0,0.25)", background: "#fff" });
    overlay.innerHTML = '<canvas style="width:100%;height:100%;display:block"></canvas>' +
      '<div class="bh-label" style="position:absolute;left:4px;top:4px;right:4px;font:600 12px sans-serif;' +
      'color:#222;background:rgba(255,255,255,0.85);padding:2px 5px;border-radius:3px"></div>';
    document.body.appendChild(overlay);
  }
  const side = place(overlay);
  const canvas = overlay.querySelector("canvas");
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(side * dpr); canvas.height = Math.round(side * dpr);
  const ctx = canvas.getContext("2d");
  const R = d.resolution, scale = shown.kind === "tree" ? m.scale : 1.0;
  // the map: R x R cells, row 0 at the bottom
  const cells = new ImageData(R, R);
  const values = new Float32Array(R * R);
  let lo = Infinity, hi = -Infinity;
  for (let row = 0; row < R; row++) {
    for (let col = 0; col < R; col++) {
      const i = row * R + col, v = m.q[i] / 127;
      values[i] = v * scale;
      lo = Math.min(lo, values[i]); hi = Math.max(hi, values[i]);
      const rgb = mix(d.colours, v), o = ((R - 1 - row) * R + col) * 4;
      cells.data[o] = rgb[0]; cells.data[o + 1] = rgb[1]; cells.data[o + 2] = rgb[2]; cells.data[o + 3] = 255;
    }
  }
  const small = document.createElement("canvas");
  small.width = R; small.height = R;
  small.getContext("2d").putImageData(cells, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  // the training points, sized by |gradient|
  const [x0, x1, y0, y1] = d.bounds, n = d.ys.length;
  let gmax = 0;
  for (let i = 0; i < n; i++) {
    const g = m.g[i] / 255;
    gmax = Math.max(gmax, g * m.top);
    const size = (MIN_SIZE + (MAX_SIZE - MIN_SIZE) * g) * dpr;
    const px = (d.xs[2 * i] - x0) / (x1 - x0) * canvas.width;
    const py = (1 - (d.xs[2 * i + 1] - y0) / (y1 - y0)) * canvas.height;
    ctx.beginPath();
    ctx.arc(px, py, size / 2, 0, 2 * Math.PI);
    const c = d.ys[i] === 1 ? d.colours.point_pos : d.colours.point_neg;
    ctx.fillStyle = "rgb(" + c.join(",") + ")";
    ctx.fill();
    ctx.lineWidth = 1.2 * dpr; ctx.strokeStyle = "#fff"; ctx.stroke();
  }
  const label = overlay.querySelector(".bh-label");
  label.textContent = shown.kind === "tree"
    ? "Tree " + shown.index + " alone: F from " + lo.toFixed(3) + " to " + hi.toFixed(3) +
      " (its own colour scale); dots: the gradients it was grown from"
    : "Σ 0–" + shown.index + ": the ensemble after " + (shown.index + 1) + " trees, 2σ(F) − 1; dots: its gradients";
  const probe = [0, (R >> 1) * R + (R >> 1), R * R - 1, 7 * R + 31, 40 * R + 12];
  overlay.setAttribute("data-kind", shown.kind);
  overlay.setAttribute("data-index", String(shown.index));
  overlay.setAttribute("data-ensemble", d.id);
  overlay.setAttribute("data-min", lo.toPrecision(6));
  overlay.setAttribute("data-max", hi.toPrecision(6));
  overlay.setAttribute("data-probe-cells", JSON.stringify(probe));
  overlay.setAttribute("data-probe-values", JSON.stringify(probe.map((i) => Number(values[i].toPrecision(6)))));
  overlay.setAttribute("data-gradient-max", gmax.toPrecision(6));
  overlay.setAttribute("data-tolerance", (scale / 254).toPrecision(6));
  s.shown = shown;
  outline(shown);
}

function install() {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  document.addEventListener("pointerover", (event) => {
    const t = target(event.target);
    if (!t) return;
    const s = state();
    s.pinned = event.pointerType !== "mouse";  // a tap keeps the map until the next tap elsewhere
    if (!s.shown || s.shown.kind !== t.kind || s.shown.index !== t.index) {
      const t0 = performance.now();
      draw(t);
      s.lastDrawMs = performance.now() - t0;
    }
  }, true);
  document.addEventListener("pointerout", (event) => {
    const s = state();
    if (!s.shown || s.pinned) return;
    const from = target(event.target), to = target(event.relatedTarget);
    if (from && (!to || to.kind !== from.kind || to.index !== from.index)) hide();
  }, true);
  document.addEventListener("pointerdown", (event) => {
    const s = state();
    if (s.shown && s.pinned && !target(event.target)) hide();
  }, true);
  const follow = () => {
    const overlay = document.getElementById(OVERLAY_ID);
    if (overlay && state().shown) place(overlay);
  };
  window.addEventListener("scroll", follow, true);
  window.addEventListener("resize", follow);
}

export default function (component) {
  const { data } = component;
  const raw = data && typeof data.payload === "string" ? data.payload : "";
  const s = state();
  install();
  if (s.raw !== raw) {
    s.raw = raw;
    try {
      s.data = raw ? decode(raw) : null;
    } catch (e) {
      s.data = null;
    }
    if (s.shown) {  // a live update or new settings while pointing: redraw from the new data, or let go
      const list = s.data ? (s.shown.kind === "tree" ? s.data.trees : s.data.sums) : [];
      if (list[s.shown.index]) draw(s.shown); else hide();
    }
  }
}
