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
export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const board = parentElement.querySelector(".pg-board");
  const d = data || {};
  let st = board.__pg;
  if (!st) {
    st = { layout: null, hrefs: {}, slots: {}, links: {}, ntitles: {}, n: 0,
           id: Math.random().toString(36).slice(2) };
    board.__pg = st;
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
    board.innerHTML = layout;
    st.layout = layout;
    st.hrefs = {}; st.slots = {}; st.links = {}; st.ntitles = {};
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
      if (s.title && p.firstChild && (prev.title || [])[i] !== s.title[i]) p.firstChild.textContent = s.title[i];
    }
    st.links[name] = s;
  }
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
