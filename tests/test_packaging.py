"""The deployment files, checked as far as this machine allows: there is no Docker engine and no hadolint
here, so the Dockerfile, docker-compose.yml and the systemd units are parsed and held to what the README
says (non-root user, the database on a volume, a healthcheck that runs a real command, loopback ports,
restart policies), and every setting the bot has is documented."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import yaml

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            out.append((instruction.upper(), args.strip()))
    return out


def exec_form(args: str) -> list[str]:
    assert args.startswith("["), f"not the exec form: {args}"
    return yaml.safe_load(args)


def test_the_dockerfile_runs_the_bot_as_a_non_root_user_with_its_database_on_a_volume() -> None:
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.12-slim")
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    user_at = max(i for i, (instruction, _) in enumerate(steps) if instruction == "USER")
    assert all(instruction not in ("RUN", "COPY") for instruction, _ in steps[user_at:])  # nothing runs as root after
    env = " ".join(args for instruction, args in steps if instruction == "ENV")
    volumes = [v for instruction, args in steps if instruction == "VOLUME" for v in exec_form(args)]
    database = re.search(r"BOT_DATABASE=(\S+)", env)[1]
    assert any(database.startswith(v.rstrip("/") + "/") for v in volumes)
    assert "BOT_METRICS_LISTEN=0.0.0.0:9090" in env  # the healthcheck needs /healthz
    [healthcheck] = [args for instruction, args in steps if instruction == "HEALTHCHECK"]
    command = exec_form(healthcheck[healthcheck.index("CMD") + 3:].strip())
    assert command == ["python", "-m", "bot", "healthcheck"]
    assert build_parser().parse_args(command[3:]).command == "healthcheck"  # a command the bot has
    [cmd] = [args for instruction, args in steps if instruction == "CMD"]
    assert exec_form(cmd) == ["python", "-m", "bot", "run"]
    for instruction, args in steps:
        if instruction == "COPY":
            *sources, _ = [a for a in shlex.split(args) if not a.startswith("--")]  # --chown=...
            assert all((ROOT / s).exists() for s in sources), args
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "*.db", ".git"} <= set(ignored)  # no secret, database or history in the image


def test_every_package_is_installed_by_pip_install_dot() -> None:
    # An editable install finds a package missing from the list anyway; the image's `pip install .` does not.
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".") for top in ("bot", "console", "handlers", "storage")
             for p in (ROOT / top).rglob("__init__.py")}
    assert found == listed


def test_the_readme_gives_the_dockerfiles_commands() -> None:
    for command in ("python -m bot healthcheck", "python -m bot run", "docker compose up -d --build",
                    "python -m bot backup"):
        assert command in README, command


def test_compose_runs_the_bot_and_the_console_on_shared_volumes_with_loopback_ports() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, console = compose["services"]["bot"], compose["services"]["console"]
    assert bot["build"] == "." and console["image"] == bot["image"]
    for service in (bot, console):
        assert service["restart"] in ("unless-stopped", "always") and service["env_file"] == ".env"
        assert all(port.startswith("127.0.0.1:") for port in service["ports"])
        targets = {v.partition(":")[2]: v.partition(":")[0] for v in service["volumes"]}
        assert set(targets) == {"/data", "/app/knowledge"} and set(targets.values()) <= set(compose["volumes"])
    # One database and one knowledge folder: what the console publishes is what the bot reloads.
    assert sorted(bot["volumes"]) == sorted(console["volumes"])
    assert console["command"] == ["python", "-m", "bot", "console"]
    assert build_parser().parse_args(console["command"][3:]).command == "console"
    assert console["environment"]["BOT_CONSOLE_HOST"] == "0.0.0.0"
    assert console["ports"] == [f"127.0.0.1:{console['environment']['BOT_CONSOLE_PORT']}:8080"]


def test_the_image_has_the_console_and_knowledge_the_console_may_write() -> None:
    copies = [shlex.split(args) for instruction, args in dockerfile() if instruction == "COPY"]
    assert ["console/", "console/"] in copies
    [knowledge] = [c for c in copies if c[-1] == "knowledge/"]
    assert knowledge[0] == "--chown=bot:bot"  # the bot's user (USER bot:bot) publishes from the console
    assert "knowledge" in {v.partition(":")[0] for v in yaml.safe_load(
        (ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["bot"]["volumes"]}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(ROOT / "deploy" / name, encoding="utf-8")
    return parser


def test_the_systemd_units_restart_the_bot_as_its_own_user_and_back_it_up() -> None:
    service = unit("khedmat-bot.service")["Service"]
    assert service["ExecStart"].endswith("/.venv/bin/python -m bot run")
    assert service["User"] not in ("root", "0") and service["Restart"] == "always"
    assert service["UMask"] == "0077" and service["KillSignal"] == "SIGTERM"
    backup = unit("khedmat-bot-backup.service")["Service"]
    assert "-m bot backup " in backup["ExecStart"] and backup["User"] == service["User"]
    assert unit("khedmat-bot-backup.timer")["Timer"]["OnCalendar"]


def test_the_console_unit_runs_beside_the_bot_and_may_write_only_the_knowledge() -> None:
    bot, console = unit("khedmat-bot.service")["Service"], unit("khedmat-console.service")["Service"]
    assert console["ExecStart"].endswith("/.venv/bin/python -m bot console")
    assert (console["User"], console["Environment"]) == (bot["User"], bot["Environment"])  # one database
    assert console["ProtectSystem"] == "strict" and console["ReadWritePaths"] == bot["WorkingDirectory"] + "/knowledge"
    assert "khedmat-console.service" in README


def test_every_setting_is_in_the_readme_and_the_example_environment_names_only_real_ones() -> None:
    for name in Settings.model_fields:
        assert f"`BOT_{name.upper()}`" in README, f"BOT_{name.upper()} is not documented"
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*BOT_([A-Z_]+)=", example, flags=re.MULTILINE))
    assert named and {n.lower() for n in named} <= set(Settings.model_fields)
