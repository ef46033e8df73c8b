"""Small Playwright helpers for the end-to-end tests: waiting, finding by key, drawing.

Coordinates given to :func:`draw` are canvas pixels (the canvas is 280×280),
the same space as :func:`engine.digits.strokes.render_strokes`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from playwright.sync_api import Locator, Page, expect

from app.live import SLOWEST_UPDATE

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


def read_number(locator: Locator, timeout: float = 5.0, pattern: str | None = None) -> float:
    """The number ``locator`` shows ("1,234", "57 %"), or ``pattern``'s first group in its text. An update that
    replaces the element mid-read is read again; if no number can be read within ``timeout`` seconds this
    raises (never a NaN that quietly fails a comparison)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = locator.inner_text(timeout=1_000)
            if pattern is not None:
                text = re.search(pattern, text).group(1)
            return float(text.replace(",", "").replace("%", "").strip())
        except Exception as error:  # replaced mid-read by the next update  # noqa: BLE001
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read a number from {locator}: {error}") from error
            time.sleep(0.05)


def wait_for_number_change(read: Callable[[], float], before: float, timeout: float = 30.0) -> float:
    """Poll ``read()`` (which raises when it cannot read) until it differs from ``before``; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.05)
    raise AssertionError(f"still {before!r} after {timeout} s")


SLOWEST_UPDATE_MS = SLOWEST_UPDATE * 1000
"""The longest interval between a live page's updates (it backs off to this when the server is slow), in ms."""


def check_pause_then_step(page: Page, counter: Callable[[], float], play: Locator, pause: Locator, step: Locator,
                          step_units: float | None = None) -> float:
    """Pause a playing run, then Step it, waiting on state rather than on time.

    Reads the counter, presses Pause and waits until the buttons say paused (Play and Step enabled, Pause
    disabled); lets two of the longest update intervals pass and asserts the counter has not moved; presses
    Step and asserts it moved by exactly ``step_units`` (or, when one Step's work is timed, by some), then
    that it stays there. Returns the counter after the Step.
    """
    before = counter()
    pause.click()
    expect(play).to_be_enabled(timeout=30_000)
    expect(step).to_be_enabled(timeout=30_000)
    expect(pause).to_be_disabled(timeout=30_000)
    paused = counter()
    assert paused >= before
    page.wait_for_timeout(2 * SLOWEST_UPDATE_MS)  # two update intervals, however far the page had backed off
    assert counter() == paused, "Pause did not pause: the counter moved"
    step.click()
    stepped = wait_for_number_change(counter, paused)
    if step_units is None:
        assert stepped > paused
    else:
        assert stepped - paused == step_units, (paused, stepped)
    expect(play).to_be_enabled(timeout=30_000)
    page.wait_for_timeout(2 * SLOWEST_UPDATE_MS)
    assert counter() == stepped, "Step did not stop after its update"
    return stepped
