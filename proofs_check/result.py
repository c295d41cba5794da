"""The one result type every check returns, so a runner can tabulate any of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Method = Literal["symbolic", "certified grid", "monte carlo"]
Status = Literal["pass", "fail"]

METHODS: tuple[str, ...] = ("symbolic", "certified grid", "monte carlo")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one claim of one paper.

    `status` is "pass" only when the claim was proven (symbolic, certified grid) or the data are
    consistent with it at the stated confidence (monte carlo). `detail` says how: the cells or
    grid covered, or the sample size and interval. `finding` is non-empty when a published
    statement (in the paper, or as it is commonly quoted; docs/references.md) does not hold as
    written even though the corrected claim checked here passes. `config` carries the claim as
    checked, seeds and sample sizes, so a row of the report can be reproduced.
    """

    name: str
    paper: str
    statement: str
    method: Method
    status: Status
    detail: str
    finding: str = ""
    config: dict[str, object] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        assert self.method in METHODS, self.method
        assert self.status in ("pass", "fail"), self.status

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def status_of(ok: bool) -> Status:
    return "pass" if ok else "fail"
