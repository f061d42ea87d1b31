"""The service editor's form, read from the knowledge model: every field of `Service` becomes an input of
the kind its type asks for, so a field added to the model appears in the console without new HTML.

- a text → a text box; a number → a number box (an amount in rials also shows the toman);
- a yes/no that may be left unsaid (`bool | None`) → «نامشخص / بله / خیر»; a plain `bool` → a checkbox;
- a choice from a card vocabulary (`Literal` with `Labels`) → a select, or, for a list of them, the card's
  checkboxes with their Persian labels;
- a nested model → a group of its fields; a list → items that can be added, removed and reordered.

Form inputs are named by their path in the data: `title`, `documents.0`, `costs.1.amount`,
`delivery.request.channels.web` (a checkbox). A list item's segment is any token without a dot, unique in
its list (`0`, `n7`: the page's script makes new ones); items are read in the order the form sends them, so
reordering on the page needs no renumbering. `parse_form` turns the posted form back into the data a
knowledge file holds (what the card does not say is left out), `form_values` the other way.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel

from bot.knowledge import Labels, Service, fold_label
from bot.persian import to_latin_digits

Kind = Literal["text", "int", "rials", "url", "bool", "maybe_bool", "choice", "choices", "list", "group"]

# The Persian name of each field, by its name in the model (the same name means the same thing in every
# part of the card). A field missing here is shown by its model name: a new field works before it is named.
FIELD_LABELS = {
    "id": "شناسه خدمت", "title": "عنوان خدمت", "provider": "نام دستگاه اجرایی", "parent_agency": "نام دستگاه مادر",
    "description": "شرح خدمت", "audience": "مخاطبین", "service_types": "نوع خدمت", "nature": "ماهیت خدمت",
    "levels": "سطح خدمت", "life_events": "رویداد مرتبط", "life_events_note": "توضیح رویداد (سایر)",
    "start_triggers": "نحوه آغاز خدمت", "start_note": "توضیح آغاز (سایر)", "documents": "مدارک لازم",
    "laws": "قوانین و مقررات بالادستی", "recipients": "آمار تعداد خدمت‌گیرندگان", "count": "تعداد",
    "period": "دوره", "note": "توضیح", "duration": "متوسط مدت زمان ارائه خدمت", "frequency": "تواتر",
    "once_forever": "یک بار برای همیشه", "continuous": "مستمر", "times": "چند بار",
    "in_person_visits": "تعداد بار مراجعه حضوری", "costs": "هزینه‌ها", "amount": "مبلغ",
    "purpose": "بابت", "bank_account": "شماره حساب", "electronic": "الکترونیکی", "websites": "آدرس وبگاه خدمت",
    "system_name": "نام سامانه", "delivery": "نحوه دسترسی به خدمت", "information": "اطلاع‌رسانی خدمت",
    "request": "درخواست خدمت", "production": "تولید خدمت (فرایند داخل دستگاه)", "channels": "رسانه‌ها",
    "channels_note": "توضیح رسانه (سایر)", "in_person_reasons": "دلیل مراجعه حضوری",
    "in_person_note": "توضیح مراجعه حضوری", "visit_levels": "سطح مراجعه", "system_links": "ارتباط با سامانه‌های دیگر دستگاه",
    "system": "سامانه", "fields": "فیلدها", "mode": "نوع ارتباط", "agency_links": "ارتباط با دستگاه‌های دیگر",
    "agency": "دستگاه", "offline_by": "استعلام غیرالکترونیکی به دست", "agency_links_note": "توضیح ارتباط با دستگاه‌ها",
    "steps": "عناوین فرایندهای خدمت (به ترتیب)", "contact": "تماس", "unit": "واحد", "email": "ایمیل",
    "phone": "تلفن", "address": "نشانی", "completed_by": "تکمیل‌کننده فرم", "aliases": "نام‌های دیگر (برای جست‌وجو)",
    "faq": "پرسش‌های رایج", "question": "پرسش", "answer": "پاسخ", "registration": "فرم ثبت‌نام",
    "enabled": "ثبت‌نام فعال است", "name": "نام لاتین فیلد", "label": "برچسب", "type": "نوع",
    "required": "لازم است", "help": "راهنما", "choices": "گزینه‌ها", "min": "کمینه", "max": "بیشینه",
    "next_steps": "گام‌های بعدی", "review": "موارد نیازمند بازبینی", "field": "فیلد", "reason": "دلیل",
    "raw": "متن خام", "needs": "نیازها و موقعیت‌ها به زبان شهروندان (برای جست‌وجو)",
    "citizen_steps": "شماره مراحلی که شهروند انجام می‌دهد",
}
# Texts usually longer than a line get a text area.
LONG_TEXTS = {"description", "audience", "answer", "next_steps", "reason", "raw", "note", "in_person_note",
              "channels_note", "life_events_note", "start_note", "agency_links_note", "help"}
BOOL_CHOICES = (("", "نامشخص"), ("true", "بله"), ("false", "خیر"))


@dataclass(frozen=True)
class FormField:
    """One input (or group, or list) of the editor, as the template draws it."""

    name: str
    label: str
    kind: Kind
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (code, Persian label) of a choice or of checkboxes
    item: FormField | None = None  # a list's items
    fields: tuple[FormField, ...] = ()  # a group's fields
    long: bool = False
    default: Any = None  # the model's default (a yes/no box shows it when the file says nothing)

    def child(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


def _unwrap(tp: Any) -> tuple[Any, bool, Labels | None]:
    """The type without Annotated and without `| None`: (type, optional, vocabulary labels)."""
    optional = False
    labels: Labels | None = None
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            args = typing.get_args(tp)
            labels = next((a for a in args[1:] if isinstance(a, Labels)), labels)
            tp = args[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(tp))
            if len(args) == 1:
                tp = args[0]
                continue
        return tp, optional, labels


def _options(tp: Any, labels: Labels | None) -> tuple[tuple[str, str], ...]:
    codes = typing.get_args(tp)
    by_code = labels.by_code if labels else {}
    return tuple((str(c), by_code.get(str(c), str(c))) for c in codes)


def _field(name: str, tp: Any, required: bool, description: str | None = None, default: Any = None) -> FormField:
    tp, optional, labels = _unwrap(tp)
    label = FIELD_LABELS.get(name, name)
    if typing.get_origin(tp) is Literal:
        return FormField(name, label, "choice", required, _options(tp, labels))
    if typing.get_origin(tp) is list:
        inner, _, inner_labels = _unwrap(typing.get_args(tp)[0])
        if typing.get_origin(inner) is Literal:
            return FormField(name, label, "choices", required, _options(inner, inner_labels))
        return FormField(name, label, "list", required, item=_field(name, typing.get_args(tp)[0], False))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return FormField(name, label, "group", required, fields=model_fields(tp))
    if tp is bool:
        if optional:
            return FormField(name, label, "maybe_bool", required, BOOL_CHOICES)
        return FormField(name, label, "bool", required, default=bool(default))
    if tp is int:
        return FormField(name, label, "rials" if description == "rials" else "int", required)
    if tp is AnyHttpUrl:
        return FormField(name, label, "url", required)
    return FormField(name, label, "text", required, long=name in LONG_TEXTS)


def model_fields(model: type[BaseModel]) -> tuple[FormField, ...]:
    """The form of a model: one entry per field, in the model's order."""
    out = []
    for name, info in model.model_fields.items():
        tp = info.annotation
        if info.metadata:
            tp = typing.Annotated[(tp, *info.metadata)]
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        out.append(_field(name, tp, info.is_required(), info.description, default))
    return tuple(out)


