// One layer of the digit network (components v2). Python sends each cell's colour level
// (one byte, maps in order, row by row) and raw value (float16), both zlib-compressed, and
// the geometry; this inflates them, tiles the maps `cols` to a row with `gap` transparent
// pixels between them, colours each cell through the colour table, draws it all `scale`
// times larger with square pixels, and on hover names the cell under the mouse (map, row,
// column, or unit) with its raw activation. Under the picture a scale bar (the colour table)
// shows the values level 0 and level 255 stand for (`legend`: one [low, high] for the layer, or
// one per map, when the bar follows the map under the mouse).

function decodeBase64(text) {
  const raw = atob(text || "");
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

async function inflate(text) {  // zlib data (Python's zlib.compress), base64-encoded
  const stream = new Blob([decodeBase64(text)]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function half(bits) {  // an IEEE 754 half-precision number
  const sign = bits & 0x8000 ? -1 : 1, exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
  if (exp === 0) return sign * Math.pow(2, -14) * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
}

function geometry(d) {
  const pitchX = d.w * d.cell + d.gap, pitchY = d.h * d.cell + d.gap, rows = Math.ceil(d.count / d.cols);
  return { pitchX, pitchY, width: d.cols * pitchX - d.gap, height: rows * pitchY - d.gap };
}

async function paint(box, d) {
  const levels = await inflate(d.levels);
  if (box.__data !== d) return;  // a newer picture arrived meanwhile
  const g = geometry(d), lut = decodeBase64(d.lut);
  const canvas = box.querySelector(".dl-canvas");
  canvas.width = g.width;
  canvas.height = g.height;
  canvas.style.width = g.width * d.scale + "px";
  canvas.style.height = g.height * d.scale + "px";
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(g.width, g.height), p = image.data;  // transparent to start with
  for (let m = 0; m < d.count; m++) {
    const x0 = (m % d.cols) * g.pitchX, y0 = Math.floor(m / d.cols) * g.pitchY;
    for (let r = 0; r < d.h; r++) {
      for (let c = 0; c < d.w; c++) {
        const level = levels[(m * d.h + r) * d.w + c] * 3;
        for (let dy = 0; dy < d.cell; dy++) {
          let i = ((y0 + r * d.cell + dy) * g.width + x0 + c * d.cell) * 4;
          for (let dx = 0; dx < d.cell; dx++, i += 4) {
            p[i] = lut[level]; p[i + 1] = lut[level + 1]; p[i + 2] = lut[level + 2]; p[i + 3] = 255;
          }
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  if (d.labels && d.labels.length) {  // the output layer: each digit's probability in its cell
    ctx.font = "12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    d.labels.forEach((label, m) => {
      const level = levels[m] * 3;
      const light = 0.299 * lut[level] + 0.587 * lut[level + 1] + 0.114 * lut[level + 2] > 150;
      ctx.fillStyle = light ? "#000" : "#fff";
      ctx.fillText(label, (m % d.cols) * g.pitchX + d.cell / 2, Math.floor(m / d.cols) * g.pitchY + d.cell / 2);
    });
  }
  canvas.setAttribute("data-drawn", "true");
}

function showLegend(box, d, map) {  // the scale bar for the whole picture, or for map `map`
  const legend = box.parentElement.querySelector(".dl-legend");
  if (!legend || !d.legend || !d.legend.length) return;
  const own = d.legend.length > 1, [low, high] = d.legend[own ? map || 0 : 0];
  legend.querySelector(".dl-low").textContent = format(low);
  legend.querySelector(".dl-high").textContent = format(high);
  legend.querySelector(".dl-note").textContent = own
    ? `colours of map ${map || 0} (each map has its own range; hover a map for its own)` : "";
  legend.setAttribute("data-low", String(low));
  legend.setAttribute("data-high", String(high));
  legend.setAttribute("data-map", String(own ? map || 0 : -1));
  legend.hidden = false;
}

function paintBar(box, d) {  // the colour table as a CSS gradient, level 0 at the left, 255 at the right
  const bar = box.parentElement.querySelector(".dl-bar");
  if (!bar) return;
  const lut = decodeBase64(d.lut), stops = [];
  for (let i = 0; i <= 255; i += 17) stops.push(`rgb(${lut[3 * i]},${lut[3 * i + 1]},${lut[3 * i + 2]}) ${(i / 2.55).toFixed(1)}%`);
  bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
}

function cellAt(d, nx, ny) {  // native pixel -> [index into values, map, row, col] or null
  const g = geometry(d);
  const tx = Math.floor(nx / g.pitchX), ty = Math.floor(ny / g.pitchY);
  const ix = nx - tx * g.pitchX, iy = ny - ty * g.pitchY;
  if (tx < 0 || ty < 0 || tx >= d.cols || ix >= d.w * d.cell || iy >= d.h * d.cell) return null;
  const map = ty * d.cols + tx;
  if (map >= d.count) return null;
  const row = Math.floor(iy / d.cell), col = Math.floor(ix / d.cell);
  return [(map * d.h + row) * d.w + col, map, row, col];
}

function format(v) {
  if (v === 0) return "0";
  return Number.isFinite(v) ? (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(3)) : String(v);
}

async function hover(box, event) {
  const d = box.__data, tip = box.querySelector(".dl-tip");
  const canvas = box.querySelector(".dl-canvas");
  if (!d || !canvas.width) return;
  const rect = canvas.getBoundingClientRect();
  const x = event.clientX - rect.left, y = event.clientY - rect.top;
  const cell = cellAt(d, Math.floor(x * canvas.width / rect.width), Math.floor(y * canvas.height / rect.height));
  if (!cell) { tip.hidden = true; return; }
  if (!box.__values || box.__values.data !== d) {  // inflated once per picture, on the first hover
    const bytes = await inflate(d.values), view = new DataView(bytes.buffer);
    box.__values = { data: d, values: Array.from({ length: bytes.length / 2 }, (_, i) => half(view.getUint16(2 * i, true))) };
  }
  if (box.__data !== d) return;
  const [index, map, row, col] = cell, v = box.__values.values[index];
  if (d.legend && d.legend.length > 1) showLegend(box, d, map);
  tip.textContent = d.kind === "map" ? `map ${map}, row ${row}, col ${col}: activation ${format(v)}`
    : d.kind === "digit" ? `digit ${map}: probability ${(100 * v).toFixed(1)}%`
    : `unit ${map}: activation ${format(v)}`;
  tip.hidden = false;
  const left = x + 12 + tip.offsetWidth > rect.width ? x - 12 - tip.offsetWidth : x + 12;
  tip.style.left = left + "px";
  tip.style.top = y + 14 + "px";
}

export default function (component) {
  const { parentElement, data } = component;
  const box = parentElement.querySelector(".dl-box");
  if (!box.__wired) {
    box.__wired = true;
    const canvas = box.querySelector(".dl-canvas");
    canvas.addEventListener("mousemove", (e) => { hover(box, e); });
    canvas.addEventListener("mouseleave", () => { box.querySelector(".dl-tip").hidden = true; });
  }
  const old = box.__data;
  if (!data || !data.levels || (old && old.levels === data.levels && old.values === data.values
                                && JSON.stringify(old.legend) === JSON.stringify(data.legend)
                                && old.scale === data.scale && old.cols === data.cols)) return;
  box.__data = data;
  paintBar(box, data);
  showLegend(box, data, 0);
  box.querySelector(".dl-canvas").setAttribute("aria-label", data.kind === "map"
    ? `${data.count} feature maps of ${data.h}×${data.w}` : `${data.count} units`);
  paint(box, data);
}
