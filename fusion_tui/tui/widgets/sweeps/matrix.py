"""A sweep's grid as a table: one row per combination of the row axes, one column per
value of the last axis, each cell its runs by status and its mean blocking. Rebuilt only
when the grid's shape changes; otherwise its cells are updated in place (the cursor
stays)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from fusion_tui.sweeps.matrix import Cell, Matrix
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.sweeps.counts import cell_text


class SweepMatrix(DataTable[Text]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell")
        self.matrix: Matrix | None = None
        self._shape: tuple[object, ...] | None = None

    def show(self, matrix: Matrix) -> None:
        self.matrix = matrix
        shape = (tuple(matrix.row_keys), matrix.column_key, tuple(matrix.rows),
                 tuple(matrix.columns))
        if shape != self._shape:
            self._shape = shape
            self.clear(columns=True)
            rows = "/".join(k.partition(".")[2] for k in matrix.row_keys)
            across = (matrix.column_key or "").partition(".")[2]
            self.add_column(safe(f"{rows} \\ {across}" if rows else across, 40), key="__row")
            for col in matrix.columns:
                self.add_column(safe(col, 24), key=col)
            for i, row in enumerate(matrix.rows):
                cells = [cell_text(matrix.cells[(row, col)]) for col in matrix.columns]
                self.add_row(safe(" / ".join(row), 30), *cells, key=str(i))
            if matrix.columns:  # on the first point, not its row's name: enter opens it
                self.move_cursor(row=0, column=1)
            return
        for i, row in enumerate(matrix.rows):
            for col in matrix.columns:
                self.update_cell(str(i), col, cell_text(matrix.cells[(row, col)]),
                                 update_width=True)

    def current_cell(self) -> Cell | None:
        """The grid point under the cursor (None on the column of row names)."""
        matrix = self.matrix
        if matrix is None:
            return None
        row_index, col_index = self.cursor_coordinate
        col_index -= 1  # the first column names the row
        if not (0 <= row_index < len(matrix.rows) and 0 <= col_index < len(matrix.columns)):
            return None
        return matrix.cells[(matrix.rows[row_index], matrix.columns[col_index])]
