# One image for every Ledgerline process; the compose file and the Helm chart pick the command
# (`db migrate`, `serve write`, `serve read`, `relay`, `project mongo|search`, `notify`).
# Configuration comes only from LEDGERLINE_* environment variables (infra/settings.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY commands ./commands
COPY event_store ./event_store
COPY projections ./projections
COPY write_api ./write_api
COPY read_api ./read_api
COPY infra ./infra
# A fixed uid, so that Kubernetes can check runAsNonRoot (the chart's podSecurityContext).
RUN pip install . && useradd --system --uid 10001 --user-group --no-create-home \
    --shell /usr/sbin/nologin ledgerline

USER 10001:10001
ENV LEDGERLINE_ENV=production \
    LEDGERLINE_BIND_HOST=0.0.0.0
EXPOSE 8000 8001 9101 9102 9103 9104
ENTRYPOINT ["ledgerline"]
CMD ["--help"]
