"""The service editor in the console over HTTP (the ASGI application, no server): who may open which
service, a check that shows validate's problems beside the fields, the preview, publish (file written,
version and audit recorded), an outside change refused with its diff, history and revert, and a new service
from an uploaded card. The browser test is test_console_browser.py."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.knowledge import load_knowledge
from bot.settings import Settings
from console import texts as T
from console.server import build_app
from storage import open_database
from tests.support.console import _HASH as HASH
from tests.support.console import INTERIOR, KARA, KNOWLEDGE, MUNICIPAL, PASSWORD, WELFARE, Browser, as_posted

ROOT = Path(__file__).resolve().parent.parent
CARD = """شناسنامه خدمت
عنوان خدمت: صدور مجوز آموزشگاه آزاد فنی و حرفه‌ای
نام دستگاه اجرایی: سازمان آموزش فنی و حرفه‌ای
نام دستگاه مادر: وزارت تعاون، کار و رفاه اجتماعی
مدارک لازم: کارت ملی، مدرک تحصیلی
"""


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[dict]:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    db = await open_database(tmp_path / "bot.db")
    for name, role, agency in (("ed-welfare", "editor", WELFARE), ("ed-interior", "editor", INTERIOR),
                               ("clerk", "clerk", None), ("ed-all", "editor", None)):
        await db.console.add_user(name, HASH, role, agency)
    app = build_app(Settings(_env_file=None, database=tmp_path / "bot.db", knowledge_dir=knowledge), KNOWLEDGE, store=db)
    browsers: list[Browser] = []

    async def login(name: str) -> Browser:
        b = Browser(app)
        browsers.append(b)
        assert (await b.login(name, PASSWORD)).status_code == 303
        return b

    yield {"db": db, "login": login, "knowledge": knowledge, "path": knowledge / "services" / f"{KARA}.yaml"}
    for b in browsers:
        await b.close()
    await db.close()


def hidden(page: str, name: str) -> str:
    if name == "base":
        return html.unescape(re.search(r'<textarea name="base" hidden>(.*?)</textarea>', page, re.S).group(1))
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


async def opened(b: Browser, service: str = KARA) -> tuple[dict, dict[str, str]]:
    """The data of the service's form as the page shows it, and the hidden fields to post back."""
    page = (await b.get(f"/services/{service}")).text
    base = hidden(page, "base")
    return yaml.safe_load(base), {"base": base, "base_hash": hidden(page, "base_hash")}


async def test_editors_see_and_open_only_their_agencys_services(site) -> None:
    welfare, interior, clerk = await site["login"]("ed-welfare"), await site["login"]("ed-interior"), await site["login"]("clerk")
    listing = (await welfare.get("/services")).text
    assert f'data-service="{KARA}"' in listing and f'data-service="{MUNICIPAL}"' not in listing
    assert (await welfare.get(f"/services/{KARA}")).status_code == 200
    for url in (f"/services/{KARA}", f"/services/{KARA}/history"):
        assert (await interior.get(url)).status_code == 404
    data, extra = await opened(welfare)
    refused = await interior.post(f"/services/{KARA}", {**as_posted(data), **extra, "action": "publish"},
                                  from_page="/services")
    assert refused.status_code == 404
    assert (await interior.post(f"/services/{KARA}/revert", {"version": "1"}, from_page="/services")).status_code == 404
    assert (await clerk.get("/services")).status_code == 403
    no_csrf = await welfare.client.post(f"/services/{KARA}", data={**as_posted(data), "action": "publish"})
    assert no_csrf.status_code == 403


async def test_a_bad_url_is_shown_beside_its_field_and_nothing_is_written(site) -> None:
    b = await site["login"]("ed-welfare")
    before = site["path"].read_text(encoding="utf-8")
    data, extra = await opened(b)
    data["websites"] = ["WWW."]
    answer = await b.post(f"/services/{KARA}", {**as_posted(data), **extra, "action": "publish"}, from_page="/services")
    assert answer.status_code == 422
    page = answer.text
    assert f"{site['path']}: websites[0]: نشانی وب &#39;WWW.&#39; معتبر نیست" in page
    field = page[page.index('id="f-websites-0"'):][:600]
    assert "نشانی وب" in field and "field-error" in field  # beside the input itself
    assert site["path"].read_text(encoding="utf-8") == before


