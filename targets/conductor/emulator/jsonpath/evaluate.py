"""Evaluating a compiled path against a JSON document: the per-token steps, the path functions
(``length()``, ``min()`` …) and filter evaluation (Jayway's ``EvaluatorFactory``), which reads
paths again — hence one module.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .tokens import (
    _Abort,
    _Filter,
    _Func,
    _Index,
    _Path,
    _Prop,
    _Scan,
    _Slice,
    _UNDEFINED,
    _Wildcard,
    _token_definite,
)


# ----------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.results: list[Any] = []


def _is_map(v: Any) -> bool:
    return isinstance(v, dict)


def _is_array(v: Any) -> bool:
    return isinstance(v, list)


def _eval(path: _Path, model: Any, root: Any) -> _Ctx:
    ctx = _Ctx(root)
    tokens = path.tokens
    if tokens and isinstance(tokens[0], _Scan) and path.is_function:
        # CompiledPath.invertScannerFunctionRelationship: $..x.fn() -> fn over $..x
        inner = _Path(path.root, tokens[:-1])
        values = _eval(inner, model, root).results
        if tokens[-1].name in ("length", "size"):
            # Length appends a wildcard to its path parameter: it counts the children.
            values = [
                c
                for v in values
                if _is_array(v) or _is_map(v)
                for c in (v.values() if _is_map(v) else v)
            ]
        ctx.results.append(_call_function(tokens[-1], values, ctx))
        return ctx
    if not tokens:
        ctx.results.append(model)
        return ctx
    _step(tokens, 0, model, ctx)
    return ctx


def _emit(tokens: list[Any], i: int, value: Any, ctx: _Ctx) -> None:
    """Leaf: add a result; otherwise continue with the next token."""
    if i == len(tokens) - 1:
        ctx.results.append(value)
    else:
        _step(tokens, i + 1, value, ctx)


def _step(tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    tok = tokens[i]
    _STEPS[type(tok)](tok, tokens, i, model, ctx)


def _step_prop(tok: _Prop, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if not _is_map(model):
        return
    leaf = i == len(tokens) - 1
    if len(tok.names) == 1 or not leaf:
        for name in tok.names:
            if name in model:
                _emit(tokens, i, model[name], ctx)
        return
    ctx.results.append({n: model[n] for n in tok.names if n in model})


def _array_index(tokens: list[Any], i: int, model: list, index: int, ctx: _Ctx) -> None:
    """PathToken.handleArrayIndex: negative counts from the end, out of range is skipped."""
    eff = len(model) + index if index < 0 else index
    if 0 <= eff < len(model):
        _emit(tokens, i, model[eff], ctx)


def _step_index(tok: _Index, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if not _is_array(model):
        return
    for index in tok.indexes:
        _array_index(tokens, i, model, index, ctx)


def _step_slice(tok: _Slice, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if not _is_array(model):
        return
    n = len(model)
    if tok.op == "from":
        frm = tok.frm if tok.frm >= 0 else n + tok.frm
        frm = max(0, frm)
        if n == 0 or frm >= n:
            return
        rng = range(frm, n)
    elif tok.op == "to":
        if n == 0:
            return
        to = tok.to if tok.to >= 0 else n + tok.to
        rng = range(0, min(n, to))
    else:
        to = min(n, tok.to)
        if tok.frm >= to or n == 0:
            return
        rng = range(tok.frm, to)
    for idx in rng:
        _array_index(tokens, i, model, idx, ctx)


def _step_wildcard(tok: _Wildcard, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if _is_map(model):
        for value in list(model.values()):
            _emit(tokens, i, value, ctx)
    elif _is_array(model):
        for idx in range(len(model)):
            _array_index(tokens, i, model, idx, ctx)


def _step_scan(tok: _Scan, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    """ScanPathToken.walk: apply the next token at every level that the next token accepts."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is None:
        return

    def matches(node: Any) -> bool:
        if isinstance(nxt, _Prop):
            if not _is_map(node):
                return False
            if not _token_definite(nxt, i + 1 == len(tokens) - 1):
                return True
            return all(n in node for n in nxt.names)
        if isinstance(nxt, (_Index, _Slice)):
            return _is_array(node)
        if isinstance(nxt, _Wildcard):
            return True
        if isinstance(nxt, _Filter):
            return _filter_accept(nxt.expr, node, ctx.root)
        return False

    def walk(node: Any) -> None:
        if _is_map(node):
            if matches(node):
                _step(tokens, i + 1, node, ctx)
            for value in list(node.values()):
                walk(value)
        elif _is_array(node):
            if matches(node):
                if i + 1 == len(tokens) - 1:
                    _step(tokens, i + 1, node, ctx)
                else:
                    for element in node:
                        _step(tokens, i + 2, element, ctx)
            for element in node:
                walk(element)

    walk(model)


