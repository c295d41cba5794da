"""The refusal of a run whose estimated peak memory exceeds what it may use: what it needs and
the cap, then the options that shrink it. A caller that offers only some of those options (the
CLI: `approx compare` has no --eps, --C or --dtype) asks for the message naming only its own
(`for_options`); the library's message names them all."""

from __future__ import annotations

from collections.abc import Container, Sequence

from ..basics.errors import InvalidArgument


class MemoryRefusal(InvalidArgument):
    """`need`: the estimate, its parts and the cap exceeded, in words; `n`: the samples per
    weight used (`theorem`: the theorem's, not the caller's); `ascent`: whether the empirical
    ascent's activations are the largest part (`ascent_steps=0` drops them)."""

    def __init__(self, need: str, n: Sequence[int], *, theorem: bool, ascent: bool) -> None:
        self.need, self.n, self.theorem, self.ascent = need, tuple(n), theorem, ascent
        super().__init__(self.for_options(None))

    def __reduce__(self):
        # by its parts: a sweep worker's refusal is pickled back to its client
        return _rebuild, (self.need, self.n, self.theorem, self.ascent)

    def for_options(self, offered: Container[str] | None) -> str:
        """The message naming only the arguments in `offered` (None: every one)."""

        def has(name: str) -> bool:
            return offered is None or name in offered

        notes = ["the theorem's value"] if self.theorem else []
        knobs = [text for name, text in (("eps", "raise eps"), ("C", "lower C")) if has(name)]
        if knobs:
            notes.append("or " + ", ".join(knobs))
        lower = [f"n={list(self.n)}" + (f" ({'; '.join(notes)})" if notes else "")]
        if has("widths"):
            lower.append("the widths")
        advice = "lower " + (", ".join(lower) if has("dtype") else " or ".join(lower))
        if has("dtype"):
            advice += ", or use dtype='float32'"
        if self.ascent and has("ascent_steps"):
            advice = "ascent_steps=0 drops the ascent's activations; " + advice
        return f"{self.need}; {advice}"


def _rebuild(need: str, n: tuple[int, ...], theorem: bool, ascent: bool) -> MemoryRefusal:
    return MemoryRefusal(need, n, theorem=theorem, ascent=ascent)