def service_form() -> FormField:
    """The editor's form: the whole service card as one group."""
    return FormField("", "", "group", fields=model_fields(Service))


# --------------------------------------------------------------------------------------------------
# The posted form → data
# --------------------------------------------------------------------------------------------------


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _tokens(form: Mapping[str, str], prefix: str) -> list[str]:
    """The item tokens of the list at `prefix`, in the order the form sent them."""
    seen: list[str] = []
    start = prefix + "."
    for key in form:
        if key.startswith(start):
            token = key[len(start):].split(".", 1)[0]
            if token and token not in seen:
                seen.append(token)
    return seen


def _clean_text(value: str) -> str:
    """A text as the browser sent it: CRLF line ends made LF, spaces at both ends dropped."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _number(value: str) -> int | str:
    """A number typed with Persian or Latin digits and any thousands separators; the text itself when it
    is not one, so that validation names it."""
    text = to_latin_digits(value).replace(",", "").replace("٬", "").replace("،", "").replace(" ", "").replace("_", "")
    try:
        return int(text)
    except ValueError:
        return value


def _parse(f: FormField, form: Mapping[str, str], path: str) -> Any:
    """The value of one field (None: left empty, so not written)."""
    if f.kind == "group":
        data = {}
        for child in f.fields:
            value = _parse(child, form, _path(path, child.name))
            if value is not None:
                data[child.name] = value
        return data or None
    if f.kind == "list":
        assert f.item is not None
        items = [_parse(f.item, form, f"{path}.{t}") for t in _tokens(form, path)]
        items = [i for i in items if i is not None]
        return items or None
    if f.kind == "choices":
        codes = [code for code, _ in f.options if form.get(f"{path}.{code}")]
        return codes or None
    if f.kind == "bool":  # written only when it differs from the default, so a group left alone stays out
        checked = bool(form.get(path))
        return None if checked == f.default else checked
    raw = _clean_text(form.get(path, ""))
    if not raw:
        return None
    if f.kind == "maybe_bool":
        return {"true": True, "false": False}.get(raw)
    if f.kind in ("int", "rials"):
        return _number(raw)
    return raw


def parse_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The data of a service from the editor's posted form (unknown inputs are ignored)."""
    return _parse(service_form(), form, "") or {}


