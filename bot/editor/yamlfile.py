"""A knowledge file edited in place: the file is read in ruamel.yaml's round-trip mode, only the values that
changed are replaced, and it is written back, so its comments, its `review:` notes, its key order and the
way each unchanged value was written (a list on one line, a checkbox written with its Persian label) stay as
the admin left them. Also the file's hash (to notice a change made outside the console) and the diff shown
before and after publishing."""

from __future__ import annotations

import difflib
import hashlib
import io
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.knowledge import Service

WIDTH = 4096  # never fold a line the admin wrote long: only changed values are written anew


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = WIDTH
    yaml.allow_unicode = True
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def text_hash(text: str | None) -> str:
    """The mark of a file's content the editor remembers when it opens the file ("" for no file)."""
    return "" if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def diff(old: str | None, new: str | None, old_name: str = "قبل", new_name: str = "بعد") -> str:
    """A unified diff of two texts of a file (empty when they are the same)."""
    lines = difflib.unified_diff((old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
                                 fromfile=old_name, tofile=new_name, n=2)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _plain(value: Any) -> Any:
    """A value for the YAML file: texts of several lines as a `|` block, the rest as they are."""
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, Mapping):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _plain(v)
        return out
    if isinstance(value, list):
        return CommentedSeq(_plain(v) for v in value)
    return value


def _same(old: Any, new: Any) -> bool:
    """Whether a value in the file already says what the edit says (a `|` block and a plain text alike)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in new)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, (str, int, float)) and isinstance(new, (str, int, float)):
        return str(old).strip() == str(new).strip() if isinstance(old, str) == isinstance(new, str) else old == new
    return old == new


def _pop_tail(node: Any) -> Any:
    """Takes away the comment that follows a map's or list's last value (ruamel keeps a comment written
    above a key with the value before it), to put it back where the value that held it is gone."""
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        entry = node.ca.items.get(key)
        if entry and len(entry) > 2 and entry[2] is not None:
            token, entry[2] = entry[2], None
            return token
        return _pop_tail(node[key])
    if isinstance(node, CommentedSeq) and node:
        entry = node.ca.items.get(len(node) - 1)
        if entry and entry[0] is not None:
            token, entry[0] = entry[0], None
            return token
        return _pop_tail(node[-1])
    return None


def _put_tail(node: Any, token: Any) -> bool:
    """Puts a comment after the last value of a map or list (see _pop_tail); False if there is none."""
    if token is None:
        return True
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        if isinstance(node[key], (CommentedMap, CommentedSeq)) and node[key] and _put_tail(node[key], token):
            return True
        node.ca.items.setdefault(key, [None, None, None, None])[2] = token
        return True
    if isinstance(node, CommentedSeq) and node:
        if isinstance(node[-1], (CommentedMap, CommentedSeq)) and node[-1] and _put_tail(node[-1], token):
            return True
        node.ca.items.setdefault(len(node) - 1, [None, None])[0] = token
        return True
    return False


def _merge_map(target: CommentedMap, new: Mapping[str, Any], order: list[str]) -> None:
    """Makes `target` hold `new`, touching only the keys whose value changed; a new key goes after the
    key before it in `order` (the model's order), so the file keeps the card's order."""
    for key in [k for k in target if k not in new]:
        keys = list(target)
        token = _pop_tail(target[key])
        entry = target.ca.items.pop(key, None)
        token = token or (entry[2] if entry and len(entry) > 2 else None)
        del target[key]
        at = keys.index(key)
        if token is not None and at > 0:  # the comment written above the next key stays above it
            before = keys[at - 1]
            if not (isinstance(target[before], (CommentedMap, CommentedSeq)) and target[before]
                    and _put_tail(target[before], token)):
                target.ca.items.setdefault(before, [None, None, None, None])[2] = token
    for key, value in new.items():
        if key in target:
            target[key] = _merge(target[key], value)
            continue
        before = [k for k in order[: order.index(key)] if k in target] if key in order else list(target)
        position = list(target).index(before[-1]) + 1 if before else 0
        target.insert(position, key, _plain(value))


def _merge(old: Any, new: Any) -> Any:
    if _same(old, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, Mapping):
        _merge_map(old, new, list(new))
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        token = _pop_tail(old) if len(new) != len(old) else None
        for i, value in enumerate(new[: len(old)]):
            old[i] = _merge(old[i], value)
        for i in range(len(new), len(old)):
            old.ca.items.pop(i, None)
        del old[len(new):]
        old.extend(_plain(v) for v in new[len(old):])
        _put_tail(old, token)
        return old
    return _plain(new)


def load_map(text: str) -> CommentedMap | None:
    """The top mapping of a file's text in round-trip form; None when it is not one (or not YAML)."""
    try:
        data = _yaml().load(text)
    except YAMLError:
        return None
    return data if isinstance(data, CommentedMap) else None


def _unchanged_fields(target: CommentedMap, data: Mapping[str, Any]) -> set[str]:
    """The fields whose value the model reads the same in the file and in the edit, however each is written
    (`nature: [حاکمیتی]` in the file, `sovereign` from the form): those lines are left as they are."""
    same: set[str] = set()
    for key, value in data.items():
        if key not in target or key not in Service.model_fields:
            continue
        field = Service.model_fields[key]
        adapter = TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)
        try:
            if adapter.validate_python(target[key]) == adapter.validate_python(value):
                same.add(key)
        except ValidationError:
            continue
    return same


def edited_text(original: str | None, data: Mapping[str, Any]) -> str:
    """The file's text with `data` as its fields: the original's comments, order and unchanged values kept.
    Without an original (a new service, or a file too broken to read) the fields are written afresh in the
    model's order."""
    order = list(Service.model_fields)
    target = load_map(original) if original else None
    if target is None:
        target = CommentedMap()
    ordered = {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else len(order))}
    unchanged = _unchanged_fields(target, ordered)
    _merge_map(target, {k: (target[k] if k in unchanged else v) for k, v in ordered.items()}, order)
    out = io.StringIO()
    _yaml().dump(target, out)
    return out.getvalue()


def edited_service(original: str | None, data: Mapping[str, Any]) -> tuple[str, Service | None]:
    """The text `edited_text` gives and, when it is valid, the service it holds."""
    text = edited_text(original, data)
    try:
        return text, Service.model_validate(dict(data))
    except ValidationError:
        return text, None
