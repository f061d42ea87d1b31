"""Loading the knowledge: YAML read safely (no repeated keys, no alias bombs), validated into the model, and
every problem of every file reported at once as ``file: field: message`` in Persian."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.knowledge.model import ElsewhereDirectory, ElsewhereService, Lexicon, Service, _repeated_field_names, _short_repr


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one knowledge file, as an admin needs to read it."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge could not be loaded; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice in one mapping (the second would silently win)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "کلید باید متن باشد، نه فهرست یا مجموعه", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"کلید {key!r} دو بار آمده (بار اول در سطر {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def _persian_message(err: dict[str, Any]) -> str:
    """A pydantic error turned into a Persian message an admin can act on (built only for its own kind)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = _short_repr(err.get("input"))
    fixed = {
        "missing": "این فیلد لازم است و نوشته نشده",
        "extra_forbidden": "فیلد ناشناخته (املای نام فیلد را بررسی کنید؛ فهرست فیلدها در README است)",
        "string_too_short": "نباید خالی باشد",
        "string_type": "باید متن باشد",
        "list_type": "باید فهرست باشد (هر مورد در یک خط که با - شروع می‌شود)",
        "model_type": "باید مجموعه‌ای از فیلدها (key: value) باشد",
        "model_attributes_type": "باید مجموعه‌ای از فیلدها (key: value) باشد",
        "dict_type": "باید مجموعه‌ای از فیلدها (key: value) باشد",
    }
    if kind in fixed:
        return fixed[kind]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"باید عدد صحیح باشد، نه {value}"
    if kind in ("bool_parsing", "bool_type"):
        return f"باید true یا false باشد، نه {value}"
    if kind == "greater_than_equal":
        return f"نباید کمتر از {ctx.get('ge')} باشد"
    if kind == "literal_error":
        return f"مقدار {value} مجاز نیست؛ یکی از این‌ها: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        if err["loc"] and err["loc"][-1] == "id":
            return f"شناسه {value} معتبر نیست (حروف کوچک لاتین، رقم، - یا _، حداکثر ۴۰ نویسه)"
        if err["loc"] and err["loc"][-1] == "email":
            return f"نشانی ایمیل {value} معتبر نیست"
        return f"قالب {value} معتبر نیست"
    if kind.startswith("url"):
        return f"نشانی وب {value} معتبر نیست (باید با http:// یا https:// شروع شود)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def _strip_yaml_mark(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if mark is not None:
        return f"خطای نگارش YAML در سطر {mark.line + 1}، ستون {mark.column + 1}: {problem}"
    return f"خطای YAML: {problem}"


MAX_EXPANDED_NODES = 200_000  # a card has a few hundred values; YAML aliases can make billions
# A card is a few kilobytes, nested five levels deep, its longest text a few hundred characters: these limits
# leave room for any real card and refuse what would exhaust memory, time or the stack (a hostile or broken
# file must be reported as `file: field: message`, never crash validate or the bot's start-up).
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_TEXT_CHARS = 20_000
KNOWLEDGE_FILE_TOO_BIG = "فایل {size:,} کیلوبایت است؛ اندازه هر فایل دانش حداکثر {limit:,} کیلوبایت است"
KNOWLEDGE_TOO_DEEP = "ساختار فایل بیش از {limit} سطح تودرتو است (فهرست در فهرست یا مجموعه در مجموعه)"
KNOWLEDGE_TEXT_TOO_LONG = "متن {size:,} نویسه است؛ هر متن حداکثر {limit:,} نویسه"


