"""Small Playwright helpers for the end-to-end tests: waiting, finding by key, drawing.

Coordinates given to :func:`draw` are canvas pixels (the canvas is 280×280),
the same space as :func:`engine.digits.strokes.render_strokes`.
"""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import Locator, Page, expect

CANVAS_SIZE = 280
"""Side of the drawing canvas in canvas pixels."""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
"""The app root once the script run (and any fragment run) has finished."""

Point = tuple[float, float]


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the script run an action started."""
    # A click reaches the server asynchronously: give the state a moment to flip to
    # "running" so that we do not return on the "notRunning" of the previous run.
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE, timeout=timeout)


def by_key(page: Page, key: str) -> Locator:
    """The element or container created with ``key=key`` (Streamlit's ``.st-key-<key>`` class)."""
    return page.locator(f".st-key-{key}")


def open_digit_page(page: Page, base_url: str) -> None:
    """Open the app at its root, then go to the draw-a-digit page through the sidebar.

    The way a student who starts at the home page gets there; :func:`open_digit_page_direct`
    opens the page by its deep link instead.
    """
    page.goto(base_url + "/")
    wait_idle(page)
    page.get_by_role("link", name="Draw a digit").click()
    wait_idle(page)
    expect(canvas(page)).to_be_visible(timeout=30_000)


def open_digit_page_direct(page: Page, base_url: str, query: str = "") -> None:
    """Open the draw-a-digit page by its deep link, ``/draw-digit``, with an optional query string.

    ``query`` is what follows the ``?`` (``"digits_pen_width=20"``); a leading ``?`` is allowed.
    """
    query = query.removeprefix("?")
    page.goto(f"{base_url}/draw-digit" + (f"?{query}" if query else ""))
    wait_idle(page)
    expect(canvas(page)).to_be_visible(timeout=30_000)


def canvas(page: Page) -> Locator:
    """The drawing surface (inside the component's open shadow root, which CSS pierces)."""
    return by_key(page, "digits_canvas").locator("canvas").first


def draw(page: Page, strokes: Sequence[Sequence[Point]], steps: int = 4) -> None:
    """Draw ``strokes`` (each a list of canvas points) with the mouse, one pointer-up per stroke.

    The component sends the strokes on every pointer-up; wait for the rerun
    that follows with :func:`wait_idle` or an ``expect``.
    """
    surface = canvas(page)
    surface.scroll_into_view_if_needed()
    box = surface.bounding_box()
    assert box is not None, "the canvas is not rendered"

    def to_page(point: Point) -> Point:
        return (box["x"] + point[0] * box["width"] / CANVAS_SIZE,
                box["y"] + point[1] * box["height"] / CANVAS_SIZE)

    for stroke in strokes:
        first, *rest = [to_page(p) for p in stroke]
        page.mouse.move(*first)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(x, y, steps=steps)
        page.mouse.up()


def clear_canvas(page: Page) -> None:
    """Press the component's own Clear button."""
    by_key(page, "digits_canvas").locator("button.clear").click()


def first_guess(page: Page) -> Locator:
    """The value of the "First guess" metric."""
    metric = by_key(page, "digits_guesses").locator('[data-testid="stMetric"]').filter(has_text="First guess")
    return metric.locator('[data-testid="stMetricValue"]')


def no_exception(page: Page) -> None:
    """The "must not happen" check: no Streamlit exception box on the page."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
