"""The one report writer of the benchmarks: markdown built block by block from records, figures saved beside it.

A benchmark's `write_report` says what is specific to it (which rows, which verdicts, which curves) and leaves
the rest here: the header, markdown tables, number formats, figure files named after the report and linked
relatively, the closing "Optimizer settings measured" section, and the statistics several reports use
(win / tie / loss counts, the paired Wilcoxon test), and :func:`run_report_command`, the `--report` step of the
grid commands::

    value = number_format(fixed=(1e-3, 1e4))
    report = Report("docs/results/bo.md", "BO experiments").generated_by(command, len(records), "gennes-bo bo")
    report.section("Results").table(["optimizer", "final best"], [["gennes", value(0.012)]])
    report.figure("curves", lambda path: plot_curves(records, path), heading="Curves", caption="...", alt="curves")
    text = report.settings(records, "bo").write()  # docs/results/bo.md, linking bo_curves.png beside it

Blocks (headings, paragraphs, tables, figures) are separated by one blank line and the file ends with a newline.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import scipy.stats

from gennes_bo.compare.records import records_or_exit

# ---------------------------------------------------------------------------------------------- formatting


def number_format(digits: int = 3, *, fixed: tuple[float, float] = (1e-2, 1e4), whole_from: float = math.inf,
                  exponent_digits: int = 1) -> Callable[[float], str]:
    """A formatter of report numbers: `digits` significant digits in a fixed range, scientific outside it.

    Non-finite values read `nan`, `inf` and `-inf`; zero reads `0`.

    Args:
        digits: Significant digits for `fixed[0] <= |value| < fixed[1]`.
        fixed: The range of magnitudes written with `digits` significant digits.
        whole_from: Magnitudes from here (within `fixed`) are rounded to whole numbers instead.
        exponent_digits: Decimals of the mantissa outside `fixed` (`1.2e-05` for 1).

    Returns:
        `value -> text`, e.g. `number_format()(1234.5) == "1234"` with `whole_from=100`.

    Raises:
        ValueError: For `digits < 1`, `exponent_digits < 0` or an empty `fixed` range.
    """
    if digits < 1:
        raise ValueError(f"`digits` must be >= 1, got {digits}")
    if exponent_digits < 0:
        raise ValueError(f"`exponent_digits` must be >= 0, got {exponent_digits}")
    if not 0 <= fixed[0] < fixed[1]:
        raise ValueError(f"`fixed` must be a range (low, high) with 0 <= low < high, got {fixed}")

    def format_number(value: float) -> str:
        if not math.isfinite(value):
            return str(float(value))
        if value == 0:
            return "0"
        if fixed[0] <= abs(value) < fixed[1]:
            return f"{value:.0f}" if abs(value) >= whole_from else f"{value:.{digits}g}"
        return f"{value:.{exponent_digits}e}"

    return format_number


def wtl_text(wtl: Sequence[int] | None, separator: str = "/") -> str:
    """`(wins, ties, losses)` as `3/1/0` (`—` for None: no comparison)."""
    return "—" if wtl is None else separator.join(map(str, wtl))


def power_of_ten(n: int) -> str:
    """`1e4` for 10000; any other count as it is."""
    return f"1e{round(math.log10(n))}" if n > 0 and 10 ** round(math.log10(n)) == n else str(n)


# ---------------------------------------------------------------------------------------------- statistics


def median_or_nan(values: Iterable[float]) -> float:
    """The median of `values`, NaN for none."""
    values = list(values)
    return statistics.median(values) if values else math.nan


def win_tie_loss(scores: Iterable[float], tolerance: float, center: float = 0.0) -> tuple[int, int, int]:
    """`(wins, ties, losses)` of paired scores, higher is better: a tie is within `tolerance` of `center`.

    Args:
        scores: One score per pair, e.g. a relative gain (center 0) or a ratio (center 1); negate differences of
            a quantity to minimize.
        tolerance: Largest distance from `center` that still counts as a tie, >= 0.
        center: The score of two equal results.
    """
    scores = list(scores)
    return (sum(s > center + tolerance for s in scores), sum(abs(s - center) <= tolerance for s in scores),
            sum(s < center - tolerance for s in scores))


def paired_p_value(differences: Sequence[float], alternative: str = "two-sided") -> float:
    """p-value of the Wilcoxon signed-rank test on paired differences (scipy's; two-sided by default, `"less"`
    tests that the differences tend to be negative).

    Pairs with equal values (digits' test errors often are) are dropped, as in Wilcoxon's original test; 1.0
    when no pair differs.
    """
    nonzero = [d for d in differences if d != 0]
    if not nonzero:
        return 1.0
    return float(scipy.stats.wilcoxon(nonzero, alternative=alternative).pvalue)


# ----------------------------------------------------------------------------------------------- markdown


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table: a header of `columns` and one line per row (cells written with `str`).

    Raises:
        ValueError: For a row with another number of cells than `columns`.
    """
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"each row must have {len(columns)} cells (the columns), got {len(row)}: {row!r}")
        lines.append("| " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)


def describe_settings(value: Any) -> str:
    """Compact text of recorded settings, plain values before nested ones: `num_restarts=12, config(alpha=0.93, ...)`.

    A record's keys are sorted, so a flat JSON dump would bury the restarts behind a long GENNES configuration.
    """
    if not isinstance(value, Mapping):
        return json.dumps(value)
    plain = [f"{key}={describe_settings(item)}" for key, item in sorted(value.items()) if not isinstance(item, Mapping)]
    nested = [f"{key}({describe_settings(item)})" for key, item in sorted(value.items()) if isinstance(item, Mapping)]
    return ", ".join(plain + nested)


