"""The parts of an analysis as a declarative table: one :class:`PartSpec` per part.

Each analysis declares its parts in report order (its ``PARTS``) as a tuple of
:class:`PartSpec`: the part's heading, definition, method and population (text
templates filled from the call's settings), the private function that computes it,
the shared inputs it needs, the numeric columns that label its rows and its chart.
An analysis then reads: check the arguments, build one *run* (the checked arguments
and the shared inputs, each a ``functools.cached_property`` so that it is computed
once, on first use), :func:`compute_parts`, assemble the bundle and its notes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pathaudit.result import Note, Result, make_result

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["NotComputed", "PartRun", "PartSpec", "compute_parts"]


class PartRun(Protocol):
    """What every run of an analysis offers its parts.

    ``texts`` holds the values the text templates name (``{k}``, ``{bootstrap}``, ...);
    ``common`` the :func:`~pathaudit.result.make_result` arguments every part of the
    call shares (``data``, ``alpha``, ``k``, and for some analyses the population and
    metadata such as ``n_in``). Shared inputs are further attributes, named in
    :attr:`PartSpec.needs`.
    """

    @property
    def texts(self) -> Mapping[str, Any]:
        """The values the templates name."""

    @property
    def common(self) -> Mapping[str, Any]:
        """The ``make_result`` arguments every part shares."""


R = TypeVar("R", bound=PartRun)


@dataclass(frozen=True)
class NotComputed:
    """What a part's function returns when the data cannot give the part: the reason."""

    reason: str


@dataclass(frozen=True)
class PartSpec(Generic[R]):
    """One part of an analysis.

    Attributes
    ----------
    name
        The part's name (a value of the analysis's ``PARTS`` and of ``parts=``).
    analysis
        Heading of the part's Result (``meta["analysis"]``); a template.
    definition, method
        ``meta["definition"]`` and ``meta["method"]``; templates filled with
        ``str.format(**run.texts)``.
    compute
        ``compute(run, spec)``: the private function that computes the part and
        returns its Result (built with :meth:`result`), a :class:`NotComputed` or None.
    needs
        Attributes of the run (shared inputs) the part reads; :func:`compute_parts`
        computes them just before the part (each once: they are cached on the run).
    groups
        The group columns of the part's table: what each row describes (kept in
        suppressed rows; :func:`~pathaudit.result.make_result`).
    plotter
        The part's chart, or None.
    population
        ``meta["population"]`` template; None: the run's ``common["population"]``.
    caveats
        Texts added as notes of kind ``"caveat"`` whenever the part is computed.
    """

    name: str
    analysis: str
    definition: str
    method: str
    compute: Callable[[R, PartSpec[R]], Result | NotComputed | None]
    needs: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    plotter: Callable[..., Axes] | None = None
    population: str | None = None
    caveats: tuple[str, ...] = ()

    def text(self, template: str, run: R) -> str:
        """``template`` filled with the run's settings."""
        return template.format(**run.texts)

    def result(self, run: R, table: Any, **extra: Any) -> Result:
        """The part's Result: ``make_result`` with the spec's texts, labels and chart.

        ``extra`` (further ``make_result`` arguments and metadata) comes before the
        run's ``common`` arguments, so the metadata keeps that order.
        """
        common = dict(run.common)
        if self.population is not None:
            common["population"] = self.text(self.population, run)
        if self.plotter is not None:
            extra = {"plotter": self.plotter, **extra}
        extra = {"groups": self.groups, **extra}
        return make_result(
            table,
            analysis=self.text(self.analysis, run),
            definition=self.text(self.definition, run),
            method=self.text(self.method, run),
            **extra,
            **common,
        )


def compute_parts(
    specs: Sequence[PartSpec[R]], want: Collection[str], run: R
) -> tuple[dict[str, Result], list[Note]]:
    """Compute the parts asked for, in the order of ``specs``.

    Returns
    -------
    (dict of str to Result, list of Note)
        The parts computed (a part whose function returns None is left out) and the
        notes the parts add: a ``"not computed"`` note for each :class:`NotComputed`,
        then each computed part's caveats.
    """
    out: dict[str, Result] = {}
    notes: list[Note] = []
    for spec in specs:
        if spec.name not in want:
            continue
        for need in spec.needs:
            getattr(run, need)
        got = spec.compute(run, spec)
        if isinstance(got, NotComputed):
            notes.append(Note("not computed", got.reason, spec.name))
        elif got is not None:
            out[spec.name] = got
            notes += [Note("caveat", text, spec.name) for text in spec.caveats]
    return out, notes
