# Sala in a container: gunicorn serving the app; the same image runs `sala worker`.
# Build: docker build -t sala .   Run: see compose.yaml.
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
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "wsgi:app"]