def _step_filter(tok: _Filter, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if _is_map(model):
        if _filter_accept(tok.expr, model, ctx.root):
            _emit(tokens, i, model, ctx)
    elif _is_array(model):
        for idx, element in enumerate(model):
            if _filter_accept(tok.expr, element, ctx.root):
                _array_index(tokens, i, model, idx, ctx)


def _step_func(tok: _Func, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    result = _call_function(tok, model, ctx)
    ctx.results.append(result)
    if i < len(tokens) - 1:
        _step(tokens, i + 1, result, ctx)


_STEPS: dict[type, Callable[..., None]] = {
    _Prop: _step_prop,
    _Index: _step_index,
    _Slice: _step_slice,
    _Wildcard: _step_wildcard,
    _Scan: _step_scan,
    _Filter: _step_filter,
    _Func: _step_func,
}


# ---- functions (com.jayway.jsonpath.internal.function) ----


def _param_values(tok: _Func, ctx: _Ctx) -> list[Any]:
    values: list[Any] = []
    for kind, payload in tok.params:
        if kind == "json":
            try:
                values.append(json.loads(payload))
            except ValueError:
                values.append(payload)
        else:
            values.append(_value_of(payload, ctx.root, ctx.root))
    return values


def _numbers(model: Any, tok: _Func, ctx: _Ctx) -> list[float]:
    nums = [
        float(v)
        for v in (model if _is_array(model) else [])
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    for v in _param_values(tok, ctx):
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                nums.append(float(x))
    if not nums:
        raise _Abort("Aggregation function attempted to calculate value using empty array")
    return nums


def _stddev(nums: list[float]) -> float:
    mean = sum(nums) / len(nums)
    return math.sqrt(sum(x * x for x in nums) / len(nums) - mean * mean)


_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": lambda xs: float(sum(xs)),
    "avg": lambda xs: sum(xs) / len(xs),
    "min": min,
    "max": max,
    "stddev": _stddev,
}


def _call_function(tok: _Func, model: Any, ctx: _Ctx) -> Any:
    name = tok.name
    if name in _AGGREGATES:
        return _AGGREGATES[name](_numbers(model, tok, ctx))
    if name in ("length", "size"):
        return len(model) if _is_array(model) or _is_map(model) else None
    if name == "keys":
        return list(model.keys()) if _is_map(model) else None
    if name == "concat":
        parts = [v for v in model if isinstance(v, str)] if _is_array(model) else []
        parts += [v if isinstance(v, str) else json.dumps(v) for v in _param_values(tok, ctx)]
        return "".join(parts)
    if name == "append":
        return (list(model) if _is_array(model) else []) + _param_values(tok, ctx)
    if name in ("first", "last", "index"):
        if not _is_array(model) or not model:
            return None
        if name == "first":
            return model[0]
        if name == "last":
            return model[-1]
        args = _param_values(tok, ctx)
        idx = int(args[0]) if args and isinstance(args[0], (int, float)) else 0
        idx = idx if idx >= 0 else len(model) + idx
        return model[idx] if 0 <= idx < len(model) else None
    raise _Abort(f"Function with name: {name} does not exist.")


# ---- filter evaluation (com.jayway.jsonpath.internal.filter.EvaluatorFactory) ----


def _filter_accept(expr: Any, item: Any, root: Any) -> bool:
    kind = expr[0]
    if kind == "or":
        return any(_filter_accept(e, item, root) for e in expr[1])
    if kind == "and":
        return all(_filter_accept(e, item, root) for e in expr[1])
    if kind == "not":
        return not _filter_accept(expr[1], item, root)
    _, left, op, right = expr
    return _relation(op, _node(left, item, root), _node(right, item, root))


def _node(value: Any, item: Any, root: Any) -> Any:
    """Evaluate a path node into a value node (ValueNode.PathNode.evaluate)."""
    if value[0] != "path":
        return value
    path, exists_check = value[1], value[2]
    doc = root if path.root == "$" else item
    ctx = _eval(path, doc, root)
    if exists_check:
        return ("bool", bool(ctx.results))
    if not ctx.results:
        # SUPPRESS_EXCEPTIONS reaches the filter's own read: a missing path reads as null.
        return ("null",)
    return _to_node(ctx.results[-1] if path.definite else ctx.results)


def _to_node(v: Any) -> Any:
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("num", Decimal(repr(v)) if isinstance(v, float) else Decimal(v))
    if isinstance(v, str):
        return ("str", v)
    return ("jsonv", v)


def _json_value(node: Any) -> Any:
    """The parsed value of a JSON node (json-smart accepts single quotes)."""
    if node[0] == "jsonv":
        return node[1]
    text = node[1]
    for candidate in (text, text.replace("'", '"')):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return _UNDEFINED


def _as_list(node: Any) -> list[Any] | None:
    if node[0] in ("json", "jsonv"):
        v = _json_value(node)
        return v if isinstance(v, list) else None
    return None


def _str_of_num(d: Decimal) -> str:
    return str(d)


def _equals(a: Any, b: Any) -> bool:
    """ValueNode.equals: numbers and numeric strings compare by value, JSON by structure."""
    ka, kb = a[0], b[0]
    if ka in ("json", "jsonv") and kb in ("json", "jsonv"):
        va, vb = _json_value(a), _json_value(b)
        return va is not _UNDEFINED and va == vb
    if ka == "num" and kb in ("num", "str"):
        other = b[1] if kb == "num" else _decimal_or_none(b[1])
        return other is not None and a[1].compare(other) == 0
    if ka == "str" and kb in ("str", "num"):
        return a[1] == (b[1] if kb == "str" else _str_of_num(b[1]))
    if ka == "bool" and kb == "bool":
        return a[1] == b[1]
    if ka == "null" and kb == "null":
        return True
    if ka == "pattern" and kb == "pattern":
        return a[1:] == b[1:]
    return False


def _decimal_or_none(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def _compare(a: Any, b: Any) -> int | None:
    if a[0] == "num" and b[0] == "num":
        return (a[1] > b[1]) - (a[1] < b[1])
    if a[0] == "str" and b[0] == "str":
        return (a[1] > b[1]) - (a[1] < b[1])
    return None


def _contains(values: list[Any], node: Any) -> bool:
    return any(_equals(_to_node(v), node) for v in values)


def _regex(a: Any, b: Any) -> bool:
    if (a[0] == "pattern") == (b[0] == "pattern"):
        return False
    pattern, other = (a, b) if a[0] == "pattern" else (b, a)
    if other[0] == "str":
        text = other[1]
    elif other[0] == "num":
        text = _str_of_num(other[1])
    elif other[0] == "bool":
        text = "true" if other[1] else "false"
    elif other[0] == "null":
        text = ""
    else:
        return False
    flags = re.IGNORECASE if "i" in pattern[2] else 0
    try:
        return re.fullmatch(pattern[1], text, flags) is not None
    except re.error:
        return False


def _relation(op: str, a: Any, b: Any) -> bool:
    if op in ("==", "!="):
        return _equals(a, b) == (op == "==")
    if op in ("===", "!=="):
        same = a[0] == b[0] and _equals(a, b)
        return same == (op == "===")
    if op in ("<", "<=", ">", ">="):
        c = _compare(a, b)
        if c is None:
            return False
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if op == "=~":
        return _regex(a, b)
    if op in ("IN", "NIN"):
        values = _as_list(b)
        if values is None:
            return op == "NIN"
        return _contains(values, a) == (op == "IN")
    if op == "CONTAINS":
        if a[0] == "str" and b[0] == "str":
            return b[1] in a[1]
        values = _as_list(a)
        return values is not None and _contains(values, b)
    if op == "SIZE":
        if b[0] != "num":
            return False
        if a[0] == "str":
            return len(a[1]) == int(b[1])
        v = _json_value(a) if a[0] in ("json", "jsonv") else _UNDEFINED
        return isinstance(v, (list, dict)) and len(v) == int(b[1])
    if op == "EMPTY":
        if b[0] != "bool":
            return False
        if a[0] == "str":
            return (len(a[1]) == 0) == b[1]
        v = _json_value(a) if a[0] in ("json", "jsonv") else _UNDEFINED
        return isinstance(v, (list, dict)) and (len(v) == 0) == b[1]
    if op == "EXISTS":
        return a[0] == "bool" and b[0] == "bool" and a[1] == b[1]
    left, right = _as_list(a), _as_list(b)
    if left is None or right is None:
        return False
    if op == "SUBSETOF":
        return all(_contains(right, _to_node(v)) for v in left)
    if op == "ANYOF":
        return any(_contains(right, _to_node(v)) for v in left)
    if op == "NONEOF":
        return not any(_contains(right, _to_node(v)) for v in left)
    if op == "ALL":
        return all(_contains(left, _to_node(v)) for v in right)
    return False  # TYPE, MATCHES: not emulated


def _value_of(path: _Path, model: Any, root: Any) -> Any:
    """EvaluationContextImpl.getValue: last hit for a definite path, else the hit list."""
    ctx = _eval(path, model, root)
    if path.definite:
        if not ctx.results:
            raise _Abort("No results for path")
        return ctx.results[-1]
    return ctx.results
