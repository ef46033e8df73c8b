// Click points onto the plane for the decision-boundary playground (components v2).
// The plane is [-6, 6]^2 drawn on a 300 x 300 canvas. A click adds a point of the
// chosen label (+1 blue, -1 orange) or, in erase mode (label 0), removes the nearest
// point within 0.6 units. Every change sends the whole list to Python.
export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const SIZE = 300, DOMAIN = 6;
  let state = parentElement.__pgState;
  if (!state) {
    state = { points: [], revision: null, sent: 0 };
    parentElement.__pgState = state;
    const canvas = parentElement.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    const toPx = (v) => ((v + DOMAIN) / (2 * DOMAIN)) * SIZE;
    state.redraw = () => {
      ctx.clearRect(0, 0, SIZE, SIZE);
      ctx.strokeStyle = "#ddd";
      ctx.beginPath();
      ctx.moveTo(SIZE / 2, 0); ctx.lineTo(SIZE / 2, SIZE);
      ctx.moveTo(0, SIZE / 2); ctx.lineTo(SIZE, SIZE / 2);
      ctx.stroke();
      for (const [x, y, label] of state.points) {
        ctx.beginPath();
        ctx.arc(toPx(x), toPx(-y), 4, 0, 2 * Math.PI);
        ctx.fillStyle = label > 0 ? "#0877bd" : "#f59322";
        ctx.fill();
        ctx.strokeStyle = "#fff";
        ctx.stroke();
      }
      parentElement.querySelector(".pg-hint").style.display = state.points.length ? "none" : "block";
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      const x = ((e.clientX - r.left) / r.width) * 2 * DOMAIN - DOMAIN;
      const y = DOMAIN - ((e.clientY - r.top) / r.height) * 2 * DOMAIN;
      const round = (v) => Math.round(Math.min(Math.max(v, -DOMAIN), DOMAIN) * 100) / 100;
      if (state.label === 0) {
        let best = -1, bestD = 0.36;
        state.points.forEach(([px, py], i) => {
          const d = (px - x) ** 2 + (py - y) ** 2;
          if (d < bestD) { best = i; bestD = d; }
        });
        if (best < 0) return;
        state.points.splice(best, 1);
      } else {
        state.points.push([round(x), round(y), state.label]);
      }
      state.redraw();
      state.sent += 1;
      state.setStateValue("points", { points: state.points, version: state.sent, revision: state.revision });
    });
  }
  state.setStateValue = setStateValue;
  state.label = Number(data && data.label) || 0;
  if (data && data.revision !== state.revision) {
    state.revision = data.revision;
    state.points = Array.isArray(data.points) ? data.points.map((p) => [Number(p[0]), Number(p[1]), Number(p[2])]) : [];
  }
  state.redraw();
}
