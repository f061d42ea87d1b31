"""`python -m bot validate`: an admin sees every mistake at once, named by file and field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import check_knowledge, load_knowledge, parse_service

ROOT = Path(__file__).resolve().parent.parent


def run_validate(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "validate", "--knowledge", str(directory)],
        cwd=ROOT, capture_output=True, text=True,
    )


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def write(kdir: Path, name: str, text: str) -> Path:
    path = kdir / "services" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_knowledge_is_valid():
    result = run_validate(ROOT / "knowledge")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "۵" in result.stdout or "5" in result.stdout


def test_three_keys_are_enough():
    service, problems = parse_service("id: minimal\ntitle: خدمت نمونه\nprovider: دستگاه نمونه\n", "m.yaml")
    assert problems == [] and service is not None
    assert service.costs is None and not service.is_free  # not stated is not free


def test_zero_cost_means_free():
    service, _ = parse_service("id: f\ntitle: t\nprovider: p\ncosts: [{amount: 0}]\n", "f.yaml")
    assert service.is_free


def test_every_problem_of_every_file_is_reported(kdir):
    write(kdir, "typo.yaml", "id: typo-one\ntitle: خدمت\nprovider: دستگاه\ncots:\n  - amount: 100\n")
    write(kdir, "types.yaml", "id: types\ntitle: خدمت\nprovider: دستگاه\nin_person_visits: دو بار\nlevels: [کهکشانی]\n")
    write(kdir, "url.yaml", "id: url\ntitle: خدمت\nprovider: دستگاه\nwebsites: [WWW.]\n")
    write(kdir, "empty-title.yaml", "id: empty\ntitle: ''\nprovider: دستگاه\n")
    write(kdir, "missing.yaml", "title: بی‌شناسه\n")
    write(kdir, "syntax.yaml", "id: broken\ntitle: [unclosed\nprovider: x\n")
    write(kdir, "dup.yaml", "id: '13011031101'\ntitle: تکراری\nprovider: دستگاه\n")
    write(kdir, "twice.yaml", "id: twice\ntitle: a\ntitle: b\nprovider: p\n")
    result = run_validate(kdir)
    out = result.stdout
    assert result.returncode != 0
    lines = out.splitlines()

    def has(file: str, field: str, words: str) -> bool:
        return any(line.startswith(str(kdir / "services" / file)) and f": {field}: " in line and words in line
                   for line in lines)

    assert has("typo.yaml", "cots", "فیلد ناشناخته")
    assert has("types.yaml", "in_person_visits", "عدد صحیح")
    assert has("types.yaml", "levels[0]", "مجاز نیست")
    assert has("url.yaml", "websites[0]", "نشانی وب")
    assert has("empty-title.yaml", "title", "خالی")
    assert has("missing.yaml", "id", "لازم")
    assert has("missing.yaml", "provider", "لازم")
    assert has("syntax.yaml", "(file)", "سطر 3")
    assert has("dup.yaml", "id", "تکراری")
    assert has("twice.yaml", "(file)", "دو بار")


def test_hostile_yaml_is_refused_not_executed(kdir, tmp_path):
    marker = tmp_path / "pwned"
    write(kdir, "evil.yaml", f"!!python/object/apply:os.system ['touch {marker}']\n")
    knowledge, problems = check_knowledge(kdir)
    assert knowledge is None and problems and not marker.exists()


def test_forms_are_checked(kdir):
    write(kdir, "form.yaml", """id: form
title: خدمت
provider: دستگاه
registration:
  fields:
    - {name: level, label: سطح, type: choice}
    - {name: level, label: تکرار, type: text}
    - {name: when, label: تاریخ, type: calendar}