# --------------------------------------------------------------------------------------------------
# Data → what each input shows
# --------------------------------------------------------------------------------------------------


def _code(f: FormField, value: Any) -> str:
    """A vocabulary value as its code, also when a file wrote the Persian label."""
    text = "" if value is None else str(value)
    for code, label in f.options:
        if fold_label(text) in (fold_label(code), fold_label(label)):
            return code
    return text


def _values(f: FormField, value: Any, path: str, out: dict[str, Any]) -> None:
    if value is None and f.kind == "bool":
        value = f.default
    if value is None and f.kind == "group":  # its yes/no boxes still show their defaults
        for child in f.fields:
            _values(child, None, _path(path, child.name), out)
        return
    if value is None:
        return
    if f.kind == "group":
        if isinstance(value, Mapping):
            out[path] = True  # the group is in the data (an optional group that is not starts folded)
            for child in f.fields:
                _values(child, value.get(child.name), _path(path, child.name), out)
        return
    if f.kind == "list":
        assert f.item is not None
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            _values(f.item, item, f"{path}.{i}", out)
        out[path] = len(items)
        return
    if f.kind == "choices":
        items = value if isinstance(value, list) else [value]
        out[path] = {_code(f, v) for v in items}
        return
    if f.kind == "maybe_bool":
        out[path] = {True: "true", False: "false"}.get(value, str(value))
        return
    if f.kind == "bool":
        out[path] = bool(value)
        return
    if f.kind == "choice":
        out[path] = _code(f, value)
        return
    out[path] = str(value)


def form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What each input of the form shows for `data` (a file's data, valid or not), by input name; a list's
    own name gives its number of items."""
    out: dict[str, Any] = {}
    _values(service_form(), dict(data), "", out)
    return out


def error_key(field_name: str) -> str:
    """The input name a problem's field (`costs[1].amount`, from validate) points at (`costs.1.amount`)."""
    return field_name.replace("[", ".").replace("]", "")


@dataclass
class FormErrors:
    """The problems of an edit by input name; those that name no input are shown above the form."""

    by_name: dict[str, list[str]] = field(default_factory=dict)

    def of(self, name: str) -> list[str]:
        return self.by_name.get(name, [])

    def within(self, name: str) -> list[str]:
        """Problems of an input and of everything under it (a checkbox group's items)."""
        prefix = name + "."
        return [m for key, ms in self.by_name.items() if key == name or key.startswith(prefix) for m in ms]
