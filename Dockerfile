# The bot in a container: Python 3.12 slim, a non-root user, the database on the /data volume, a
# healthcheck against /healthz; the web console (`python -m bot console`) is in the same image. Build and run
# (README "Running in production"):
#   docker build -t khedmat-bot .
#   docker run -d --name khedmat-bot --env-file .env -v khedmat-data:/data -p 127.0.0.1:9090:9090 khedmat-bot
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home --shell /usr/sbin/nologin bot

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY storage/ storage/
COPY console/ console/
RUN pip install --no-cache-dir .
# Knowledge is data the agency edits (in the web console, or by hand): owned by the bot's user so the
# console can publish; docker-compose.yml keeps it on a volume shared by the bot and the console, which
# starts as this copy. The bot follows the files and reloads on its own (BOT_KNOWLEDGE_POLL).
COPY --chown=bot:bot knowledge/ knowledge/

RUN mkdir -p /data && chown bot:bot /data && chmod 0700 /data
VOLUME ["/data"]

ENV BOT_DATABASE=/data/bot.db \
    BOT_KNOWLEDGE_DIR=/app/knowledge \
    BOT_WEBHOOK_LISTEN=0.0.0.0:8443 \
    BOT_METRICS_LISTEN=0.0.0.0:9090 \
    BOT_LOG_FORMAT=json

USER bot:bot
# 8443: the webhook (when BOT_WEBHOOK_URL is set), behind a TLS reverse proxy; 9090: /healthz and /metrics.
EXPOSE 8443 9090
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
