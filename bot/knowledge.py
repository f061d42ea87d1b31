"""The knowledge model: one service identity card (شناسنامه خدمت) per YAML file, validated precisely.

Admins edit these files by hand, so every problem is reported as ``file: field: message`` and all problems
of all files are reported at once. Only ``id``, ``title`` and ``provider`` are required: most real cards
are partial. A missing value means "the card does not say"; it is never read as zero or "no".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

# --------------------------------------------------------------------------------------------------
# Checkbox vocabularies of the card. Admins may write either the code or the Persian label printed on the
# form; both load to the code. The labels are what the bot shows.
# --------------------------------------------------------------------------------------------------

SERVICE_TYPES = {
    "G2C": "خدمت به شهروندان",
    "G2B": "خدمت به کسب‌وکار",
    "G2G": "خدمت به دیگر دستگاه‌های دولتی",
}
NATURES = {"sovereign": "حاکمیتی", "enterprise": "تصدی‌گری"}
LEVELS = {
    "national": "ملی",
    "regional": "منطقه‌ای",
    "provincial": "استانی",
    "city": "شهری",
    "rural": "روستایی",
}
LIFE_EVENTS = {
    "birth": "تولد",
    "education": "آموزش",
    "health": "سلامت",
    "tax": "مالیات",
    "business": "کسب‌وکار",
    "social_security": "تامین اجتماعی",
    "property": "ثبت مالکیت",
    "utilities": "تاسیسات شهری",
    "insurance": "بیمه",
    "marriage": "ازدواج",
    "retirement": "بازنشستگی",
    "certificates": "مدارک و گواهینامه‌ها",
    "death": "وفات",
    "other": "سایر",
}
START_TRIGGERS = {
    "applicant_request": "تقاضای گیرنده خدمت",
    "specific_time": "فرارسیدن زمانی مشخص",
    "specific_event": "رخداد رویدادی مشخص",
    "agency_decision": "تشخیص دستگاه",
    "other": "سایر",
}
PERIODS = {"month": "ماه", "season": "فصل", "year": "سال"}
CHANNELS = {
    "web": "اینترنتی (وبگاه دستگاه)",
    "mobile_app": "تلفن همراه (برنامه کاربردی)",
    "email": "پست الکترونیک",
    "post": "ارسال پستی",
    "call_center": "تلفن گویا یا مرکز تماس",
    "sms": "پیام کوتاه",
    "counter_offices": "دفاتر پیشخوان",
    "similar_offices": "عناوین مشابه دفاتر پیشخوان",
    "intranet": "اینترانت داخلی دستگاه (ERP)",
    "in_person": "مراجعه حضوری",
    "other": "سایر",
}
IN_PERSON_REASONS = {
    "identity_verification": "احراز اصالت فرد",
    "document_verification": "احراز اصالت مدرک",
    "no_infrastructure": "نبود زیرساخت ارتباطی مناسب",
    "other": "سایر",
}
VISIT_LEVELS = {"national": "ملی", "provincial": "استانی", "county": "شهرستانی"}
INQUIRY_MODES = {"online": "برخط (online)", "batch": "دسته‌ای (Batch)", "offline": "غیرالکترونیکی"}
INQUIRY_BY = {"agency": "دستگاه", "applicant": "مراجعه‌کننده"}
STAGES = {
    "information": "اطلاع‌رسانی خدمت",
    "request": "درخواست خدمت",
    "production": "تولید خدمت (فرایند داخل دستگاه)",
    "delivery": "ارائه خدمت",
}


def fold_label(text: str) -> str:
    """A label compared loosely: Arabic ي/ك, ZWNJ, spaces and parentheses do not matter."""
    text = text.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی")
    return re.sub(r"[\s\u200c()\-_]", "", text).lower()


def _vocabulary(vocab: dict[str, str]) -> BeforeValidator:
    """A validator that accepts a code or its Persian label (loosely) and yields the code."""
    by_label = {fold_label(label): code for code, label in vocab.items()}
    by_label.update({fold_label(code): code for code in vocab})

    def to_code(value: Any) -> Any:
        if isinstance(value, str):
            return by_label.get(fold_label(value), value)
        return value

    return BeforeValidator(to_code)


def _as_list(value: Any) -> Any:
    """A single value where a list is expected is read as a one-item list (admins write `levels: ملی`)."""
    if value is None:
        return []
    if isinstance(value, (str, int, dict)):
        return [value]
    return value


ServiceType = Annotated[Literal["G2C", "G2B", "G2G"], _vocabulary(SERVICE_TYPES)]
Nature = Annotated[Literal["sovereign", "enterprise"], _vocabulary(NATURES)]
Level = Annotated[Literal["national", "regional", "provincial", "city", "rural"], _vocabulary(LEVELS)]
LifeEvent = Annotated[
    Literal[
        "birth", "education", "health", "tax", "business", "social_security", "property", "utilities",
        "insurance", "marriage", "retirement", "certificates", "death", "other",
    ],
    _vocabulary(LIFE_EVENTS),
]
StartTrigger = Annotated[
    Literal["applicant_request", "specific_time", "specific_event", "agency_decision", "other"],
    _vocabulary(START_TRIGGERS),
]
Period = Annotated[Literal["month", "season", "year"], _vocabulary(PERIODS)]
Channel = Annotated[
    Literal[
        "web", "mobile_app", "email", "post", "call_center", "sms", "counter_offices", "similar_offices",
        "intranet", "in_person", "other",
    ],
    _vocabulary(CHANNELS),
]
InPersonReason = Annotated[
    Literal["identity_verification", "document_verification", "no_infrastructure", "other"],
    _vocabulary(IN_PERSON_REASONS),
]
VisitLevel = Annotated[Literal["national", "provincial", "county"], _vocabulary(VISIT_LEVELS)]
InquiryMode = Annotated[Literal["online", "batch", "offline"], _vocabulary(INQUIRY_MODES)]
InquiryBy = Annotated[Literal["agency", "applicant"], _vocabulary(INQUIRY_BY)]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
TextList = Annotated[list[Text], BeforeValidator(_as_list)]

# Service ids go into button callback data (at most 64 bytes, ASCII), so they are short ASCII slugs.
ServiceId = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$"),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Recipients(_Strict):
    """آمار تعداد خدمت‌گیرندگان: how many people receive the service, per period."""

    count: int | None = Field(default=None, ge=0)
    period: Period | None = None
    note: Text | None = None


class Frequency(_Strict):
    """تواتر: how often one recipient receives the service."""

    once_forever: bool | None = None
    continuous: bool | None = None
    times: int | None = Field(default=None, ge=1)
    period: Period | None = None
    note: Text | None = None


class Cost(_Strict):
    """One amount a recipient pays. An amount of 0 means the service is free."""

    amount: int = Field(ge=0, description="rials")
    purpose: Text | None = None
    bank_account: Text | None = None
    electronic: bool | None = None


class Stage(_Strict):
    """How one stage of the service is reached: electronically or not, through which channels, and why
    a visit in person is needed, at which level of the agency."""

    electronic: bool | None = None
    channels: Annotated[list[Channel], BeforeValidator(_as_list)] = []
    channels_note: Text | None = None
    in_person_reasons: Annotated[list[InPersonReason], BeforeValidator(_as_list)] = []
    in_person_note: Text | None = None
    visit_levels: Annotated[list[VisitLevel], BeforeValidator(_as_list)] = []


class Delivery(_Strict):
    """نحوه دسترسی به خدمت, stage by stage."""

    information: Stage | None = None
    request: Stage | None = None
    production: Stage | None = None
    delivery: Stage | None = None


class SystemLink(_Strict):
    """ارتباط خدمت با سایر سامانه‌ها در دستگاه: another system of the same agency."""

    system: Text
    fields: Text | None = None
    mode: InquiryMode | None = None


class AgencyLink(_Strict):
    """ارتباط خدمت با سایر دستگاه‌ها: an inquiry made to another agency."""

    agency: Text
    system: Text | None = None
    fields: Text | None = None
    amount: int | None = Field(default=None, ge=0)
    mode: InquiryMode | None = None
    offline_by: InquiryBy | None = None


class Contact(_Strict):
    """Who answers for the service: unit, e-mail, phone (and who filled in the card)."""

    unit: Text | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: Text | None = None
    address: Text | None = None
    completed_by: Text | None = None


class Faq(_Strict):
    """A question citizens ask about this service, with the agency's answer."""

    question: Text
    answer: Text


