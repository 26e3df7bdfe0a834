"""Which providers still offer self-serve fine-tuning on a given day, from data/providers.yaml.

The facts are dated and sourced in the file; this module only compares their dates with the
day advisor runs. ``today()`` is that day: the ``ADVISOR_TODAY`` environment variable
(YYYY-MM-DD) when set, so tests and reproducible reports can fix it, else the system date.
"""

from __future__ import annotations

import datetime
import functools
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from advisor.errors import UsageError

PROVIDERS_FILE = Path(__file__).parent.parent / "data" / "providers.yaml"
TODAY_ENV = "ADVISOR_TODAY"


class ProviderTuning(BaseModel):
    """One provider's self-serve fine-tuning offering, as read on ``as_of``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    service: str
    offers_fine_tuning: bool = Field(description="It offered self-serve tuning on as_of.")
    as_of: datetime.date
    closed_to_new_customers: datetime.date | None = Field(
        None, description="From this date only organisations that already used it may tune."
    )
    closes: datetime.date | None = Field(None, description="From this date no new jobs at all.")
    source: str = Field(min_length=1)

    def open_on(self, day: datetime.date) -> bool:
        """Whether anyone can still start a tuning job on ``day``."""
        return self.offers_fine_tuning and (self.closes is None or day < self.closes)

    def status(self, day: datetime.date) -> str:
        """One clause for a report: what is on offer on ``day``, with the dates that matter."""
        if not self.open_on(day):
            if self.closes is None:
                return f"{self.provider} offers no self-serve fine-tuning"
            return f"{self.provider}'s {self.service} ended on {self.closes}"
        if self.closed_to_new_customers and day >= self.closed_to_new_customers:
            return (
                f"{self.provider}'s {self.service} takes no new organisations since"
                f" {self.closed_to_new_customers} and no new jobs from {self.closes}"
                if self.closes
                else f"{self.provider}'s {self.service} takes no new organisations since"
                f" {self.closed_to_new_customers}"
            )
        until = f" (until {self.closes})" if self.closes else ""
        return f"{self.provider}: {self.service}{until}"


class ProviderFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    providers: list[ProviderTuning] = Field(min_length=1)


def today() -> datetime.date:
    """The day advisor judges the offerings on (``ADVISOR_TODAY``, else the system date)."""
    fixed = os.environ.get(TODAY_ENV)
    if not fixed:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(fixed)
    except ValueError:
        raise UsageError(f"{TODAY_ENV} must be a date (YYYY-MM-DD), got {fixed!r}") from None


@functools.lru_cache(maxsize=2)
def load_providers(path: str | Path | None = None) -> tuple[ProviderTuning, ...]:
    from advisor.files import load_data_file

    p = Path(path) if path else PROVIDERS_FILE
    return tuple(load_data_file(p, ProviderFile, "providers").providers)


def provider_tuning(provider: str) -> ProviderTuning | None:
    """The file's entry for ``provider`` (case-insensitive), None when it has none."""
    return next((t for t in load_providers() if t.provider.lower() == provider.lower()), None)


def open_providers(day: datetime.date, new_customer: bool = True) -> list[ProviderTuning]:
    """The providers with which a tuning job can start on ``day``: by anyone
    (``new_customer``), or by an organisation that already used the service."""
    return [
        t
        for t in load_providers()
        if t.open_on(day)
        and not (new_customer and t.closed_to_new_customers and day >= t.closed_to_new_customers)
    ]


OPEN_MODEL_PATH = (
    "the open-model path is the one left: fine-tune an open-weights model locally or on rented GPUs"
)


def tuning_summary(day: datetime.date) -> str:
    """Who offers self-serve fine-tuning on ``day``, who is closing or closed, and the path
    left when the model's provider is not among those that offer it."""
    offering = open_providers(day)
    others = [t.status(day) for t in load_providers() if t not in offering]
    # Facts read on a day before the run's: say so rather than vouch for today.
    read = max(t.as_of for t in load_providers())
    when = f"On {day}" if read >= day else f"On {day} (provider facts read on {read})"
    if offering:
        named = "; ".join(f"{t.provider} ({t.service})" for t in offering)
        head = f"{when}, self-serve fine-tuning is offered by {named}"
        tail = f"If the model's provider is not among them, {OPEN_MODEL_PATH}."
    else:
        head = f"{when}, no provider listed offers self-serve fine-tuning to new customers"
        tail = f"So {OPEN_MODEL_PATH}."
    rest = f"; {'; '.join(others)}" if others else ""
    return f"{head}{rest}. {tail}"
