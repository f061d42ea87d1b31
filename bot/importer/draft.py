"""The draft: a card read into the knowledge model's fields with the review notes a person must check, the
three fields a knowledge file cannot do without, and the draft written as a knowledge YAML file."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.folding import fold
from bot.knowledge import Service

# Field names of the card, in the model's order; the bot-only fields (aliases, faq, registration) are not
# the importer's business.
# What the bot adds to a card for citizens (names, situations, FAQ, form, which steps are theirs) is not on
# the card: the importer leaves those to the admin.
BOT_ONLY_FIELDS = ("aliases", "faq", "registration", "review", "needs", "citizen_steps")
CARD_FIELDS = tuple(f for f in Service.model_fields if f not in BOT_ONLY_FIELDS)


@dataclass
class Draft:
    """A card read into the knowledge model's fields, with the doubts a person must check."""

    source: str
    data: dict[str, Any] = field(default_factory=dict)
    review: list[dict[str, str]] = field(default_factory=list)
    scrambled: bool = False
    official_id: bool = False
    only_checked: bool = False  # the extraction kept the marks of checked boxes only

    def flag(self, field_name: str, reason: str, raw: str | None = None) -> None:
        """Records a doubt about a field, with the raw text it came from."""
        note = {"field": field_name, "reason": reason}
        if raw is not None and raw.strip():
            note["raw"] = " ".join(raw.split())[:300]
        if note not in self.review:
            self.review.append(note)

    @property
    def fields_found(self) -> list[str]:
        """The card fields the draft fills, in the model's order (for the report)."""
        return [f for f in CARD_FIELDS if f in self.data]

    @property
    def fields_flagged(self) -> list[str]:
        """The top-level fields with at least one review note, in the order they were flagged."""
        out: list[str] = []
        for note in self.review:
            top = re.split(r"[.\[ /]", note["field"])[0]
            if top not in out:
                out.append(top)
        return out

    def service_data(self) -> dict[str, Any]:
        """The fields in the model's order, review notes last."""
        out = {f: self.data[f] for f in CARD_FIELDS if f in self.data}
        if self.review:
            out["review"] = self.review
        return out


# --------------------------------------------------------------------------------------------------
# Required fields, ids
# --------------------------------------------------------------------------------------------------


def slug_id(title: str) -> str:
    """A stable ASCII id for a card without an official one: the same title (however spaced or spelled
    with Arabic letters) always gives the same id."""
    return "card-" + hashlib.sha1(fold(title).encode("utf-8")).hexdigest()[:10]


def _finish(draft: Draft) -> None:
    """The three fields a knowledge file cannot do without, with a placeholder and a note when unread."""
    d = draft.data
    if "title" not in d:
        d["title"] = f"(عنوان خوانده نشد: {draft.source or 'card'})"
        draft.flag("title", "عنوان خدمت خوانا نیست؛ عنوان موقت گذاشته شد.")
    if "provider" not in d:
        if "parent_agency" in d:
            d["provider"] = d["parent_agency"]
            draft.flag("provider", "نام دستگاه اجرایی خوانا نیست؛ نام دستگاه مادر به جای آن گذاشته شد.")
        else:
            d["provider"] = "نامشخص"
            draft.flag("provider", "نام دستگاه اجرایی خوانا نیست؛ «نامشخص» گذاشته شد.")
    if "id" not in d:
        d["id"] = slug_id(d["title"])
        draft.flag("id", "فرم شناسه رسمی ندارد؛ شناسه از روی عنوان ساخته شد (می‌توان نام گویاتری گذاشت).")


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def draft_yaml(draft: Draft) -> str:
    """The draft as a knowledge file: a header that says it is a draft and lists what to check, then the
    fields (with the same review notes in `review:`, so `validate` and the bot keep them)."""
    head = [
        f"# پیش‌نویس خودکار از شناسنامه خدمت ({draft.source or 'card'}) با `python -m bot import-card`.",
        "# پیش از انتشار با فرم اصلی مقایسه شود؛ نام‌های جست‌وجو (aliases) و پرسش‌های رایج را هم بیفزایید.",
    ]
    if draft.review:
        head.append(f"# {len(draft.review)} مورد نیاز به بازبینی دارد:")
        for note in draft.review:
            head.append(f"#  - {note['field']}: {note['reason']}")
    else:
        head.append("# موردی برای بازبینی علامت نخورد.")
    body = yaml.dump(draft.service_data(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
    return "\n".join(head) + "\n" + body
