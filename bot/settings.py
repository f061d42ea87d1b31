"""Typed settings, loaded once from the environment or `.env` and passed in; never read deep inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.workhours import DEFAULT as DEFAULT_SUPPORT_HOURS
from bot.workhours import WorkingHours, parse_hours

ROOT = Path(__file__).resolve().parent.parent

API_ROOTS = {
    "telegram": ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    "bale": ("https://tapi.bale.ai/bot", "https://tapi.bale.ai/file/bot"),
}

# An admin: (platform, user id); platform None = the platform the bot is configured for (BOT_PLATFORM).
AdminId = tuple[str | None, int]
MSG_ADMIN_PLATFORM = "BOT_ADMIN_IDS: سکوی «{platform}» شناخته نیست؛ یکی از: {allowed} (مثلاً telegram:123)"
MSG_WEBHOOK_URL = "BOT_WEBHOOK_URL: «{url}» نشانی وب نیست (باید با https:// شروع شود)"
MSG_PROXY_URL = "BOT_PROXY_URL: نشانی پراکسی باید با http:// یا https:// یا socks5:// شروع شود"
MSG_LISTEN = "نشانی شنود «{text}» درست نیست (مثلاً 127.0.0.1:8443)"
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
MSG_ADMIN_ID = "BOT_ADMIN_IDS: «{text}» شناسه عددی کاربر نیست (مثلاً 123 یا telegram:123 یا bale:456)"


def _admin_id(part: object) -> AdminId:
    """`123` → (None, 123); `bale:456` → ("bale", 456); a pair is taken as it is."""
    if isinstance(part, tuple):
        return part  # type: ignore[return-value]
    if isinstance(part, int):
        return None, part
    text = str(part).strip()
    platform, sep, number = text.rpartition(":")
    if sep and platform not in API_ROOTS:
        raise ValueError(MSG_ADMIN_PLATFORM.format(platform=platform, allowed="، ".join(API_ROOTS)))
    if not number.isascii() or not number.isdigit():
        raise ValueError(MSG_ADMIN_ID.format(text=text))
    return (platform if sep else None), int(number)


class Settings(BaseSettings):
    """Everything an operator can set, with the defaults a fresh clone runs on."""

    # Inputs stay out of error messages: BOT_PROXY_URL may hold a password, BOT_TOKEN is one.
    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    token: str | None = None
    username: str | None = None  # the bot's @username, for the deep links of `python -m bot link`
    platform: Literal["telegram", "bale"] = "telegram"
    api_base_url: str | None = None
    # A file path (as always) or a database URL, `sqlite:///data/bot.db`; storage.open_database reads both.
    database: Path | str = Path("data/bot.db")
    knowledge_dir: Path = ROOT / "knowledge"
    # Seconds between two looks of the running bot at the knowledge files (names, sizes, times: no reading);
    # when they changed (the console published, an admin edited), it reloads them as /reload does. 0: never.
    knowledge_poll: float = Field(default=2.0, ge=0)
    # The same number is a different person on another platform: `telegram:123,bale:456`; a plain id is an
    # account of BOT_PLATFORM. Ask with is_admin().
    admin_ids: Annotated[frozenset[AdminId], NoDecode] = frozenset()
    log_retention_days: int = Field(default=180, ge=1)
    # Requests done or rejected this long ago lose their personal data (the request itself stays).
    request_retention_days: int = Field(default=365, ge=1)
    # Requests one chat account may register in 24 hours (a national code is no secret: this bounds what
    # one account can claim).
    max_requests_per_day: int = Field(default=5, ge=1)
    log_level: str = "INFO"
    # Per-user flood control: a burst of this many updates, then this many per second.
    flood_burst: int = Field(default=30, ge=1)
    flood_rate: float = Field(default=5.0, gt=0)
    max_concurrent_updates: int = Field(default=64, ge=1)
    # The web console (`python -m bot console`): where it listens, and whether it is reached over HTTPS (a
    # reverse proxy in front), which makes its cookies Secure.
    console_host: str = "127.0.0.1"
    console_port: int = Field(default=8080, ge=1, le=65535)
    console_https: bool = False
    # The support desk (bot/dialogue/desk.py): the staff group's chat id (unset: no desk, nothing offers
    # it), who may act there besides the admins (same `platform:id` form), and when staff answer.
    support_chat_id: int | None = None
    staff_ids: Annotated[frozenset[AdminId], NoDecode] = frozenset()
    support_hours: str = DEFAULT_SUPPORT_HOURS
    # Running it for real (README "Running in production").
    # A public https:// URL switches `run` from long polling to a webhook served on webhook_listen.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8443"
    # Telegram's secret_token (and, on Bale, the secret last segment of the webhook's path); by default
    # derived from the token, so it is stable across restarts and never has to be written down.
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    # Every Bot API call through this proxy: http://, https:// or socks5:// (Telegram is filtered in Iran).
    proxy_url: str | None = None
    # host:port of /healthz and /metrics; unset: not served.
    metrics_listen: str | None = None
    # Messages a second to the platform for the whole bot (Telegram allows about 30); 0: not paced (a
    # local test server that limits nothing).
    send_rate: float = Field(default=30.0, ge=0)
    # Two instances on one PostgreSQL database: seconds a status notice or a queued reply stays with the
    # instance whose delivery loop took it (killed meanwhile, the other instance sends it after that).
    claim_lease: float = Field(default=60.0, gt=0)
    log_format: Literal["text", "json"] = "text"

    @field_validator("admin_ids", "staff_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """`BOT_ADMIN_IDS=telegram:12, bale:34 56` → {("telegram", 12), ("bale", 34), (None, 56)}."""
        if isinstance(value, str):
            return frozenset(_admin_id(p) for p in value.replace(",", " ").split() if p)
        if isinstance(value, int):
            return frozenset({_admin_id(value)})
        if isinstance(value, (set, frozenset, list, tuple)):
            return frozenset(_admin_id(p) for p in value)
        return value

    def is_admin(self, platform: str, user_id: int) -> bool:
        """Whether this account of this platform is listed in BOT_ADMIN_IDS (a plain id: of BOT_PLATFORM)."""
        return (platform, user_id) in self.admin_ids or (
            platform == self.platform and (None, user_id) in self.admin_ids
        )

    def is_staff(self, platform: str, user_id: int) -> bool:
        """Whether this account may act in the support group: BOT_STAFF_IDS, or an admin."""
        return (platform, user_id) in self.staff_ids or (
            platform == self.platform and (None, user_id) in self.staff_ids
        ) or self.is_admin(platform, user_id)

    @property
    def desk_enabled(self) -> bool:
        """Whether the support desk is on (BOT_SUPPORT_CHAT_ID set)."""
        return self.support_chat_id is not None

    @property
    def working_hours(self) -> WorkingHours:
        return parse_hours(self.support_hours)

    @field_validator("support_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)  # a Persian message naming the setting when it cannot be read
        return value

    @field_validator("support_chat_id", mode="before")
    @classmethod
    def _empty_chat(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database", mode="before")
    @classmethod
    def _path_or_url(cls, value: object) -> object:
        """A URL (`scheme://...`) stays text, since a Path would fold its slashes; anything else is a Path."""
        if isinstance(value, str):
            return value.strip() if "://" in value else Path(value)
        return value

    @field_validator("token", "api_base_url", "webhook_url", "webhook_secret", "proxy_url", "metrics_listen",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(MSG_WEBHOOK_URL.format(url=value))
        return value

    @field_validator("proxy_url")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is not None and value.split("://", 1)[0].lower() not in PROXY_SCHEMES:
            raise ValueError(MSG_PROXY_URL)
        return value

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is not None:
            host_port(value)
        return value

    @property
    def base_url(self) -> str:
        """The Bot API root (PTB `base_url`): the override, or the platform's own.

        An override may be given with or without the trailing `/bot` (`http://127.0.0.1:8081`)."""
        if self.api_base_url:
            root = self.api_base_url.rstrip("/")
            return root if root.endswith("/bot") else root + "/bot"
        return API_ROOTS[self.platform][0]

    @property
    def base_file_url(self) -> str:
        """The file root (PTB `base_file_url`), next to the API root."""
        if self.api_base_url:
            return self.base_url[: -len("/bot")] + "/file/bot"
        return API_ROOTS[self.platform][1]


def host_port(text: str) -> tuple[str, int]:
    """`127.0.0.1:8443` → ("127.0.0.1", 8443); `[::1]:9090` → ("::1", 9090); `:9090` → ("0.0.0.0", 9090)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(MSG_LISTEN.format(text=text))
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def load_settings(**overrides: object) -> Settings:
    """Settings from env/.env, with explicit overrides (CLI flags) winning."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
