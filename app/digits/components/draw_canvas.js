// A drawing canvas for Streamlit (components v2).
// Draws white strokes on black and sends the strokes as vectors to Python on
// every pointer-up (no debounce), on Undo and on Clear. Pointer events cover the
// mouse, a pen and touch. Coordinates are in canvas pixels (SIZE x SIZE).
// Pen / Eraser picks what the next stroke does: an eraser stroke is a stroke with
// `erase: true`, twice the pen's width, drawn in black over the ink before it.
export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const SIZE = 280;
  let state = parentElement.__drawState;
  if (!state) {
    // Start from the strokes Python already has (the canvas may be mounted again).
    const initial = Array.isArray(data && data.strokes) ? data.strokes : [];
    state = {
      strokes: initial
        .filter((s) => s && Array.isArray(s.points) && s.points.length)
        .map((s) => ({ width: Number(s.width) || 18, points: s.points, erase: s.erase === true })),
      current: null,
      sent: 0,
      erasing: false,
    };
    parentElement.__drawState = state;
    const canvas = parentElement.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    state.canvas = canvas;
    state.ctx = ctx;

    const redraw = () => {
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, SIZE, SIZE);
      for (const s of state.strokes) drawStroke(s);
      if (state.current) drawStroke(state.current);
      parentElement.querySelector(".hint").style.display =
        state.strokes.length || state.current ? "none" : "block";
    };
    const drawStroke = (s) => {
      ctx.strokeStyle = s.erase ? "#000" : "#fff";
      ctx.fillStyle = s.erase ? "#000" : "#fff";
      ctx.lineWidth = s.width;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      const p = s.points;
      if (p.length === 1) {
        ctx.beginPath();
        ctx.arc(p[0][0], p[0][1], s.width / 2, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      ctx.beginPath();
      ctx.moveTo(p[0][0], p[0][1]);
      for (let i = 1; i < p.length; i++) ctx.lineTo(p[i][0], p[i][1]);
      ctx.stroke();
    };
    const send = () => {
      state.sent += 1;
      state.setStateValue("strokes", {
        strokes: state.strokes.map((s) => (s.erase ? { width: s.width, points: s.points, erase: true }
                                                   : { width: s.width, points: s.points })),
        version: state.sent,
      });
    };
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      const x = ((e.clientX - r.left) * SIZE) / r.width;
      const y = ((e.clientY - r.top) * SIZE) / r.height;
      return [Math.round(Math.min(Math.max(x, 0), SIZE) * 10) / 10,
              Math.round(Math.min(Math.max(y, 0), SIZE) * 10) / 10];
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      state.current = state.erasing
        ? { width: Math.min(2 * state.penWidth, 80), points: [point(e)], erase: true }
        : { width: state.penWidth, points: [point(e)] };
      redraw();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!state.current) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) state.current.points.push(point(ev));
      redraw();
    });
    const finish = (e) => {
      if (!state.current) return;
      if (e && e.type !== "pointercancel") state.current.points.push(point(e));
      const stroke = state.current;
      state.current = null;
      if (stroke.erase && !state.strokes.some((s) => !s.erase)) {  // nothing to erase: keep nothing
        redraw();
        showTool("nothing to erase yet");
        return;
      }
      state.strokes.push(stroke);
      redraw();
      send();
    };
    const showTool = (note) => {
      const size = state.erasing ? Math.min(2 * state.penWidth, 80) : state.penWidth;
      parentElement.querySelector(".pen").textContent =
        `${state.erasing ? "eraser" : "pen"} ${size}px` + (note ? ` · ${note}` : "");
    };
    const setMode = (erasing) => {
      state.erasing = erasing;
      parentElement.querySelector(".pen-mode").setAttribute("aria-checked", String(!erasing));
      parentElement.querySelector(".eraser-mode").setAttribute("aria-checked", String(erasing));
      canvas.classList.toggle("erasing", erasing);
      showTool();
    };
    parentElement.querySelector(".pen-mode").addEventListener("click", () => setMode(false));
    parentElement.querySelector(".eraser-mode").addEventListener("click", () => setMode(true));
    state.showTool = showTool;
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    parentElement.querySelector(".undo").addEventListener("click", () => {
      if (!state.strokes.length) return;
      state.strokes.pop();
      redraw();
      send();
    });
    parentElement.querySelector(".clear").addEventListener("click", () => {
      if (!state.strokes.length) return;
      state.strokes = [];
      redraw();
      send();
      setMode(false);
    });
    state.redraw = redraw;
    redraw();
  }
  state.setStateValue = setStateValue;
  const width = Number((data && data.pen_width) || 18);
  state.penWidth = Math.min(Math.max(width, 2), 60);
  state.showTool();
}
