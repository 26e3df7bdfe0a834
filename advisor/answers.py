"""Profile values as people type them, and a profile written back as a file.

``parse_answer(field, text)`` turns what someone types at a question ("20,000", "20k", "1.5M",
"$50", "50 USD", "135M" for a model size, "w" for weekly, "y" for yes) into the field's value, or
raises a one-line UsageError that says what the field accepts. ``profile_yaml(profile)`` writes
the fields a profile was given, so that ``--profile FILE`` reads the same profile back.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import Enum
from typing import Any, get_args

from advisor.errors import UsageError
from advisor.profile import Profile

# Multipliers of a number's suffix, e.g. "20k", "1.5M", "2bn".
COUNTS = {"": 1, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6}
COUNTS |= {"b": 1e9, "bn": 1e9, "billion": 1e9}
# Fields whose suffixes are units rather than counts.
UNITS: dict[str, dict[str, float]] = {
    # already in billions: "7b" is 7, "135m" is 0.135
    "model_params_b": {"": 1, "b": 1, "bn": 1, "billion": 1, "m": 1e-3, "million": 1e-3},
    "gpu_memory_gb": {"": 1, "g": 1, "gb": 1, "gib": 1},
    "latency_ms": {"": 1, "ms": 1, "s": 1e3, "sec": 1e3, "seconds": 1e3},
    "deadline_days": {"": 1, "d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7},
}
# Words around a number that carry no value: currency and "per month".
NOISE = re.compile(r"^\$|\$$|\busd\b|\bdollars?\b|(?:per|a|/)\s*(?:month|mo)\b|\bmonthly\b")
NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]*)$")
YES = {"y", "yes", "true", "t", "1", "ok"}
NO = {"n", "no", "false", "f", "0"}
NOT_SET = {"none", "unknown", "not set", "n/a", "-", ""}


def base_type(annotation: Any) -> Any:
    """``int | None`` -> int; enums and plain types unchanged."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _optional(field: str) -> bool:
    return type(None) in get_args(Profile.model_fields[field].annotation)


def _error(field: str, text: str, expected: str, problem: str = "") -> UsageError:
    return UsageError(f"invalid answer for '{field}': {text!r}{problem} (expected {expected})")


def _choice(field: str, text: str, enum: type[Enum]) -> str:
    """The enum value ``text`` names: exactly, or by a prefix only one value has ("w")."""
    values = [m.value for m in enum]
    key = re.sub(r"[\s-]+", "_", text.strip().lower())
    if key in values:
        return key
    matches = [v for v in values if v.startswith(key)] if key else []
    if len(matches) == 1:
        return matches[0]
    problem = f" could be {' or '.join(matches)}" if matches else ""
    raise _error(field, text, f"one of {', '.join(values)}, or a prefix of one", problem)


def _number(field: str, text: str, kind: type) -> int | float:
    units = UNITS.get(field, COUNTS)
    cleaned = NOISE.sub(" ", text.strip().lower()).replace(",", "").replace("_", "").strip()
    match = NUMBER.match(cleaned)
    scale = units.get(match.group(2)) if match else None
    shown = ", ".join(f'"{u}"' for u in units if u)
    expected = f"{'a whole number' if kind is int else 'a number'} (suffixes: {shown})"
    if match is None or scale is None:
        raise _error(field, text, expected)
    value = float(match.group(1)) * scale
    if kind is int:
        if value != int(value):
            raise _error(field, text, expected)
        return int(value)
    return round(value, 9)  # 135m * 1e-3 without binary noise


def parse_answer(field: str, text: str) -> Any:
    """The value of Profile field ``field`` that ``text`` means; range checks are the model's."""
    if field not in Profile.model_fields:
        raise UsageError(f"unknown profile field '{field}'")
    kind = base_type(Profile.model_fields[field].annotation)
    if _optional(field) and text.strip().lower() in NOT_SET:
        return None
    if kind is bool:
        key = text.strip().lower()
        if key in YES or key in NO:
            return key in YES
        raise _error(field, text, "yes or no")
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _choice(field, text, kind)
    return _number(field, text, kind)


def shown(value: Any) -> str:
    """How a value is offered as the default answer (parse_answer reads it back)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def profile_yaml(profile: Profile) -> str:
    """The fields ``profile`` was given (not its defaults) as a profile file."""
    import yaml

    values = profile.model_dump(mode="json", exclude_unset=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"# advisor profile (advisor recommend --profile FILE), written {stamp}\n"
    return header + yaml.safe_dump(values, sort_keys=False, allow_unicode=True)
