"""The vocabularies of the service identity card (شناسنامه خدمت): the codes of its checkbox groups with the
Persian labels printed on the form, and the names of form field types and question intents."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.questions import NAMES as QUESTION_TYPES

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


@dataclass(frozen=True)
class Labels:
    """The Persian labels of a vocabulary's codes, kept in the model's type beside its validator so that a
    form built from the model (the console's service editor) shows the labels printed on the card."""

    by_code: Mapping[str, str] = field(hash=False, compare=False)


def fold_label(text: str) -> str:
    """A label compared loosely: Arabic ي/ك, ZWNJ, spaces and parentheses do not matter."""
    text = text.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی")
    return re.sub(r"[\s\u200c()\-_]", "", text).lower()


FIELD_TYPES = (
    "text", "person_name", "national_code", "mobile", "number", "choice", "yes_no", "jalali_date",
    "province", "province_city",
)
INTENTS = QUESTION_TYPES  # the members of bot.questions.Intent