class ReviewNote(_Strict):
    """A field an importer could not read with confidence (kept until a person checks it)."""

    field: Text
    reason: Text
    raw: str | None = None


FIELD_TYPES = (
    "text", "person_name", "national_code", "mobile", "number", "choice", "yes_no", "jalali_date",
    "province", "province_city",
)


class FormField(_Strict):
    """One question of a registration form."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,30}$")]
    label: Text
    type: Literal[
        "text", "person_name", "national_code", "mobile", "number", "choice", "yes_no", "jalali_date",
        "province", "province_city",
    ]
    required: bool = True
    help: Text | None = None
    choices: TextList = []
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> FormField:
        if self.type == "choice" and len(self.choices) < 2:
            raise ValueError("فیلد از نوع choice دست‌کم دو گزینه در choices لازم دارد")
        if self.type != "choice" and self.choices:
            raise ValueError(f"choices فقط برای نوع choice است، نه {self.type}")
        return self


class Registration(_Strict):
    """The registration form of a service. Without one, the bot uses its default form."""

    enabled: bool = True
    fields: list[FormField] = []
    next_steps: Text | None = None

    @field_validator("fields")
    @classmethod
    def _unique_names(cls, fields: list[FormField]) -> list[FormField]:
        problem = _repeated_field_names([f.name for f in fields])
        if problem:
            raise ValueError(problem)
        return fields


def _repeated_field_names(names: list[Any]) -> str | None:
    repeated = sorted({n for n in names if n is not None and names.count(n) > 1}, key=str)
    return f"نام فیلد {', '.join(map(repr, repeated))} دو بار به کار رفته" if repeated else None


class Service(_Strict):
    """One service identity card, plus what the bot needs to find it (aliases) and answer (FAQ)."""

    id: ServiceId
    title: Text
    provider: Text = Field(description="نام دستگاه اجرایی")
    parent_agency: Text | None = None
    description: Text | None = None
    audience: Text | None = None
    service_types: Annotated[list[ServiceType], BeforeValidator(_as_list)] = []
    nature: Annotated[list[Nature], BeforeValidator(_as_list)] = []
    levels: Annotated[list[Level], BeforeValidator(_as_list)] = []
    life_events: Annotated[list[LifeEvent], BeforeValidator(_as_list)] = []
    life_events_note: Text | None = None
    start_triggers: Annotated[list[StartTrigger], BeforeValidator(_as_list)] = []
    start_note: Text | None = None
    documents: TextList = []
    laws: TextList = []
    recipients: Recipients | None = None
    duration: Text | None = None
    frequency: Frequency | None = None
    in_person_visits: int | None = Field(default=None, ge=0)
    costs: list[Cost] | None = None
    websites: Annotated[list[AnyHttpUrl], BeforeValidator(_as_list)] = []
    system_name: Text | None = None
    delivery: Delivery | None = None
    system_links: list[SystemLink] = []
    agency_links: list[AgencyLink] = []
    agency_links_note: Text | None = None
    steps: TextList = []
    contact: Contact | None = None
    aliases: TextList = []
    faq: list[Faq] = []
    registration: Registration | None = None
    review: list[ReviewNote] = []
    needs: TextList = []  # situations in citizens' words that lead to this service (for search)

    @property
    def is_free(self) -> bool:
        """True only when the card says the service costs nothing (not when it is silent)."""
        return self.costs is not None and all(c.amount == 0 for c in self.costs)


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


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


def _short_repr(value: Any, limit: int = 60) -> str:
    """A value quoted in a message, never long (a hostile file can make it enormous)."""
    if isinstance(value, (dict, list, tuple, set)):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def parse_service(text: str, file: str) -> tuple[Service | None, list[Problem]]:
    """Parses one knowledge file's text; returns the service or the list of its problems."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        return None, [Problem(file, "(file)", _strip_yaml_mark(exc))]
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