""")
    out = run_validate(kdir).stdout
    assert "registration.fields[0]" in out and "choices" in out
    assert "registration.fields[2].type" in out
    assert "registration.fields" in out and "دو بار" in out


def test_lexicon_errors_are_named(kdir):
    (kdir / "lexicon.yaml").write_text("synonyms:\n  - term: وام\nintents:\n  costs: {strong: [x]}\n", encoding="utf-8")
    out = run_validate(kdir).stdout
    assert "lexicon.yaml: synonyms[0].variants:" in out
    assert "lexicon.yaml: intents.costs" in out


def test_persian_labels_are_accepted_for_checkboxes():
    text = "id: x\ntitle: t\nprovider: p\nservice_types: [خدمت به شهروندان]\nlevels: [ملي]\nlife_events: [کسب‌وکار]\n"
    service, problems = parse_service(text, "x.yaml")
    assert problems == []
    assert service.service_types == ["G2C"] and service.levels == ["national"] and service.life_events == ["business"]


def test_load_refuses_broken_knowledge(kdir):
    write(kdir, "bad.yaml", "id: BAD ID\ntitle: t\nprovider: p\n")
    with pytest.raises(Exception, match=r"bad\.yaml: id:"):
        load_knowledge(kdir)


def test_needs_are_checked_like_aliases(kdir):
    write(kdir, "needs.yaml", "id: needs\ntitle: خدمت\nprovider: دستگاه\nneeds: ['بیکارم', '']\naliases: ['']\n")
    out = run_validate(kdir).stdout
    assert f"{kdir / 'services' / 'needs.yaml'}: needs[1]: نباید خالی باشد" in out
    assert f"{kdir / 'services' / 'needs.yaml'}: aliases[0]: نباید خالی باشد" in out


def test_english_part_of_the_lexicon_is_checked(kdir):
    (kdir / "lexicon.yaml").write_text(
        "english:\n"
        "  terms: {loan: وام, کار: job, course: course}\n"
        "  intents: {cost: [how much, هزینه], costs: [price]}\n"
        "  stopwords: [the, و]\n"
        "  extra: 1\n"
        "agencies: [وزارت کار]\n",
        encoding="utf-8",
    )
    out = run_validate(kdir).stdout
    lex = str(kdir / "lexicon.yaml")
    assert f"{lex}: english.terms.کار.[key]: عبارت انگلیسی 'کار' باید با حروف لاتین نوشته شود" in out
    assert f"{lex}: english.terms.course: معادل فارسی 'course' باید با حروف فارسی نوشته شود" in out
    assert f"{lex}: english.intents.cost[1]:" in out
    assert f"{lex}: english.intents.costs.[key]: مقدار 'costs' مجاز نیست" in out
    assert f"{lex}: english.stopwords[1]:" in out
    assert f"{lex}: english.extra: فیلد ناشناخته" in out
    assert f"{lex}: agencies: باید مجموعه‌ای از فیلدها" in out


def test_the_directory_of_services_elsewhere_is_checked(kdir):
    (kdir / "elsewhere.yaml").write_text(
        "services:\n"
        "  - {title: گذرنامه, agency: پلیس, website: www.epolice.ir}\n"
        "  - {title: کارت ملی, agenc: ثبت احوال}\n"
        "  - {title: '', agency: x, review: maybe}\n",
        encoding="utf-8",
    )
    result = run_validate(kdir)
    out = result.stdout
    path = str(kdir / "elsewhere.yaml")
    assert result.returncode != 0
    assert f"{path}: services[0].website: نشانی وب" in out
    assert f"{path}: services[1].agency: این فیلد لازم است" in out
    assert f"{path}: services[1].agenc: فیلد ناشناخته" in out
    assert f"{path}: services[2].title: نباید خالی باشد" in out
    assert f"{path}: services[2].review: باید true یا false باشد" in out


def test_a_broken_directory_file_is_named(kdir):
    (kdir / "elsewhere.yaml").write_text("services: [unclosed\n", encoding="utf-8")
    out = run_validate(kdir).stdout
    assert f"{kdir / 'elsewhere.yaml'}: (file): خطای نگارش YAML" in out


def test_the_directory_is_optional(kdir):
    (kdir / "elsewhere.yaml").unlink()
    knowledge, problems = check_knowledge(kdir)
    assert problems == [] and knowledge.elsewhere == []