async def test_preview_answers_from_the_unpublished_edit(site) -> None:
    b = await site["login"]("ed-welfare")
    data, extra = await opened(b)
    data["documents"] = ["گواهی اشتغال تازه"]
    answer = await b.post(f"/services/{KARA}", {**as_posted(data), **extra, "action": "preview",
                                                "question": "مدارک لازم وام کارا چیه"}, from_page="/services")
    assert answer.status_code == 200
    shown = answer.text[answer.text.index('id="preview-answer"'):]
    assert "گواهی اشتغال تازه" in shown[:2000] and KARA in answer.text[answer.text.index('id="preview-decision"'):][:800]
    assert "گواهی اشتغال تازه" not in site["path"].read_text(encoding="utf-8")


async def test_publish_writes_the_file_records_a_version_and_the_audit_and_revert_brings_it_back(site) -> None:
    b = await site["login"]("ed-welfare")
    original = site["path"].read_text(encoding="utf-8")
    data, extra = await opened(b)
    data["documents"] = ["گواهی اشتغال تازه", *data["documents"]]
    done = await b.post(f"/services/{KARA}", {**as_posted(data), **extra, "action": "publish", "note": "مدرک تازه"},
                        from_page="/services")
    assert done.status_code == 303 and done.headers["location"] == f"/services/{KARA}"
    written = site["path"].read_text(encoding="utf-8")
    assert "  - گواهی اشتغال تازه" in written and "# منبع:" in written
    assert load_knowledge(site["knowledge"]).get(KARA).documents[0] == "گواهی اشتغال تازه"
    versions = await site["db"].versions.history(KARA)
    assert [(v.author, v.note) for v in versions] == [("console:ed-welfare", "مدرک تازه"), ("disk", T.EDITOR_DISK_NOTE)]
    assert versions[1].content == original and versions[0].content == written
    audit = await site["db"].audit.recent(5)
    assert any(e.action == T.ACT_PUBLISH and e.target == KARA and e.os_user == "console:ed-welfare" for e in audit)
    assert "منتشر شد" in (await b.get(f"/services/{KARA}")).text

    history = (await b.get(f"/services/{KARA}/history")).text
    assert "+  - گواهی اشتغال تازه" in html.unescape(history)
    reverted = await b.post(f"/services/{KARA}/revert",
                            {"version": str(versions[1].id), "base_hash": hidden(history, "base_hash")},
                            from_page="/services")
    assert reverted.status_code == 303
    assert site["path"].read_text(encoding="utf-8") == original
    assert (await site["db"].versions.history(KARA))[0].note == T.EDITOR_REVERT_NOTE.format(old=versions[1].id).translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


async def test_a_change_made_outside_the_console_is_shown_and_never_overwritten(site) -> None:
    b = await site["login"]("ed-welfare")
    data, extra = await opened(b)
    await b.post(f"/services/{KARA}", {**as_posted(data), **extra, "action": "publish"}, from_page="/services")
    data, extra = await opened(b)
    outside = site["path"].read_text(encoding="utf-8").replace("# منبع:", "# منبع (git):")
    site["path"].write_text(outside, encoding="utf-8")
    assert T.EDITOR_CHANGED_OUTSIDE in (await b.get("/services")).text
    data["documents"] = ["چیزی دیگر"]
    refused = await b.post(f"/services/{KARA}", {**as_posted(data), **extra, "action": "publish"}, from_page="/services")
    assert refused.status_code == 409
    assert T.EDITOR_OUTSIDE in refused.text and "+# منبع (git):" in html.unescape(refused.text)
    assert site["path"].read_text(encoding="utf-8") == outside


async def test_a_new_service_from_an_uploaded_card(site) -> None:
    b = await site["login"]("ed-welfare")
    csrf = await b.csrf("/services")
    draft = await b.client.post("/services/new/card", data={"csrf": csrf}, headers={"origin": b.base_url},
                                files={"card": ("card.txt", CARD.encode("utf-8"), "text/plain")})
    assert draft.status_code == 200, draft.text[:500]
    page = draft.text
    assert 'id="review"' in page and "صدور مجوز آموزشگاه آزاد" in page and 'action="/services/new"' in page
    data = yaml.safe_load(hidden(page, "base"))
    data["id"] = "tvto-school-licence"
    data.pop("review", None)
    done = await b.post("/services/new", {**as_posted(data), "base": hidden(page, "base"), "base_hash": "",
                                          "action": "publish"}, from_page="/services")
    assert done.status_code == 303, done.text[:2000]
    assert (site["knowledge"] / "services" / "tvto-school-licence.yaml").exists()
    assert "tvto-school-licence" in (await b.get("/services")).text
    word = await b.client.post("/services/new/card", data={"csrf": csrf}, headers={"origin": b.base_url},
                               files={"card": ("card.pdf", b"%PDF", "application/pdf")})
    assert word.status_code == 303


