"""TaskDef rules (TD1–TD11, what ``POST /metadata/taskdefs`` checks); registry:
``TASKDEF_RULES``.
"""

from __future__ import annotations

from typing import Any, Iterator

from .common import (
    _INT,
    Profile,
    S_MAPPER,
    S_OWNER,
    S_TASKDEF,
    S_TIMEOUT,
    Violation,
    _Doc,
    _ENUMS,
    _Hit,
    _Rule,
    _TASKDEF_FIELDS,
    _binds,
    _join,
    _rule,
    _shape_hits,
    _violation,
)
from .workflow_rules import _email_format_hits, _owner_email_hits


# ----------------------------------------------------------------------------------------
# TaskDef rules (docs/conductor.md "TaskDef defaults", checked by /metadata/taskdefs)
# ----------------------------------------------------------------------------------------


def _num(obj: dict[str, Any], key: str, default: Any) -> Any:
    """Field value as Java sees it: absent → default, null → 0 for primitives (None kept
    for boxed fields, passed as default=None)."""
    if key not in obj:
        return default
    v = obj[key]
    if v is None:
        return None if default is None else 0
    if isinstance(v, bool) or not _binds(v, _INT):
        return None
    return int(float(v))


@_rule("A1", S_MAPPER)
def td_shape(d: _Doc) -> Iterator[_Hit]:
    yield from _shape_hits(d.data, _TASKDEF_FIELDS, d.loc, "TaskDef")


@_rule("TD1", S_TASKDEF)
def td_name(d: _Doc) -> Iterator[_Hit]:
    if d.data.get("name") in (None, ""):
        yield _Hit(_join(d.loc, ".name"), "TaskDef name cannot be null or empty")


def _min_hits(d: _Doc, key: str, default: Any, low: int) -> Iterator[_Hit]:
    v = _num(d.data, key, default)
    if v is not None and v < low:
        yield _Hit(_join(d.loc, "." + key), f"TaskDef {key}: {v} must be >= {low}")


@_rule("TD2", S_TASKDEF)
def td_retry_count(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "retryCount", 3, 0)


@_rule("TD3", S_TASKDEF)
def td_total_timeout(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "totalTimeoutSeconds", 0, 0)


@_rule("TD4", S_TASKDEF)
def td_enums(d: _Doc) -> Iterator[_Hit]:
    for key in ("timeoutPolicy", "retryLogic"):
        v = d.data.get(key)
        allowed = _ENUMS[("taskdef", key)]
        if v is not None and v not in allowed:
            yield _Hit(
                _join(d.loc, "." + key),
                f"TaskDef {key} {v!r} is not one of {'|'.join(allowed)}: "
                "the body cannot be parsed (HTTP 500)",
            )


@_rule("TD5", S_TASKDEF)
def td_max_retry_delay(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "maxRetryDelaySeconds", 0, 0)


@_rule("TD6", S_TASKDEF)
def td_backoff_jitter(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "backoffJitterMs", 0, 0)


@_rule("TD7", S_TASKDEF)
def td_backoff_scale(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "backoffScaleFactor", 1, 1)


@_rule("TD8", S_TASKDEF)
def td_response_timeout(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "responseTimeoutSeconds", 3600, 1)


@_rule("TD9", S_TASKDEF)
def td_poll_timeout(d: _Doc) -> Iterator[_Hit]:
    yield from _min_hits(d, "pollTimeoutSeconds", None, 0)


@_rule("TD10", S_TIMEOUT)
def td_response_within_timeout(d: _Doc) -> Iterator[_Hit]:
    timeout = _num(d.data, "timeoutSeconds", 0)
    response = _num(d.data, "responseTimeoutSeconds", 3600)
    if timeout is not None and response is not None and timeout > 0 and response > timeout:
        yield _Hit(
            _join(d.loc, ".responseTimeoutSeconds"),
            f"TaskDef: {d.data.get('name')} responseTimeoutSeconds: {response} must be less than "
            f"timeoutSeconds: {timeout}",
        )


@_rule("TD11", S_TIMEOUT)
def td_timeout_within_total(d: _Doc) -> Iterator[_Hit]:
    timeout = _num(d.data, "timeoutSeconds", 0)
    total = _num(d.data, "totalTimeoutSeconds", 0)
    if timeout and total and timeout > 0 and total > 0 and timeout > total:
        yield _Hit(
            _join(d.loc, ".timeoutSeconds"),
            f"TaskDef: {d.data.get('name')} timeoutSeconds: {timeout} must be less than or equal "
            f"to totalTimeoutSeconds: {total}",
        )


TASKDEF_RULES: tuple[_Rule, ...] = (
    td_shape,
    td_name,
    td_retry_count,
    td_total_timeout,
    td_enums,
    td_max_retry_delay,
    td_backoff_jitter,
    td_backoff_scale,
    td_response_timeout,
    td_poll_timeout,
    td_response_within_timeout,
    td_timeout_within_total,
)


def _taskdef_owner_hits(d: _Doc, profile: Profile) -> Iterator[Violation]:
    for h in _owner_email_hits(d.data, d.loc, profile):
        yield _violation(d.file, h, "B5", S_OWNER)
    for h in _email_format_hits(d.data, d.loc, profile):
        yield _violation(d.file, h, "BV-ownerEmail", S_TASKDEF + " (@Email, before v3.21.0)")
