"""The service editor's domain, without the console: the form read from the model, a posted form read back,
a knowledge file edited in place (comments and `review:` kept), an edit checked with the whole knowledge
and published atomically (refused when invalid or changed on disk since it was opened), the versions
repository on both backends, and the running bot reloading a changed file on its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.editor.publish import (
    LOCK_FILE,
    Invalid,
    OutsideChange,
    check_edit,
    knowledge_with,
    preview,
    publish,
    read_file,
    service_files,
)
from bot.editor.schema import FormErrors, error_key, parse_form, service_form
from bot.editor.yamlfile import diff, edited_text, text_hash
from bot.knowledge import Service, knowledge_fingerprint, load_knowledge, parse_service
from handlers.fakeapi import BotApiPeer
from tests.support.botchat import running_app
from tests.support.console import as_posted

ROOT = Path(__file__).resolve().parent.parent
KARA = "13011031101"
TVTO = "tvto-skill-training"


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge the test may change."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def test_the_form_is_read_from_the_model_with_the_cards_labels() -> None:
    form = service_form()
    assert [f.name for f in form.fields] == list(Service.model_fields)
    levels = form.child("levels")
    assert levels.kind == "choices" and ("national", "ملی") in levels.options
    stage = form.child("delivery").child("request")
    assert stage.kind == "group" and stage.child("channels").kind == "choices"
    assert ("in_person", "مراجعه حضوری") in stage.child("channels").options
    assert stage.child("electronic").kind == "maybe_bool"  # «نامشخص» is not «خیر»
    costs = form.child("costs")
    assert costs.kind == "list" and costs.item.kind == "group" and costs.item.child("amount").kind == "rials"
    assert form.child("websites").item.kind == "url"
    assert form.child("registration").child("enabled").kind == "bool"
    assert form.child("registration").child("fields").item.child("type").kind == "choice"
    assert form.child("title").required and not form.child("description").required


@pytest.mark.parametrize("path", sorted((ROOT / "knowledge" / "services").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_file_goes_through_the_form_and_back_unchanged(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = parse_form(as_posted(yaml.safe_load(text)))
    assert edited_text(text, data) == text  # nothing changed: not a byte of the file either
    assert Service.model_validate(data) == parse_service(text, "x")[0]


def test_a_posted_form_is_read_in_the_order_it_was_sent_with_persian_digits_and_crlf() -> None:
    form = {
        "id": "driving-3", "title": " گواهینامه ", "provider": "پلیس راهور",
        "documents.n9": "کارت ملی", "documents.0": "عکس", "documents.n2": "  ",
        "costs.0.amount": "۱۲۰٬۰۰۰", "costs.0.purpose": "آزمون", "costs.0.electronic": "true",
        "levels.city": "on", "levels.national": "on",
        "description": "خط یک\r\nخط دو",
        "delivery.request.electronic": "false", "delivery.information.electronic": "",
        "registration.enabled": "on",
    }
    data = parse_form(form)
    assert data == {
        "id": "driving-3", "title": "گواهینامه", "provider": "پلیس راهور", "description": "خط یک\nخط دو",
        "levels": ["national", "city"], "documents": ["کارت ملی", "عکس"],
        "costs": [{"amount": 120000, "purpose": "آزمون", "electronic": True}],
        "delivery": {"request": {"electronic": False}},
    }  # registration.enabled as its default: no registration written
    service = Service.model_validate(data)
    assert service.costs[0].amount == 120000


def test_an_edit_keeps_the_files_comments_and_review_notes_and_parses_to_exactly_the_edit(knowledge_dir: Path) -> None:
    path = knowledge_dir / "services" / f"{TVTO}.yaml"
    text = path.read_text(encoding="utf-8")
    data = parse_form(as_posted(yaml.safe_load(text)))
    data["documents"] = ["کارت ملی هوشمند", *data["documents"]]
    data["costs"][0]["amount"] = 25000
    data["aliases"] = ["فنی حرفه‌ای"]
    new = edited_text(text, data)
    for line in text.splitlines():
        if line.lstrip().startswith("#") or line.startswith("review:") or "reason:" in line:
            assert line in new.splitlines(), line
    assert parse_service(new, "x")[0] == Service.model_validate(data)
    changed = diff(text, new)
    assert "+  - کارت ملی هوشمند" in changed and "amount: 25000" in changed
    # only what changed: a document added, an amount, the aliases (11 out, 1 in), and the diff's two heads
    assert len([line for line in changed.splitlines() if line.startswith(("+", "-"))]) == 2 + 1 + 2 + 12


def test_a_new_service_is_written_in_the_models_order() -> None:
    text = edited_text(None, {"title": "عنوان", "id": "new-one", "provider": "دستگاه", "documents": ["الف"]})
    assert text.splitlines()[:3] == ["id: new-one", "title: عنوان", "provider: دستگاه"]


def test_problems_name_the_file_and_the_field_as_validate_does(knowledge_dir: Path) -> None:
    text = read_file(knowledge_dir, f"{KARA}.yaml")
    data = parse_form(as_posted(yaml.safe_load(text)))
    data["websites"] = ["WWW."]
    checked = check_edit(knowledge_dir, f"{KARA}.yaml", edited_text(text, data))
    assert not checked.ok
    [problem] = checked.problems
    assert str(problem) == (f"{knowledge_dir}/services/{KARA}.yaml: websites[0]: نشانی وب 'WWW.' معتبر نیست"
                            " (باید با http:// یا https:// شروع شود)")
    errors = FormErrors({error_key(problem.field): [problem.message]})
    assert errors.of("websites.0") and errors.within("websites")
    # another file's id is a problem of the whole knowledge
    clash = edited_text(None, {"id": KARA, "title": "تکراری", "provider": "جایی"})
    assert any("شناسه تکراری" in p.message for p in check_edit(knowledge_dir, "copy.yaml", clash).problems)


def test_publish_writes_atomically_keeps_the_mode_and_refuses_invalid_or_outside_changes(knowledge_dir: Path) -> None:
    path = knowledge_dir / "services" / f"{KARA}.yaml"
    path.chmod(0o640)
    opened = path.read_text(encoding="utf-8")
    data = parse_form(as_posted(yaml.safe_load(opened)))
    data["websites"] = ["WWW."]
    with pytest.raises(Invalid):
        publish(knowledge_dir, path.name, edited_text(opened, data), text_hash(opened))
    assert path.read_text(encoding="utf-8") == opened  # nothing written

    data["websites"] = ["https://kara.mcls.gov.ir"]
    edited = edited_text(opened, data)
    outside = opened.replace("# منبع:", "# منبع (ویرایش با git):")
    path.write_text(outside, encoding="utf-8")
    with pytest.raises(OutsideChange) as refused:
        publish(knowledge_dir, path.name, edited, text_hash(opened), opened)
    assert "+# منبع (ویرایش با git):" in refused.value.diff
    assert path.read_text(encoding="utf-8") == outside  # never overwritten silently

    publish(knowledge_dir, path.name, edited, text_hash(outside))
    assert path.read_text(encoding="utf-8") == edited
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    assert load_knowledge(knowledge_dir).get(KARA).websites[0].host == "kara.mcls.gov.ir"
    assert service_files(knowledge_dir)[KARA] == path.name


def test_a_publish_waits_for_one_in_another_process_and_then_sees_its_change(knowledge_dir: Path) -> None:
    # Two consoles on one knowledge folder: the lock on the folder is what one holds while it checks and
    # writes (an open file of its own here, as another process would have).
    import fcntl
    import threading

    path = knowledge_dir / "services" / f"{KARA}.yaml"
    opened = path.read_text(encoding="utf-8")
    data = parse_form(as_posted(yaml.safe_load(opened)))
    data["documents"] = ["گواهی تازه"]
    edited = edited_text(opened, data)
    outcome: list[str] = []

    def second_console() -> None:
        try:
            publish(knowledge_dir, path.name, edited, text_hash(opened), opened)
            outcome.append("published")
        except OutsideChange:
            outcome.append("outside change")

    with open(knowledge_dir / LOCK_FILE, "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX)  # the first console is publishing
        waiting = threading.Thread(target=second_console)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and path.read_text(encoding="utf-8") == opened
        path.write_text(opened.replace("# منبع:", "# منبع (نسخه کنسول دیگر):"), encoding="utf-8")
        fcntl.flock(other, fcntl.LOCK_UN)
    waiting.join(10)
    assert outcome == ["outside change"]  # the first console's file is not overwritten


def test_a_new_file_must_not_exist_yet(knowledge_dir: Path) -> None:
    text = edited_text(None, {"id": "brand-new", "title": "خدمت تازه", "provider": "سازمان آموزش فنی و حرفه‌ای"})
    publish(knowledge_dir, "brand-new.yaml", text, text_hash(None))
    with pytest.raises(OutsideChange):
        publish(knowledge_dir, "brand-new.yaml", text, text_hash(None))
    with pytest.raises(ValueError):
        publish(knowledge_dir, "../lexicon.yaml", text, text_hash(None))


def test_the_preview_answers_from_the_edit_without_writing_it(knowledge_dir: Path) -> None:
    knowledge = load_knowledge(knowledge_dir)
    before = knowledge_fingerprint(knowledge_dir)
    edited = knowledge.get(KARA).model_copy(update={"documents": ["گواهی عدم سوءپیشینه تازه"]})
    shown = preview(knowledge_with(knowledge, edited), "مدارک لازم وام کارا")
    assert "گواهی عدم سوءپیشینه تازه" in shown.answer
    assert shown.decision["match"]["id"] == KARA and shown.decision["intent"] == "documents"
    assert "گواهی عدم سوءپیشینه تازه" not in preview(knowledge, "مدارک لازم وام کارا").answer
    assert knowledge_fingerprint(knowledge_dir) == before


async def test_versions_are_kept_newest_first_on_both_backends(store) -> None:
    first = await store.versions.add(KARA, f"{KARA}.yaml", "id: a\n", "console:ali", "نخست")
    await store.versions.add(TVTO, f"{TVTO}.yaml", "id: b\n", "disk")
    second = await store.versions.add(KARA, f"{KARA}.yaml", "id: c\n", "console:sara")
    assert first.content_hash == text_hash("id: a\n") and first.note == "نخست" and second.note is None
    assert [v.id for v in await store.versions.history(KARA)] == [second.id, first.id]
    assert await store.versions.get(first.id) == first
    assert await store.versions.get(999999) is None
    latest = await store.versions.latest()
    assert latest[KARA] == second and latest[TVTO].author == "disk"
    assert first.created_at.tzinfo is not None


async def test_the_running_bot_answers_with_a_changed_file_and_keeps_its_knowledge_when_one_breaks(
    tmp_path: Path, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    peer = BotApiPeer("telegram")
    path = knowledge_dir / "services" / f"{KARA}.yaml"
    async with running_app(peer, tmp_path / "bot.db", knowledge_dir=knowledge_dir, knowledge_poll=0.1) as bot:
        citizen = bot.citizen()
        before = await citizen.send("مدارک لازم وام کارا")
        assert "گواهی مهارت فنی تازه" not in before[-1]["plain"]

        text = path.read_text(encoding="utf-8")
        data = parse_form(as_posted(yaml.safe_load(text)))
        data["documents"] = ["گواهی مهارت فنی تازه"]
        publish(knowledge_dir, path.name, edited_text(text, data), text_hash(text))
        await _until(lambda: "گواهی مهارت فنی تازه" in bot.rt.dialogue.knowledge.get(KARA).documents)
        after = await citizen.send("مدارک لازم وام کارا")
        assert "گواهی مهارت فنی تازه" in after[-1]["plain"]

        engine = bot.rt.dialogue.engine
        path.write_text("id: [broken\n", encoding="utf-8")
        await _until(lambda: "do not validate" in caplog.text)
        assert bot.rt.dialogue.engine is engine  # the old knowledge stays
        again = await citizen.send("مدارک لازم وام کارا")
        assert "گواهی مهارت فنی تازه" in again[-1]["plain"]
        assert f"{KARA}.yaml: (file): خطای نگارش YAML" in caplog.text


async def _until(condition, within: float = 10) -> None:
    import asyncio

    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - a plain condition, nothing sets an event
            await asyncio.sleep(0.05)
