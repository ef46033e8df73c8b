"""The small SVG and HTML pieces of the MoE page: sparklines (app.moe.svg.spark_row) and the figure cards."""

import re

from app.moe import svg


def test_one_mark_per_panel_with_history_and_none_without():
    row = svg.spark_row([("Max share", [0.2, 0.5, 0.4], "area"), ("Dead", [0, 1, 3], "bar"),
                         ("Loss", [1.0, 0.5], "line"), ("Step", None, "line")])
    assert row.startswith("<svg") and row.endswith("</svg>")
    assert row.count("<polyline") == 2  # area and line; the bar panel draws rects, "Step" nothing
    assert row.count("<polygon") == 1
    assert row.count("<rect") == 3
    assert "Step" not in row


def test_panels_stay_in_their_columns_and_scale_to_their_range():
    width, height = 640, 34
    row = svg.spark_row([("a", [5.0, 7.0], "line"), ("b", [0.1, 0.3, 0.2], "line")], width=width, height=height,
                        gap=16)
    first, second = re.findall(r'<polyline points="([^"]+)"', row)
    xs1 = [float(p.split(",")[0]) for p in first.split()]
    xs2 = [float(p.split(",")[0]) for p in second.split()]
    assert max(xs1) < min(xs2)  # side by side, no overlap
    assert max(xs2) <= width
    ys1 = [float(p.split(",")[1]) for p in first.split()]
    assert ys1[0] > ys1[1]  # 5 -> 7 rises (SVG y grows downwards)
    assert min(ys1) >= 0 and max(ys1) <= height  # each panel spans its own range inside the row


def test_metric_cards_carry_each_label_value_help_and_sparkline():
    html = svg.metric_cards([[("Max share", "41%", 'Even: 12%; "collapsed" <100 %>', [0.2, 0.4], "area"),
                              ("Step", "282", "", None, "line")]], summary_html="<strong>Collapse</strong>")
    cards = re.findall(r'<div class="moe-metric"[^>]*data-label="([^"]+)">(.*?)</div></div>', html)
    assert [label for label, _ in cards] == ["Max share", "Step"]
    assert re.search(r'data-label="Max share">.*?<div class="moe-value">41%</div>', html)
    assert re.search(r'data-label="Step">.*?<div class="moe-value">282</div>', html)
    assert 'title="Even: 12%; &quot;collapsed&quot; &lt;100 %&gt;"' in html  # help text escaped in its tooltip
    assert html.count("<svg") == 1  # a sparkline for the card with history only
    assert html.count('class="moe-help"') == 1  # no help icon without help text
    assert '<p class="moe-summary"><strong>Collapse</strong></p>' in html


def test_line_charts_put_round_ticks_up_to_just_above_the_largest_value():
    from app.svg_charts import line_chart, nice_step

    assert [nice_step(r) for r in (0.38, 0.1, 0.011, 1.2, 7.0)] == [0.5, 0.1, 0.02, 2.0, 10.0]
    chart = line_chart([1, 2, 3], {"loss": ([1.52, 0.3, 0.14], "#000", "none")}, False, "Loss", x_label="epoch",
                       x_min=1.0)
    grid = r'<line x1="[^"]+" x2="[^"]+" y1="([^"]+)"[^>]*stroke="#ddd"[^>]*/><text[^>]*>([^<]+)</text>'
    ticks = re.findall(grid, chart)
    assert [label for _, label in ticks] == ["0", "0.5", "1", "1.5", "2"]
    ys = [float(y) for y, _ in ticks]
    assert all(abs((a - b) - (ys[0] - ys[1])) < 0.11 for a, b in zip(ys, ys[1:], strict=False))  # evenly spaced
    flat = line_chart([0, 1], {"zero": ([0.0, 0.0], "#000", "none")}, False, "t")
    assert [label for _, label in re.findall(grid, flat)] == [
        "0", "0.25", "0.5", "0.75", "1"]