async def test_the_official_word_form_opens_as_a_draft_with_its_review_list(site) -> None:
    from tests.support.cardform import build_docx, card_from_text
    from tests.test_importer import seed_text

    b = await site["login"]("ed-welfare")
    csrf = await b.csrf("/services")
    word = build_docx(card_from_text(seed_text("004")), boxes="content-control")
    draft = await b.client.post(
        "/services/new/card", data={"csrf": csrf}, headers={"origin": b.base_url},
        files={"card": ("کارت.docx", word, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")},
    )
    assert draft.status_code == 200, draft.text[:500]
    data = yaml.safe_load(hidden(draft.text, "base"))
    assert data["title"].startswith("آموزش شهرداران") and data["parent_agency"] == "وزارت کشور"
    assert data["service_types"] == ["G2G"] and 'id="review"' in draft.text
    assert not any(p.name.startswith("card-") for p in (site["knowledge"] / "services").iterdir())  # nothing written


async def test_suggestions_from_both_sources_are_accepted_through_the_editor_or_rejected_with_a_reason(site) -> None:
    db = site["db"]
    await db.suggestions.suggest("وام اشتغال روستا", "وام اشتغال روستا؟", KARA, "alias", "وام اشتغال روستا", None,
                                 "console:clerk-welfare")
    ticket, _ = await db.tickets.open("telegram", 7, 7, service_id=None, question="؟", context="", group_chat_id=-1)
    assert await db.tickets.suggest(ticket.id, "telegram", "می‌خواهم کارگاه خیاطی راه بیندازم", None, 11)
    welfare, interior = await site["login"]("ed-welfare"), await site["login"]("ed-interior")

    queue = (await welfare.get("/suggestions")).text
    assert 'data-ref="u-1"' in queue and 'data-ref="d-1"' in queue
    assert "پرسش بی‌پاسخ" in queue and "میز پشتیبانی" in queue
    other = (await interior.get("/suggestions")).text
    assert 'data-ref="u-1"' not in other and 'data-ref="d-1"' in other  # a need without a service: any editor
    assert (await interior.get("/suggestions/u-1/accept")).status_code == 404

    opened_page = await welfare.get("/suggestions/u-1/accept")
    assert opened_page.status_code == 200 and 'name="suggestion" value="u-1"' in opened_page.text
    page = opened_page.text
    data = yaml.safe_load(hidden(page, "base"))
    assert 'value="وام اشتغال روستا"' in page  # added to the form...
    assert "وام اشتغال روستا" not in data["aliases"]  # ...and the file untouched until published
    data["aliases"].append("وام اشتغال روستا")
    done = await welfare.post(f"/services/{KARA}", {**as_posted(data), "base": hidden(page, "base"),
                                                    "base_hash": hidden(page, "base_hash"), "suggestion": "u-1",
                                                    "action": "publish"}, from_page="/services")
    assert done.status_code == 303
    assert "  - وام اشتغال روستا" in site["path"].read_text(encoding="utf-8")
    accepted = await db.suggestions.get(1)
    assert (accepted.status, accepted.decided_by) == ("accepted", "console:ed-welfare")

    rejected = await interior.post("/suggestions/d-1/reject", {"reason": "خدمت آن در این بات نیست"}, from_page="/suggestions")
    assert rejected.status_code == 303
    desk = await db.tickets.get_suggestion(1)
    assert (desk.status, desk.decided_by, desk.decision_note) == ("rejected", "console:ed-interior", "خدمت آن در این بات نیست")
    assert 'data-ref="d-1"' not in (await welfare.get("/suggestions")).text  # no longer open
    assert "خدمت آن در این بات نیست" in (await welfare.get("/suggestions?status=all")).text