def _expanded_size(data: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """How many values the data has once YAML aliases are expanded (as validation would see them),
    counted without expanding: shared parts are counted once and multiplied. Stops past `limit`."""
    memo: dict[int, int] = {}

    def size(x: Any) -> int:
        if isinstance(x, dict):
            items = list(x.values())
        elif isinstance(x, list):
            items = x
        else:
            return 1
        key = id(x)
        if key in memo:
            return memo[key]
        memo[key] = limit + 1  # a cycle counts as too big
        total = 1
        for item in items:
            total += size(item)
            if total > limit:
                break
        memo[key] = min(total, limit + 1)
        return memo[key]

    return size(data)


def _too_big(size: int, file: str) -> list[Problem]:
    if size <= MAX_FILE_BYTES:
        return []
    return [Problem(file, "(file)", KNOWLEDGE_FILE_TOO_BIG.format(size=-(-size // 1000), limit=MAX_FILE_BYTES // 1000))]


def _too_deep(text: str) -> bool:
    """Whether the YAML nests deeper than MAX_DEPTH, found on the parser's events (which need no recursion)
    before the composer, which recurses once per level and would overflow the stack."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return False


def _long_texts(data: Any, file: str) -> list[Problem]:
    """A problem for every text (value or key) longer than MAX_TEXT_CHARS, named by where it is."""
    problems: list[Problem] = []
    seen: set[int] = set()

    def walk(value: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(value, str):
            if len(value) > MAX_TEXT_CHARS:
                problems.append(Problem(file, _loc(loc), KNOWLEDGE_TEXT_TOO_LONG.format(size=len(value), limit=MAX_TEXT_CHARS)))
            return
        if not isinstance(value, (dict, list)) or id(value) in seen:
            return
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            walk(key, loc)
            walk(item, (*loc, key))

    walk(data, ())
    return problems


def _read_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """The data of a knowledge file's text, or the problems that stop it from being read: a syntax error,
    or a file too big, too deeply nested or with an overlong text (limits above)."""
    problems = _too_big(len(text.encode("utf-8", errors="replace")), file)
    if problems:
        return None, problems
    try:
        if _too_deep(text):
            return None, [Problem(file, "(file)", KNOWLEDGE_TOO_DEEP.format(limit=MAX_DEPTH))]
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        return None, [Problem(file, "(file)", _strip_yaml_mark(exc))]
    except RecursionError:  # the limit above should make this impossible; never a traceback at start-up
        return None, [Problem(file, "(file)", KNOWLEDGE_TOO_DEEP.format(limit=MAX_DEPTH))]
    if isinstance(data, (dict, list)) and _expanded_size(data) <= MAX_EXPANDED_NODES:
        problems = _long_texts(data, file)
        if problems:
            return None, problems
    return data, []


def parse_service(text: str, file: str) -> tuple[Service | None, list[Problem]]:
    """Parses one knowledge file's text; returns the service or the list of its problems."""
    data, problems = _read_yaml(text, file)
    if problems:
        return None, problems
    if data is None:
        return None, [Problem(file, "(file)", "فایل خالی است")]
    if not isinstance(data, dict):
        return None, [Problem(file, "(file)", "بالاترین سطح فایل باید مجموعه‌ای از فیلدها (key: value) باشد")]
    if _expanded_size(data) > MAX_EXPANDED_NODES:
        return None, [Problem(file, "(file)", "فایل بیش از اندازه بزرگ است (ارجاع‌های تودرتوی YAML)")]
    try:
        return Service.model_validate(data), []
    except ValidationError as exc:
        problems = [Problem(file, _loc(e["loc"]), _persian_message(e)) for e in exc.errors()]
        # A repeated form field name is only checked once every field is valid; say it now anyway.
        fields = (data.get("registration") or {}).get("fields") if isinstance(data.get("registration"), dict) else None
        if isinstance(fields, list) and not any(p.field == "registration.fields" for p in problems):
            repeated = _repeated_field_names([f.get("name") for f in fields if isinstance(f, dict)])
            if repeated:
                problems.append(Problem(file, "registration.fields", repeated))
        return None, problems


@dataclass
class Knowledge:
    """Every service of the catalogue, plus the lexicon search uses."""

    services: list[Service]
    lexicon: Lexicon
    source: Path | None = None
    by_id: dict[str, Service] = field(init=False)
    elsewhere: list[ElsewhereService] = field(default_factory=list)  # knowledge/elsewhere.yaml

    def __post_init__(self) -> None:
        self.by_id = {s.id: s for s in self.services}

    def get(self, service_id: str) -> Service | None:
        return self.by_id.get(service_id)


def parse_lexicon(text: str, file: str) -> tuple[Lexicon | None, list[Problem]]:
    """Parses the lexicon file; returns it or its problems."""
    data, problems = _read_yaml(text, file)
    if problems:
        return None, problems
    if data is None:
        return Lexicon(), []
    if not isinstance(data, dict):
        return None, [Problem(file, "(file)", "فایل واژگان باید شامل synonyms / colloquial / stopwords باشد")]
    if _expanded_size(data) > MAX_EXPANDED_NODES:
        return None, [Problem(file, "(file)", "فایل بیش از اندازه بزرگ است (ارجاع‌های تودرتوی YAML)")]
    try:
        return Lexicon.model_validate(data), []
    except ValidationError as exc:
        return None, [Problem(file, _loc(e["loc"]), _persian_message(e)) for e in exc.errors()]


def check_knowledge(directory: Path, overrides: Mapping[str, str | None] | None = None) -> tuple[Knowledge | None, list[Problem]]:
    """Reads and validates a knowledge directory; returns the knowledge when there is no problem at all,
    and every problem found in every file.

    `overrides` maps file names in services/ to the text to check instead of the file's (a file that is not
    on disk yet is added; None leaves a file out): the service editor checks an edit against the whole
    knowledge this way before it writes anything."""
    directory = Path(directory)
    overrides = dict(overrides or {})
    problems: list[Problem] = []
    services_dir = directory / "services"
    if not services_dir.is_dir():
        return None, [Problem(str(services_dir), "(directory)", "پوشه services/ اینجا نیست")]
    files = sorted(services_dir.glob("*.yaml")) + sorted(services_dir.glob("*.yml"))
    files = [f for f in files if overrides.get(f.name, "") is not None]
    files += sorted(services_dir / name for name, text in overrides.items()
                    if text is not None and services_dir / name not in files)
    if not files:
        problems.append(Problem(str(services_dir), "(directory)", "هیچ فایل ‎*.yaml‎ خدمتی پیدا نشد"))
    services: list[Service] = []
    first_file: dict[str, str] = {}
    for path in files:
        name = str(path)
        given = overrides.get(path.name)
        too_big = _too_big(path.stat().st_size if given is None else len(given.encode("utf-8")), name)
        if too_big:  # before reading it: a huge file is not even loaded
            problems.extend(too_big)
            continue
        try:
            text = path.read_text(encoding="utf-8") if given is None else given
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, "(file)", f"فایل با UTF-8 ذخیره نشده (بایت {exc.start})"))
            continue
        service, errs = parse_service(text, name)
        problems.extend(errs)
        if service is None:
            continue
        if service.id in first_file:
            problems.append(Problem(name, "id", f"شناسه تکراری {service.id!r} (در {first_file[service.id]} هم آمده)"))
            continue
        first_file[service.id] = name
        services.append(service)
    lexicon = Lexicon()
    lex_path = directory / "lexicon.yaml"
    if lex_path.exists():
        try:
            errs = _too_big(lex_path.stat().st_size, str(lex_path))
            lex, errs = (None, errs) if errs else parse_lexicon(lex_path.read_text(encoding="utf-8"), str(lex_path))
        except UnicodeDecodeError as exc:
            lex, errs = None, [Problem(str(lex_path), "(file)", f"فایل با UTF-8 ذخیره نشده (بایت {exc.start})")]
        problems.extend(errs)
        lexicon = lex or lexicon
    elsewhere = _check_elsewhere(directory / ELSEWHERE_FILE, problems)
    if problems:
        return None, problems
    return Knowledge(services=services, lexicon=lexicon, source=directory, elsewhere=elsewhere), []


def knowledge_fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """A cheap mark of the knowledge files as they are on disk (name, size, mtime_ns of every YAML file):
    it changes when a file is written, added, renamed or removed, without reading any file. The running bot
    compares it every few seconds to reload what the console published or an admin edited."""
    directory = Path(directory)
    found: list[tuple[str, int, int]] = []
    for folder, pattern in ((directory, "*.yaml"), (directory / "services", "*.yaml"), (directory / "services", "*.yml")):
        try:
            entries = sorted(folder.glob(pattern))
        except OSError:
            continue
        for path in entries:
            try:
                st = os.stat(path)
            except OSError:  # removed between the listing and the stat: the next look sees it gone
                continue
            found.append((str(path.relative_to(directory)), st.st_size, st.st_mtime_ns))
    return tuple(found)


def load_knowledge(directory: Path) -> Knowledge:
    """Loads a knowledge directory or raises KnowledgeError listing every problem."""
    knowledge, problems = check_knowledge(directory)
    if knowledge is None:
        raise KnowledgeError(problems)
    return knowledge


ELSEWHERE_FILE = "elsewhere.yaml"


def parse_elsewhere(text: str, file: str) -> tuple[list[ElsewhereService] | None, list[Problem]]:
    """Parses the directory of services handled elsewhere; returns its entries or its problems."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        return None, [Problem(file, "(file)", _strip_yaml_mark(exc))]
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return None, [Problem(file, "(file)", "فایل باید شامل services: (فهرست خدمت‌های بیرون از این بات) باشد")]
    if _expanded_size(data) > MAX_EXPANDED_NODES:
        return None, [Problem(file, "(file)", "فایل بیش از اندازه بزرگ است (ارجاع‌های تودرتوی YAML)")]
    try:
        return list(ElsewhereDirectory.model_validate(data).services), []
    except ValidationError as exc:
        return None, [Problem(file, _loc(e["loc"]), _persian_message(e)) for e in exc.errors()]


def _check_elsewhere(path: Path, problems: list[Problem]) -> list[ElsewhereService]:
    """The directory's entries (none when the file is absent); its problems are added to `problems`."""
    if not path.exists():
        return []
    try:
        entries, errs = parse_elsewhere(path.read_text(encoding="utf-8"), str(path))
    except UnicodeDecodeError as exc:
        entries, errs = None, [Problem(str(path), "(file)", f"فایل با UTF-8 ذخیره نشده (بایت {exc.start})")]
    problems.extend(errs)
    return entries or []
