// One inline SVG picture of the decision-boundary playground (components v2).
// Python sends the markup; the browser's own HTML parser takes it in one innerHTML
// assignment, and only when it changed. (Markdown with raw HTML went through the
// page's Markdown pipeline on every update: most of the browser's time per frame.)
export default function (component) {
  const { parentElement, data } = component;
  const box = parentElement.querySelector(".pg-svg");
  const markup = (data && typeof data.svg === "string") ? data.svg : "";
  if (box.__markup !== markup) {
    box.innerHTML = markup;
    box.__markup = markup;
  }
}
