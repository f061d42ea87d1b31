"""The knowledge model: one service identity card (شناسنامه خدمت) per YAML file, validated precisely.

Admins edit these files by hand, so every problem is reported as ``file: field: message`` and all problems
of all files are reported at once. Only ``id``, ``title`` and ``provider`` are required: most real cards
are partial. A missing value means "the card does not say"; it is never read as zero or "no".
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.knowledge.vocabulary import (
    CHANNELS,
    IN_PERSON_REASONS,
    INQUIRY_BY,
    INQUIRY_MODES,
    LEVELS,
    LIFE_EVENTS,
    NATURES,
    PERIODS,
    SERVICE_TYPES,
    START_TRIGGERS,
    VISIT_LEVELS,
    Labels,
    fold_label,
)
from bot.questions import NAMES as QUESTION_TYPES


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


ServiceType = Annotated[Literal["G2C", "G2B", "G2G"], _vocabulary(SERVICE_TYPES), Labels(SERVICE_TYPES)]
Nature = Annotated[Literal["sovereign", "enterprise"], _vocabulary(NATURES), Labels(NATURES)]
Level = Annotated[Literal["national", "regional", "provincial", "city", "rural"], _vocabulary(LEVELS), Labels(LEVELS)]
LifeEvent = Annotated[
    Literal[
        "birth", "education", "health", "tax", "business", "social_security", "property", "utilities",
        "insurance", "marriage", "retirement", "certificates", "death", "other",
    ],
    _vocabulary(LIFE_EVENTS), Labels(LIFE_EVENTS),
]
StartTrigger = Annotated[
    Literal["applicant_request", "specific_time", "specific_event", "agency_decision", "other"],
    _vocabulary(START_TRIGGERS), Labels(START_TRIGGERS),
]
Period = Annotated[Literal["month", "season", "year"], _vocabulary(PERIODS), Labels(PERIODS)]
Channel = Annotated[
    Literal[
        "web", "mobile_app", "email", "post", "call_center", "sms", "counter_offices", "similar_offices",
        "intranet", "in_person", "other",
    ],
    _vocabulary(CHANNELS), Labels(CHANNELS),
]
InPersonReason = Annotated[
    Literal["identity_verification", "document_verification", "no_infrastructure", "other"],
    _vocabulary(IN_PERSON_REASONS), Labels(IN_PERSON_REASONS),
]
VisitLevel = Annotated[Literal["national", "provincial", "county"], _vocabulary(VISIT_LEVELS), Labels(VISIT_LEVELS)]
InquiryMode = Annotated[Literal["online", "batch", "offline"], _vocabulary(INQUIRY_MODES), Labels(INQUIRY_MODES)]
InquiryBy = Annotated[Literal["agency", "applicant"], _vocabulary(INQUIRY_BY), Labels(INQUIRY_BY)]

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
    # Which of `steps` (numbered from 1) the citizen takes; "how do I get it" shows these first.
    citizen_steps: list[Annotated[int, Field(ge=1)]] = []

    @model_validator(mode="after")
    def _citizen_steps_exist(self) -> Service:
        beyond = [n for n in self.citizen_steps if n > len(self.steps)]
        if beyond:
            raise ValueError(f"citizen_steps: مرحله {beyond[0]} وجود ندارد (شناسنامه {len(self.steps)} مرحله دارد)")
        return self

    @property
    def is_free(self) -> bool:
        """True only when the card says the service costs nothing (not when it is silent)."""
        return self.costs is not None and all(c.amount == 0 for c in self.costs)



class LexiconEntry(_Strict):
    """A canonical term and the other ways citizens say it."""

    term: Text
    variants: TextList


IntentName = Literal[QUESTION_TYPES]  # the members of bot.questions.Intent, the one list of question types


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


# --------------------------------------------------------------------------------------------------
# The English part of the lexicon, and the directory of services handled elsewhere
# --------------------------------------------------------------------------------------------------

_LATIN = re.compile(r"[A-Za-z]")
_PERSIAN = re.compile(r"[\u0600-\u06ff]")


def _short_repr(value: Any, limit: int = 60) -> str:
    """A value quoted in a message, never long (a hostile file can make it enormous)."""
    if isinstance(value, (dict, list, tuple, set)):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
