"""Small Java-compatible conversions the emulator shares: Java ``int`` overflow and
``ScriptEvaluator.toBoolean``, ``DateTimeUtils`` (WAIT durations and dates), the script error
text, and record copies without the simulator's private keys (conductor-oss
``core/…/core/utils/*.java``).
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

from .model import SimulationError

_SCRIPT_LOCATION = re.compile(r"^undefined:(\d+): (.*)$", re.DOTALL)
_DURATION = re.compile(
    r"\s*(?:([0-9]+)\s*(?:days?|d))?"
    r"\s*(?:([0-9]+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:([0-9]+)\s*(?:minutes?|mins?|m))?"
    r"\s*(?:([0-9]+)\s*(?:seconds?|secs?|s))?\s*",
    re.IGNORECASE,
)
_UNTIL = re.compile(r"([0-9]+)-([0-9]+)-([0-9]+)(?: ([0-9]+):([0-9]+)(?: (\S.*))?)?")


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _int32(value: int) -> int:
    """Java int overflow."""
    return (value + 2**31) % 2**32 - 2**31


def _to_boolean(value: Any) -> bool:
    """``ScriptEvaluator.toBoolean``: booleans as is, numbers > 0, anything else false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value > 0
    return False


def _script_message(engine_message: str) -> str:
    """``ScriptEvaluator.handlePolyglotException``'s text. js.evaluate puts one line of
    its own before the script, hence the ``- 1``."""
    m = _SCRIPT_LOCATION.match(engine_message)
    if m:
        return f"Error evaluating the script `{m.group(2)}` at line {max(int(m.group(1)) - 1, 1)}"
    return f"Error evaluating the script `{engine_message}`"


def _parse_duration(text: str) -> int:
    """``DateTimeUtils.parseDuration`` in seconds (docs/conductor.md "WAIT and HUMAN")."""
    m = _DURATION.fullmatch(text)
    if m is None:
        raise SimulationError(f"Not valid duration: {text}")
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return d * 86400 + (h * 60 + mi) * 60 + s


def _parse_until(text: str) -> int | None:
    """``DateTimeUtils.parseDate`` (``yyyy-MM-dd HH:mm[ z]`` or ``yyyy-MM-dd``, lenient:
    out-of-range fields roll over) in epoch ms; the server's zone is taken as UTC."""
    m = _UNTIL.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, zone = m.groups()
    tz = _zone(zone.strip()) if zone is not None else _dt.timezone.utc
    if tz is None:
        return None
    y = int(year) + (int(month) - 1) // 12
    mo = (int(month) - 1) % 12 + 1
    try:
        local = _dt.datetime(y, mo, 1) + _dt.timedelta(
            days=int(day) - 1, hours=int(hour or 0), minutes=int(minute or 0)
        )
    except (ValueError, OverflowError):
        return None
    return int(local.replace(tzinfo=tz).timestamp() * 1000)


def _zone(name: str) -> _dt.tzinfo | None:
    """SimpleDateFormat ``z``, best effort: GMT/UTC, ``GMT±h[h][:mm]``, RFC 822 ``±hhmm``,
    or a zone id the platform knows (``EST``, ``CET``, ``Europe/Paris`` …)."""
    if name in ("GMT", "UTC", "UT", "Z"):
        return _dt.timezone.utc
    m = re.fullmatch(r"(?:GMT|UTC)?([+-])([0-9]{1,2}):?([0-9]{2})?", name)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return _dt.timezone(
            sign * _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        )
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _mentions_reference(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_mentions_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_reference(v) for v in value)
    return False


def _public(record: Mapping[str, Any]) -> dict:
    """A copy without the simulator's own bookkeeping keys (those starting with ``_``)."""
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
