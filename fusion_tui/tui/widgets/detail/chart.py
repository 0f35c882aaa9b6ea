"""Blocking probability against offered load, with 95% confidence bars when known."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from fusion_tui.monitor.progress import ErlangPoint


class BlockingChart(PlotextPlot):
    """A live chart fed with the Erlang points of a run."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._points: tuple[ErlangPoint, ...] = ()

    def on_mount(self) -> None:
        self._draw()

    def show_points(self, points: tuple[ErlangPoint, ...]) -> None:
        if points != self._points:
            self._points = points
            self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Blocking probability vs load")
        plt.xlabel("Erlang")
        known = [p for p in self._points if p.blocking is not None]
        if known:
            xs = [p.erlang for p in known]
            ys = [float(p.blocking or 0.0) for p in known]
            plt.plot(xs, ys, marker="braille")
            with_ci = [p for p in known if p.ci_lower is not None and p.ci_upper is not None]
            if with_ci:
                plt.error([p.erlang for p in with_ci], [float(p.blocking or 0) for p in with_ci],
                          yerr=[(float(p.ci_upper or 0) - float(p.ci_lower or 0)) / 2
                                for p in with_ci])
            if len(xs) == 1:
                plt.xlim(xs[0] - 1, xs[0] + 1)
        self.refresh()