class LexiconEntry(_Strict):
    """A canonical term and the other ways citizens say it."""

    term: Text
    variants: TextList


INTENTS = (
    "documents", "cost", "duration", "website", "steps", "provider", "laws", "audience", "in_person",
    "register", "track", "greeting", "thanks", "help",
)
IntentName = Literal[
    "documents", "cost", "duration", "website", "steps", "provider", "laws", "audience", "in_person",
    "register", "track", "greeting", "thanks", "help",
]


class IntentCues(_Strict):
    """Words that signal one question type: `strong` ones decide alone, `weak` ones tip the balance."""

    strong: TextList = []
    weak: TextList = []


class Lexicon(_Strict):
    """Synonyms, colloquial forms, stopwords and question cues, edited by admins in knowledge/lexicon.yaml."""

    synonyms: list[LexiconEntry] = []
    colloquial: dict[Text, Text] = {}
    stopwords: TextList = []
    intents: dict[IntentName, IntentCues] = {}
    english: EnglishLexicon = Field(default_factory=lambda: EnglishLexicon())
    agencies: dict[Text, TextList] = {}


def parse_lexicon(text: str, file: str) -> tuple[Lexicon | None, list[Problem]]:
    """Parses the lexicon file; returns it or its problems."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        return None, [Problem(file, "(file)", _strip_yaml_mark(exc))]
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


def check_knowledge(directory: Path) -> tuple[Knowledge | None, list[Problem]]:
    """Reads and validates a knowledge directory; returns the knowledge when there is no problem at all,
    and every problem found in every file."""
    directory = Path(directory)
    problems: list[Problem] = []
    services_dir = directory / "services"
    if not services_dir.is_dir():
        return None, [Problem(str(services_dir), "(directory)", "پوشه services/ اینجا نیست")]
    files = sorted(services_dir.glob("*.yaml")) + sorted(services_dir.glob("*.yml"))
    if not files:
        problems.append(Problem(str(services_dir), "(directory)", "هیچ فایل ‎*.yaml‎ خدمتی پیدا نشد"))
    services: list[Service] = []
    first_file: dict[str, str] = {}
    for path in files:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
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
            lex, errs = parse_lexicon(lex_path.read_text(encoding="utf-8"), str(lex_path))
        except UnicodeDecodeError as exc:
            lex, errs = None, [Problem(str(lex_path), "(file)", f"فایل با UTF-8 ذخیره نشده (بایت {exc.start})")]
        problems.extend(errs)
        lexicon = lex or lexicon
    elsewhere = _check_elsewhere(directory / ELSEWHERE_FILE, problems)
    if problems:
        return None, problems
    return Knowledge(services=services, lexicon=lexicon, source=directory, elsewhere=elsewhere), []


def load_knowledge(directory: Path) -> Knowledge:
    """Loads a knowledge directory or raises KnowledgeError listing every problem."""
    knowledge, problems = check_knowledge(directory)
    if knowledge is None:
        raise KnowledgeError(problems)
    return knowledge


# --------------------------------------------------------------------------------------------------
# The English part of the lexicon, and the directory of services handled elsewhere
# --------------------------------------------------------------------------------------------------

_LATIN = re.compile(r"[A-Za-z]")
_PERSIAN = re.compile(r"[\u0600-\u06ff]")


def _latin_phrase(value: str) -> str:
    if not _LATIN.search(value) or _PERSIAN.search(value):
        raise ValueError(f"عبارت انگلیسی {_short_repr(value)} باید با حروف لاتین نوشته شود")
    return value


def _persian_phrase(value: str) -> str:
    if not _PERSIAN.search(value):
        raise ValueError(f"معادل فارسی {_short_repr(value)} باید با حروف فارسی نوشته شود")
    return value


EnglishText = Annotated[Text, AfterValidator(_latin_phrase)]
PersianText = Annotated[Text, AfterValidator(_persian_phrase)]


class EnglishLexicon(_Strict):
    """English words citizens use, for messages written in English (admins edit it in lexicon.yaml):
    `terms` maps an English word or phrase to the Persian words search should see; `intents` lists English
    question cues per question type; `stopwords` are English words that carry no meaning for search."""

    terms: dict[EnglishText, PersianText] = {}
    intents: dict[IntentName, Annotated[list[EnglishText], BeforeValidator(_as_list)]] = {}
    stopwords: Annotated[list[EnglishText], BeforeValidator(_as_list)] = []


class ElsewhereService(_Strict):
    """A well-known service that another body provides (not in this catalogue): where to send a citizen."""

    title: Text
    aliases: TextList = []
    agency: Text = Field(description="the responsible body")
    website: AnyHttpUrl | None = None
    review: bool = True  # true until an admin has checked the entry


class ElsewhereDirectory(_Strict):
    """knowledge/elsewhere.yaml: services handled elsewhere, so the bot can say where to go."""

    services: list[ElsewhereService] = []


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