def settings_rows(records: Iterable[Mapping[str, Any]], kind: str) -> list[tuple[str, int, int, str]]:
    """For each optimizer and q of the `kind` records, the settings its runs recorded, with counts.

    Two settings under one name (records resumed across a change of a default before settings were checked)
    are two rows; records written before settings were recorded read "not recorded".

    Returns:
        `(optimizer, q, runs, settings)` rows, sorted.
    """
    counts: dict[tuple[str, int, str], int] = {}
    for record in records:
        spec = record["spec"]
        if spec.get("kind") != kind:
            continue
        text = f"`{describe_settings(record['settings'])}`" if "settings" in record else "not recorded"
        key = (spec["optimizer"], spec["q"], text)
        counts[key] = counts.get(key, 0) + 1
    return [(f"`{optimizer}`", q, n, text) for (optimizer, q, text), n in sorted(counts.items())]


class Report:
    """A markdown report built block by block, written with :meth:`write`; its figures are saved beside it.

    Every method but :meth:`figure` and :meth:`write` returns the report, so calls chain.

    Args:
        path: The markdown file; figures go beside it as `<its stem>_<name>.png`.
        title: The top heading.
    """

    def __init__(self, path: str | Path, title: str) -> None:
        self.path = Path(path)
        self._blocks = [f"# {title}"]

    def generated_by(self, command: str, n_records: int, source: str | None = None) -> Report:
        """The line that says the report is generated: by `command`, from `n_records` records (of `source`)."""
        of = f" of `{source}`" if source else ""
        return self.paragraph(f"Generated by `{command}` from {n_records} records{of}; do not edit by hand.")

    def section(self, title: str) -> Report:
        """A second-level heading."""
        return self._add(f"## {title}")

    def paragraph(self, *lines: str) -> Report:
        """A paragraph of `lines` (one line each; none: nothing)."""
        return self._add("\n".join(lines))

    def code(self, text: str) -> Report:
        """An indented code block, e.g. the command that regenerates the report."""
        return self._add("\n".join("    " + line for line in text.splitlines()))

    def bullets(self, items: Iterable[str]) -> Report:
        """A bullet list, an item a line (none: nothing)."""
        return self._add("\n".join(f"- {item}" for item in items))

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Report:
        """A markdown table (:func:`markdown_table`)."""
        return self._add(markdown_table(columns, rows))

    def figure_path(self, name: str) -> Path:
        """Where the figure `name` goes: beside the report as `<its stem>_<name>.png`."""
        return self.path.with_name(f"{self.path.stem}_{name}.png")

    def figure(self, name: str, draw: Callable[[Path], bool], *, heading: str, caption: str | Sequence[str],
               alt: str) -> bool:
        """A section with a figure: `draw(path)` saves it to :meth:`figure_path`; the report links it relatively.

        Args:
            name: The figure's name after the report's stem.
            draw: Saves the figure to the path it is given; returns False, writing nothing, if there is nothing
                to draw (then the section is left out).
            heading: The section's heading.
            caption: The paragraph under the heading (a string or its lines).
            alt: The image's alternative text.

        Returns:
            Whether the figure was drawn.
        """
        path = self.figure_path(name)
        if not draw(path):
            return False
        self.section(heading).paragraph(*([caption] if isinstance(caption, str) else caption))
        self._add(f"![{alt}]({path.name})")
        return True

    def settings(self, records: Iterable[Mapping[str, Any]], kind: str) -> Report:
        """The closing section: what each optimizer's defaults resolved to in its recorded `kind` runs (nothing
        without such runs)."""
        rows = settings_rows(records, kind)
        if not rows:
            return self
        return (self.section("Optimizer settings measured")
                .paragraph("What each optimizer's defaults resolved to in its recorded runs (`gennes-hybrid`'s "
                           "depend on q).")
                .table(["optimizer", "q", "runs", "settings"], rows))

    @property
    def text(self) -> str:
        """The markdown so far: blocks separated by a blank line, ending with a newline."""
        return "\n\n".join(self._blocks) + "\n"

    def write(self) -> str:
        """Write the markdown to :attr:`path` (parents created); return it."""
        text = self.text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(text)
        return text

    def _add(self, block: str) -> Report:
        if block:
            self._blocks.append(block)
        return self


def run_report_command(args: argparse.Namespace, command: str, write_report: Callable[..., str], *,
                       rerun_options: str = "", **options: Any) -> int:
    """The `--report` step of a grid command: write the report of the records in `args.out` to `args.report` and
    print it; exit with a message naming `command` when there are no records.

    Args:
        args: The command's arguments (`out`, `report`).
        command: The `gennes-bo` subcommand, e.g. `bo`.
        write_report: The benchmark's `write_report(records, path, command, **options) -> text`.
        rerun_options: Options the report's rerun command needs beyond `--out` and `--report` (` --seeds 5`).
        **options: Passed to `write_report`.
    """
    records = records_or_exit(args.out, f"gennes-bo {command} --out {args.out}")
    rerun = f"gennes-bo {command} --out {args.out} --report {args.report}{rerun_options}"
    print(write_report(records, args.report, rerun, **options))
    return 0
