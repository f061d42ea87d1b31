"""The five curated service identity cards say what their source forms say.

Each test reads the knowledge directory the way the bot does and checks facts a person would check against
the original card (seeds 000-004): title, agency, documents, cost, duration, website, steps, and the
distinctions that matter to a citizen (a card that is silent about cost is not a free service).
Strings below contain ZWNJ (U+200C) where Persian writes it, e.g. «دوره‌های».
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import Knowledge, Service, check_knowledge, load_knowledge

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
ZWNJ = "\u200c"

CARD_IDS = ["13011031101", "13012712105", "tvto-skill-training", "business-clusters", "municipal-training"]


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(KNOWLEDGE_DIR)


def _card(knowledge: Knowledge, service_id: str) -> Service:
    service = knowledge.get(service_id)
    assert service is not None, f"card {service_id} is missing from {KNOWLEDGE_DIR}"
    return service


# --------------------------------------------------------------------------------------------------
# The whole directory
# --------------------------------------------------------------------------------------------------


def test_knowledge_directory_has_no_problems() -> None:
    knowledge, problems = check_knowledge(KNOWLEDGE_DIR)
    assert problems == [], "\n".join(str(p) for p in problems)
    assert knowledge is not None


@pytest.mark.parametrize("service_id", CARD_IDS)
def test_each_card_is_loaded_from_its_own_file(knowledge: Knowledge, service_id: str) -> None:
    service = _card(knowledge, service_id)
    assert service.id == service_id
    assert (KNOWLEDGE_DIR / "services" / f"{service_id}.yaml").is_file()


@pytest.mark.parametrize("service_id", CARD_IDS)
def test_cards_use_persian_letters_and_have_citizen_aliases(knowledge: Knowledge, service_id: str) -> None:
    service = _card(knowledge, service_id)
    texts = [service.title, service.provider, *service.documents, *service.steps, *service.aliases]
    for text in texts:
        assert "ي" not in text and "ك" not in text, f"Arabic letter in {text!r}"
    assert len(service.aliases) >= 3
    assert len(set(service.aliases)) == len(service.aliases), "an alias is written twice"


# --------------------------------------------------------------------------------------------------
# 000 → 13011031101: introduction letter for the Kara loan scheme (the exemplar)
# --------------------------------------------------------------------------------------------------


def test_kara_card(knowledge: Knowledge) -> None:
    s = _card(knowledge, "13011031101")
    assert s.title == "ارائه معرفی‌نامه دریافت تسهیلات طرح کارا"
    assert s.provider == "وزارت تعاون، کار و رفاه اجتماعی - معاونت توسعه کارآفرینی و اشتغال"
    assert s.documents == ["مستندات مرتبط با طرح اشتغال"]
    assert s.costs is None and not s.is_free  # the card gives no amount: unknown, not free
    assert s.duration == "۴۵ روز"
    assert [str(u) for u in s.websites] == ["http://kara.mcls.gov.ir/"]
    assert s.system_name == "سامانه کارا"
    assert len(s.steps) == 9
    assert s.steps[0] == "هماهنگی و نظارت بر دستگاه‌های اجرایی در حوزه مشاغل خانگی"
    assert s.recipients is not None and (s.recipients.count, s.recipients.period) == (500, "month")
    assert len(s.agency_links) == 8 and all(link.mode == "online" for link in s.agency_links)


# --------------------------------------------------------------------------------------------------
# 001 → 13012712105: Imam Khomeini Relief Committee entrepreneurship events (checkbox marks lost)
# --------------------------------------------------------------------------------------------------


def test_relief_committee_card_identity(knowledge: Knowledge) -> None:
    s = _card(knowledge, "13012712105")
    assert s.title == "حمایت از اشتغال نیازمندان (برگزاری رویدادهای کارآفرینی و خودکفایی مددجویان)"
    assert s.provider == "کمیته امداد امام خمینی (ره)"
    assert s.parent_agency == "نهاد کمیته امداد امام خمینی (ره)"
    assert s.audience == "مددجویان تحت پوشش"
    assert s.documents == ["بخشنامه‌ها"]
    assert "بخشنامه‌ها و دستورالعمل‌های امداد امام" in s.laws
    assert "الزامات بودجه حوزه اشتغال و خودکفایی" in s.laws


def test_relief_committee_card_details(knowledge: Knowledge) -> None:
    s = _card(knowledge, "13012712105")
    assert s.is_free and s.costs is not None and [c.amount for c in s.costs] == [0]
    assert s.duration == "یک ماه بعد از تکمیل مدارک"
    assert s.in_person_visits == 1
    assert [str(u) for u in s.websites] == ["https://soha.emdad.ir/"]
    assert s.system_name == "سامانه هوشمند امداد"
    assert s.steps == [
        "شناسایی مددجویان مستعد اشتغال توسط حوزه مددکاری و انجام مشاوره شغلی",
        "برگزاری سمینار کارآفرینی",
        "برگزاری سمینار خودکفایی",
    ]
    assert s.recipients is None and s.frequency is None  # blank on the form


def test_relief_committee_card_does_not_invent_lost_checkboxes(knowledge: Knowledge) -> None:
    s = _card(knowledge, "13012712105")
    assert s.service_types == [] and s.nature == [] and s.levels == []
    assert s.life_events == [] and s.start_triggers == []
    assert s.delivery is None
    flagged = {note.field for note in s.review}
    for field in ("service_types", "nature", "levels", "life_events", "start_triggers", "delivery"):
        assert field in flagged, f"lost checkboxes of {field} are not flagged for review"
    assert all("چک‌باکس" in n.reason or "علامت" in n.reason for n in s.review if n.field == "levels")


# --------------------------------------------------------------------------------------------------
# 002 → tvto-skill-training: Technical and Vocational Training Organization skill courses
# --------------------------------------------------------------------------------------------------


def test_tvto_card_identity(knowledge: Knowledge) -> None:
    s = _card(knowledge, "tvto-skill-training")
    assert s.title == f"برگزاری دوره{ZWNJ}های آموزشی مهارتی"
    assert s.provider == "سازمان آموزش فنی و حرفه‌ای"
    assert s.parent_agency == "وزارت تعاون، کار و رفاه اجتماعی"
    assert s.documents == ["اطلاعات شخصی و شغلی", "فایل عکس"]
    assert s.laws == ["قانون الزام به فراگیری آموزش‌های فنی و حرفه‌ای مصوب ۱۳۷۶"]
    assert s.service_types == ["G2C", "G2B", "G2G"]
    assert s.start_triggers == ["specific_time", "agency_decision"]
    assert s.life_events == ["education"]


def test_tvto_card_costs_20000_rials_paid_online(knowledge: Knowledge) -> None:
    s = _card(knowledge, "tvto-skill-training")
    assert s.costs is not None and len(s.costs) == 1
    cost = s.costs[0]
    assert cost.amount == 20000
    assert cost.electronic is True
    assert cost.purpose is not None and "کارت اعتباری" in cost.purpose
    assert not s.is_free


def test_tvto_card_details(knowledge: Knowledge) -> None:
    s = _card(knowledge, "tvto-skill-training")
    assert s.duration == "نسبت به نوع آموزش متفاوت است"
    assert s.in_person_visits is None  # "-" on the form
    assert s.recipients is not None
    assert (s.recipients.count, s.recipients.period) == (1_300_000, "year")
    assert s.recipients.note == "در حدود ۱ میلیون و ۳۰۰ هزار نفر"
    assert s.frequency is not None and s.frequency.continuous is True and s.frequency.period == "year"
    assert [str(u) for u in s.websites] == [
        "http://www.portaltvto.com/",
        "http://reg.portaltvto.com/dore/grid/student",
        "http://pay.portaltvto.com/pay/bmi/payconfirmlis",
        "http://www.eskill.ir/",
    ]
    assert [(link.system, link.mode) for link in s.system_links] == [
        ("سامانه آزمون", "batch"),
        ("سامانه پرداخت", "batch"),
    ]
    assert len(s.steps) == 5
    assert s.steps[0] == "تعریف دوره از طریق مرکز و تایید آن توسط مرکز - اداره کل - ستاد"
    assert s.steps[2] == "خرید آنلاین کارت اعتباری ۲۰۰۰۰ ریالی"
    assert s.contact is not None
    assert s.contact.email == "bahrami@portaltvto.com"
    assert s.contact.unit == "دفتر توسعه فناوری‌های آموزشی"
    assert s.contact.completed_by == "آرش بهرامی"
    assert "فنی و حرفه‌ای" in s.aliases


# --------------------------------------------------------------------------------------------------
# 003 → business-clusters: Industrial Parks company, business cluster development
# --------------------------------------------------------------------------------------------------


def test_business_clusters_card_identity(knowledge: Knowledge) -> None:
    s = _card(knowledge, "business-clusters")
    assert s.title == "شناسایی، راهبری و حمایت از توسعه خوشه‌های کسب‌وکار"
    assert s.provider == "شرکت شهرک‌های صنعتی کل کشور"
    assert s.parent_agency == "سازمان صنایع کوچک و شهرک‌های صنعتی ایران"
    assert s.documents == ["انجام مطالعات", "درخواست رسمی شرکت استانی", "ارائه مجوز از دستگاه مادر"]
    assert s.laws == []
    assert (s.service_types, s.nature, s.levels) == (["G2B"], ["enterprise"], ["provincial"])
    assert s.start_triggers == ["agency_decision"]


def test_business_clusters_card_is_free_and_has_no_website(knowledge: Knowledge) -> None:
    s = _card(knowledge, "business-clusters")
    assert s.is_free and s.costs is not None and [c.amount for c in s.costs] == [0]  # «رایگان»
    assert s.websites == []  # the card only says "WWW."
    assert any(note.field == "websites" and note.raw == "WWW." for note in s.review)


def test_business_clusters_card_details(knowledge: Knowledge) -> None:
    s = _card(knowledge, "business-clusters")
    assert s.duration == "سه سال"
    assert s.in_person_visits is None
    assert s.recipients is not None and (s.recipients.count, s.recipients.period) == (100, "month")
    assert s.steps == [
        "شناسایی و اولویت‌بندی خوشه‌های کسب‌وکار استان",
        "امکان‌سنجی توسعه خوشه در اولویت استان",
        "انجام مطالعات شناختی خوشه",
        "پیاده‌سازی پروژه توسعه خوشه و انجام برنامه‌های عمل توسعه‌ای",
    ]
    assert s.delivery is not None and s.delivery.information is not None
    info = s.delivery.information
    assert info.electronic is False
    assert info.in_person_reasons == ["other"]
    assert info.in_person_note == "جهت اطلاع‌رسانی و حساس‌سازی ذی‌نفعان خوشه از حمایت دولت"
    assert info.visit_levels == ["provincial"]
    assert s.delivery.delivery is not None and s.delivery.delivery.in_person_note == "انجام اقدام مشترک"
    assert s.agency_links == []
    assert s.agency_links_note is not None and "کمیته استانی خوشه‌های استان" in s.agency_links_note
    # The empty licence tables appended to the seed are not part of this service.
    assert not any("مجوز" in step for step in s.steps)


# --------------------------------------------------------------------------------------------------
# 004 → municipal-training: provincial governorate trains mayors, councils and municipal staff
# --------------------------------------------------------------------------------------------------


def test_municipal_training_card_identity(knowledge: Knowledge) -> None:
    s = _card(knowledge, "municipal-training")
    assert s.title == "آموزش شهرداران و شوراها با هدف آشنایی با آیین‌نامه‌ها و دستورالعمل‌ها"
    assert s.provider == "استانداری"
    assert s.parent_agency == "وزارت کشور"
    assert s.documents == [
        "ابلاغیه سازمان شهرداری‌ها و دهیاری‌ها",
        "درخواست شهرداری",
        "مصوبات کمیته اجرایی آموزش معاونت عمرانی و تایید کمیته راهبری آموزش سازمان شهرداری‌های کشور",
    ]
    assert s.laws[0] == "ابلاغیه‌های وزارت کشور"
    assert s.service_types == ["G2G"]
    assert s.levels == ["provincial"]
    assert s.life_events == ["education", "certificates"]
    assert s.start_triggers == ["applicant_request", "specific_event", "other"]
    assert s.start_note == "ابلاغیه‌های سازمان شهرداری‌ها"


def test_municipal_training_card_details(knowledge: Knowledge) -> None:
    s = _card(knowledge, "municipal-training")
    assert s.costs is None and not s.is_free  # the cost cell is empty: unknown, not free
    assert s.duration == "یک ماه"
    assert s.websites == [] and s.system_name is None
    assert s.in_person_visits is None
    assert s.recipients is not None and s.recipients.count == 750 and s.recipients.period is None
    assert s.frequency is not None and s.frequency.times == 12 and s.frequency.period is None
    assert s.delivery is not None
    assert s.delivery.information is not None
    assert s.delivery.information.electronic is True
    assert s.delivery.information.channels == ["other"]
    assert s.delivery.information.channels_note == "شبکه دولت"
    assert s.delivery.request is not None and s.delivery.request.channels_note == "اتوماسیون اداری"
    assert [link.agency for link in s.agency_links] == ["شهرداری"]
    assert len(s.steps) == 7
    assert s.steps[0] == "تعیین نیازهای آموزشی"
    assert s.steps[-1] == "نظارت و پایش روند اجرا"
    assert "آموزش شهرداران" in s.aliases


# --------------------------------------------------------------------------------------------------
# What search is taught beside the cards
# --------------------------------------------------------------------------------------------------


def test_every_card_lists_situations_in_citizens_words(knowledge: Knowledge) -> None:
    for service_id in CARD_IDS:
        assert len(_card(knowledge, service_id).needs) >= 5, service_id


def test_services_elsewhere_await_an_admins_review_and_give_only_secure_official_addresses(knowledge: Knowledge) -> None:
    entries = knowledge.elsewhere
    assert 10 <= len(entries) <= 20
    assert all(e.review for e in entries)
    titles = " ".join(e.title for e in entries)
    for must in ("گذرنامه", "گواهینامه", "کارت ملی", "شناسنامه", "پلاک", "مالیات", "بیمه", "مدرسه", "مسکن",
                 "ازدواج", "یارانه", "نظام وظیفه"):
        assert must in titles, must
    for e in entries:
        if e.website is not None:
            assert str(e.website).startswith("https://"), e.title
