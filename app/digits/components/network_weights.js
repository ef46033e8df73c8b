// The digit network's weights for the network view (components v2), handed over once per model by
// the page's full run. They go into a registry on the window, keyed by the model's tag; the view
// (network_view.js) reads them there and is told by an event when a model's weights arrive.

export default function (component) {
  const d = component.data;
  if (!d || typeof d.tag !== "string" || typeof d.conv1_w !== "string") return;
  const registry = (window.__mlDigitsNets = window.__mlDigitsNets || {});
  const old = registry[d.tag];
  if (old && old.raw.conv2_w === d.conv2_w && old.raw.fc1_w === d.fc1_w) return;  // the same model again
  registry[d.tag] = { raw: d, parsed: null };
  window.dispatchEvent(new CustomEvent("ml-digits-weights", { detail: d.tag }));
}
