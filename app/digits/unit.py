"""Inspect a unit: its weights, its input and its arithmetic, with the actual numbers."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import figures as common
from app.digits import figures
from app.digits import keys as K
from app.digits.conv_watch import conv_watch_data, show_conv_watch
from engine.digits import LAYERS
from engine.digits.explain import explain_unit


def _unit_keys(layer: str) -> dict[str, str]:
    """Widget keys of the unit pickers, one set per layer (each layer has its own ranges)."""
    return {"channel": f"{K.DIGITS_UNIT_CHANNEL}_{layer}", "row": f"{K.DIGITS_UNIT_ROW}_{layer}",
            "col": f"{K.DIGITS_UNIT_COL}_{layer}", "unit": f"{K.DIGITS_UNIT_INDEX}_{layer}",
            "chart": f"digits_unit_picker_{layer}"}


def _on_unit_clicked(layer: str) -> None:
    """A click on the picker chart: copy the clicked unit into the number inputs (before they are drawn)."""
    keys = _unit_keys(layer)
    state = st.session_state.get(keys["chart"])
    try:
        data = state["selection"]["points"][0]["customdata"]
    except (KeyError, IndexError, TypeError):
        return
    if isinstance(data, dict):  # Plotly may send an array as {"0": ..., "1": ...}
        try:
            data = [data[k] for k in sorted(data, key=int)]
        except (TypeError, ValueError):
            return
    if not isinstance(data, (list, tuple)):
        return
    if len(data) == 3:  # [map, row, col]
        for name, value in zip(("channel", "row", "col"), data, strict=True):
            st.session_state[keys[name]] = int(value)
    elif len(data) == 1:  # [unit]
        st.session_state[keys["unit"]] = int(data[0])


def unit_layer_control() -> str:
    """Which layer to inspect (in the URL; drawn even without a digit, so it keeps), outside the drawing's fragment."""
    titles = {name: title for name, title in LAYERS if name != "input"}
    return st.selectbox("Layer", list(titles), format_func=titles.get, key=K.DIGITS_UNIT_LAYER, bind="query-params")


def _index_input(label: str, size: int, default: int, key: str, help: str | None = None) -> int:
    """A 0-based index input; its first value is ``default``, a click on the picker may set it later.

    The value goes into the session state before the widget exists (never both a
    ``value`` argument and a state value, which Streamlit warns about).
    """
    if key not in st.session_state:
        st.session_state[key] = default
    return st.number_input(label, 0, size - 1, key=key, help=help, persist_state="session")


def unit_section(model, features: dict[str, np.ndarray] | None, layer: str) -> None:
    """Pick a unit of ``layer`` (click it, or type its position); show its weights, input and arithmetic.

    ``layer`` comes from :func:`unit_layer_control`; ``features`` is ``None`` when there
    is no digit. The page draws this into its box ``K.DIGITS_UNIT_BOX``, only while the
    tab is open.
    """
    if features is None:
        st.info("Draw a digit first: then pick any unit to see its weights, its input and its arithmetic.")
        return
    value = features[layer]
    keys = _unit_keys(layer)
    picker, numbers = st.columns([3, 1])
    with numbers:  # their values outlive a closed tab (persist_state="session")
        if value.ndim == 3:
            channel = _index_input("Map", value.shape[0], int(value.max(axis=(1, 2)).argmax()), keys["channel"])
            default_r, default_c = np.unravel_index(int(value[int(channel)].argmax()), value.shape[1:])
            row = _index_input("Row", value.shape[1], int(default_r), keys["row"])
            col = _index_input("Column", value.shape[2], int(default_c), keys["col"])
            index = (int(channel), int(row), int(col))
        else:
            unit = _index_input("Unit", value.shape[0], int(value.argmax()), keys["unit"],
                                help="Output units are digits 0–9.")
            index = (int(unit),)
    with picker:
        st.plotly_chart(figures.unit_picker_figure(value, index), key=keys["chart"], width="content",
                        on_select=lambda: _on_unit_clicked(layer), selection_mode="points",
                        config={"displayModeBar": False})
        st.caption("Click a unit to inspect it (each map coloured on its own range; hover for values).")
    info = explain_unit(model, features, layer, index)
    st.metric("Activation", f"{info.activation:.4f}", f"pre-activation {info.pre_activation:.4f}",
              delta_color="off", delta_arrow="off")
    st.code(info.formula, language=None, wrap_lines=True)
    if info.kind == "conv":
        _conv_unit(model, info, features, layer, index)
    elif info.kind == "pool":
        _pool_unit(info, features, layer, index)
    else:
        _dense_unit(info)


