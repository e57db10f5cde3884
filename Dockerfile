# Sala in a container: gunicorn serving the app; the same image runs `sala worker`.
# Build: docker build -t sala .   Run: see compose.yaml. The instance folder (/srv/sala/instance)
# holds exports and file-provider mail: mount a volume there.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 1000 sala
WORKDIR /srv/sala

COPY pyproject.toml README.md babel.cfg wsgi.py ./
COPY app ./app
COPY plugins ./plugins
COPY translations ./translations
COPY migrations ./migrations
COPY deploy ./deploy
RUN pip install -e . \
    && pybabel -q compile -d translations \
    && mkdir -p instance && chown sala:sala instance

USER sala
EXPOSE 8000
# gunicorn's worker count: WEB_CONCURRENCY (default: 2 per CPU + 1, at most 9).
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "wsgi:app"]
