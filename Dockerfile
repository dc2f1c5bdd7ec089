# newsdedup: the daemon, with its SQLite database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    NEWSDEDUP_DB=/data/newsdedup.db NEWSDEDUP_HOST=0.0.0.0 NEWSDEDUP_PORT=8080 \
    XDG_CACHE_HOME=/var/cache

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY storage ./storage
COPY feeds ./feeds
COPY newsdedup ./newsdedup
COPY seeds ./seeds
# The language model's and word lists' derived tables, built into the image (ingest/cache.py):
# every process maps them instead of deriving them at start.
RUN pip install . \
    && python -c "from ingest import language_model; from ingest.matching import wordlists; language_model.load(); wordlists.prepare()" \
    && useradd --system --uid 10001 --home-dir /data newsdedup \
    && mkdir -p /data && chown newsdedup /data && chown -R newsdedup /var/cache/newsdedup

USER newsdedup
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWSDEDUP_PORT', '8080'), timeout=4)" || exit 1
# SIGTERM lets running sources finish the document in hand (shutdown_timeout, 30 s):
# stop with `docker stop -t 35`. A harder stop loses nothing stored either.
STOPSIGNAL SIGTERM
CMD ["newsdedup", "serve"]