def _conv_unit(model, info, features, layer: str, index: tuple[int, ...]) -> None:
    channel, row, col = index
    k = info.weights.shape[-1]
    small = info.weights.shape[0] == 1
    where, filt, patch = st.columns(3)
    source = features["input"][0] if layer == "conv1" else features["pool1"].mean(axis=0)
    title = "Where it looks (input)" if layer == "conv1" else "Where it looks (mean of Downsampling 1)"
    fig = common.image_figure(source, title, zmin=None, zmax=None, scale=common.INK if layer == "conv1"
                               else common.ACTIVATION_SCALE)
    pad = k // 2
    where.plotly_chart(common.outline(fig, row - pad, col - pad, k, k), key="digits_unit_where",
                       config={"displayModeBar": False})
    filt.plotly_chart(common.diverging_figure(_flat_channels(info.weights), "Incoming weights (filter)",
                                               hover="weight", annotate=small),
                      key="digits_unit_weights", config={"displayModeBar": False})
    patch.plotly_chart(common.image_figure(_flat_channels(info.inputs), "Input patch", zmin=None, zmax=None,
                                            scale=common.ACTIVATION_SCALE, hover="input", annotate=small),
                       key="digits_unit_patch", config={"displayModeBar": False})
    st.caption("The unit multiplies each weight by the input value under it (zero padding beyond the edge), "
               "adds them up with the bias, and applies the activation. "
               + ("" if small else f"The filter has one {k}×{k} slice per input map ({info.weights.shape[0]} "
                                   f"slices, side by side)."))
    _terms_table(info)
    over = "the input" if layer == "conv1" else "its input maps"
    st.markdown(f"**Watch the convolution: filter {channel} sliding over {over}**  \n"
                ":small[:gray[Play, pause or step the filter across every position (point at a cell of the output "
                "map to read it, tap or click one to jump there): each position multiplies the window by the filter "
                "and adds it up, plus the bias. That sum is the unit's pre-activation; the map it builds is this "
                "filter's feature map.]]")
    show_conv_watch(conv_watch_data(model, features, layer, channel))


def _pool_unit(info, features, layer: str, index: tuple[int, ...]) -> None:
    channel, row, col = index
    source = "conv1" if layer == "pool1" else "conv2"
    where, window = st.columns(2)
    fig = common.image_figure(features[source][channel], f"Where it looks (map {channel} of the convolution)",
                               zmin=None, zmax=None, scale=common.ACTIVATION_SCALE)
    where.plotly_chart(common.outline(fig, 2 * row, 2 * col, 2, 2), key="digits_unit_where",
                       config={"displayModeBar": False})
    window.plotly_chart(common.image_figure(info.inputs, "2×2 window", zmin=None, zmax=None,
                                             scale=common.ACTIVATION_SCALE, annotate=True),
                        key="digits_unit_patch", config={"displayModeBar": False})
    st.caption("Max-pooling has no weights: it keeps the largest of four neighbouring values, halving the map's "
               "width and height, so a feature counts wherever it appears nearby.")


def _dense_unit(info) -> None:
    weights = info.weights
    image = _flat_channels(weights) if weights.ndim == 3 else weights[None, :]
    left, right = st.columns(2)
    with left:
        title = "Incoming weights (one 7×7 slice per map)" if weights.ndim == 3 else "Incoming weights"
        st.plotly_chart(common.diverging_figure(image, title, hover="weight"),
                        key="digits_unit_weights", config={"displayModeBar": False})
    with right:
        _terms_table(info)


def _terms_table(info) -> None:
    """The largest contributions as a Markdown table under its heading: one element, no dataframe to serialise."""
    if not info.top_terms:
        return
    rows = "\n".join(f"| {name} | {w:.4f} | {x:.4f} | {wx:.4f} |" for name, w, x, wx in info.top_terms)
    st.markdown(f"**Largest contributions w·x**\n\n| input | weight | value | w·x |\n|:--|--:|--:|--:|\n{rows}")


def _flat_channels(array: np.ndarray) -> np.ndarray:
    """Lay ``(C, h, w)`` slices side by side as ``(h, C*(w+1)-1)`` with NaN gaps."""
    if array.ndim == 2:
        return array
    c, h, w = array.shape
    out = np.full((h, c * (w + 1) - 1), np.nan, dtype=np.float32)
    for i in range(c):
        out[:, i * (w + 1) : i * (w + 1) + w] = array[i]
    return out
