"""Ledgerline configuration: one pydantic-settings class read from ``LEDGERLINE_*`` variables.

Nothing else in the code base reads ``os.environ``. Defaults point at the local stack that
``ledgerline dev up`` starts (ports chosen away from the servers' usual ones so a developer's own
PostgreSQL or Kafka does not collide with ours).
"""

from __future__ import annotations

import base64
import binascii
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "ledgerline-dev-secret-do-not-use-in-production"
DEV_SIGNING_KEY_SECRET = "bGVkZ2VybGluZS1kZXYtc2lnbmluZy1rZXlzLTMyYnk="  # refused in production
MAX_API_INSTANCES = 16
# Instance ports step by two so that the write API's (from 8000) and the query API's (from
# 8001) interleave without colliding.
API_INSTANCE_PORT_STRIDE = 2


class Settings(BaseSettings):
    """Every knob of every Ledgerline process."""

    model_config = SettingsConfigDict(env_prefix="LEDGERLINE_", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = Path(".local")
    bind_host: str = "127.0.0.1"

    # PostgreSQL (event store)
    postgres_port: int = 55432
    postgres_database: str = "ledgerline"
    postgres_user: str = "postgres"
    database_url_override: str | None = Field(default=None, alias="LEDGERLINE_DATABASE_URL")
    # Hot standby (infra/failover.py): ``standby`` makes database_url list both servers and ask
    # for the writable one; ``synchronous_standby``: commits wait until the standby applied them.
    standby: bool = False
    standby_port: int = 55433
    synchronous_standby: bool = True
    db_pool_min_size: int = 2
    db_pool_max_size: int = 20
    db_pool_timeout_s: float = 10.0

    # Kafka
    kafka_port: int = 59092
    kafka_controller_port: int = 59093
    kafka_bootstrap_override: str | None = Field(
        default=None, alias="LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS"
    )
    kafka_topic: str = "ledgerline.events"
    kafka_partitions: int = 6
    # Projector consumer groups are "<prefix>-mongo" and "<prefix>-search"; systems sharing a
    # broker (or tests sharing one) give each its own prefix.
    kafka_group_prefix: str = "ledgerline"

    # MongoDB-protocol server
    mongo_port: int = 57017
    mongo_url_override: str | None = Field(default=None, alias="LEDGERLINE_MONGO_URL")
    mongo_database: str = "ledgerline"

    # Elasticsearch (HTTP, and the transport port a node binds even when it is alone)
    elasticsearch_port: int = 59200
    elasticsearch_transport_port: int = 59300
    # C1 JIT only for the local node: half the CPU to start, slower once warm (test stacks).
    elasticsearch_quick_start: bool = False
    elasticsearch_url_override: str | None = Field(
        default=None, alias="LEDGERLINE_ELASTICSEARCH_URL"
    )

    # Outgoing mail (infra/mail). The defaults send to the local Mailpit that `dev up` starts on
    # smtp_port; in production they name the relay. Credentials are only sent over TLS there.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 51025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # PEM bundle trusted instead of the system's CAs (a private relay's, or a test's).
    smtp_ca_file: Path | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0.0, le=300.0)
    mail_from: str = "Ledgerline <no-reply@ledgerline.localhost>"
    # Mailpit's web UI and API (local stack only; the mail catcher listens on smtp_port)
    mailpit_http_port: int = 58025

    # Redis: rate-limit buckets and wake-up signals only; never the only copy of anything.
    redis_port: int = 56379
    redis_url_override: str | None = Field(default=None, alias="LEDGERLINE_REDIS_URL")
    # Every key and channel starts with "<prefix>:"; systems sharing one Redis (or tests sharing
    # one) give each its own prefix, so their buckets and signals never cross.
    redis_prefix: str = Field(default="ledgerline", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")

    # The gateway (NGINX): the single entry point, HTTPS with HTTP/2 and plain HTTP redirected.
    gateway_port: int = 8443
    gateway_http_port: int = 8080
    # Instances of each API behind the gateway (`ledgerline dev run --instances N`). Instance i
    # (from 0) of the write API listens on write_api_port + 2i, of the query API on
    # read_api_port + 2i (api_instance_ports): 8000, 8002 … and 8001, 8003 … by default.
    api_instances: int = Field(default=2, ge=1, le=MAX_API_INSTANCES)
    # Addresses whose X-Forwarded-For/-Proto the APIs believe (the gateway's); "*" trusts all.
    forwarded_allow_ips: str = "127.0.0.1"
    # The gateway's outer guard, per client address: requests per second (with a burst allowance
    # on top) and open connections. Generous enough for one machine's benchmarks and tests; the
    # APIs' own per-subject limits (rate_limit_*) are the fine-grained ones.
    gateway_requests_per_s: int = Field(default=2000, ge=1)
    gateway_request_burst: int = Field(default=1000, ge=1)
    gateway_connections_per_address: int = Field(default=256, ge=1)
    # How long the gateway waits for a client's headers or body, and for an instance's answer
    # (which may legitimately take min_version_wait_s or command_retry_budget_s).
    gateway_client_timeout_s: int = Field(default=10, ge=1)
    gateway_upstream_timeout_s: int = Field(default=30, ge=1)
    # The web console the gateway serves from "/": a production build (index.html, assets/).
    # Unset: this checkout's web/dist, which `ledgerline dev run` builds first.
    console_dir: Path | None = None

    # The gateway's connection counts for Prometheus: NGINX's stub_status on a private port,
    # read by the NGINX Prometheus exporter, which serves them on its own port.
    gateway_status_port: int = 58080
    gateway_exporter_port: int = 59113

    # Jaeger (local tracing backend): OTLP receivers, and the UI with its query API
    jaeger_otlp_grpc_port: int = 54317
    jaeger_otlp_http_port: int = 54318
    jaeger_ui_port: int = 56686
    jaeger_query_grpc_port: int = 56685

    # Prometheus (local): scrapes every process and evaluates the alert rules this often
    prometheus_port: int = 59090
    prometheus_scrape_interval_s: int = Field(default=15, ge=1, le=300)

    # Metrics and health of the non-HTTP processes (0 = any free port)
    relay_metrics_port: int = 9101
    projector_mongo_metrics_port: int = 9102
    projector_search_metrics_port: int = 9103
    # Relay replicas (projections/leadership.py): a leader whose heartbeat is this late is
    # deposed (PostgreSQL ends its lock session); waiting replicas try the lock this often.
    relay_leader_lease_s: float = Field(default=5.0, ge=1.0, le=60.0)
    relay_leader_retry_s: float = Field(default=0.5, gt=0.0, le=10.0)

    # Read models
    search_index_prefix: str = "ledgerline"
    # How long a projector may use a personal-data key it read, i.e. how long after a user is
    # forgotten a projector can still open their data from records in flight
    # (projections/unsealing.py).
    personal_data_key_ttl_s: float = Field(default=1.0, ge=0.0, le=60.0)
    min_version_wait_s: float = 5.0
    # How often a min_version wait re-reads its document without a version signal (a missed
    # one, or Redis down); signals wake it at once.
    min_version_recheck_s: float = Field(default=0.25, gt=0.0)

    # HTTP services
    write_api_port: int = 8000
    read_api_port: int = 8001
    max_body_bytes: int = 64 * 1024
    command_retry_budget_s: float = 5.0

    # HTTP hardening
    cors_allow_origins: list[str] = Field(default_factory=list)
    rate_limit_enabled: bool = True
    rate_limit_per_s: float = 50.0  # per authenticated subject, shared by all API processes
    rate_limit_burst: int = 100
    anonymous_rate_limit_per_s: float = 2.0  # per client address (sign-up)
    anonymous_rate_limit_burst: int = 20

    # Auth: HS256 with a shared secret, plus RS256 when a public key (PEM) or a JWKS file is set
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    dev_token_ttl_s: int = 3600

    # The auth service: our own ES256 tokens (infra/auth). The issuer is the public address of
    # the auth service: empty means the gateway's (gateway_url), where clients reach it.
    auth_issuer: str = ""
    auth_audience: str = "ledgerline"
    access_token_ttl_s: int = Field(default=600, ge=30, le=3600)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=300)
    # 32 bytes, base64: seals the private signing keys in PostgreSQL.
    signing_key_secret: SecretStr = SecretStr(DEV_SIGNING_KEY_SECRET)
    signing_keys_refresh_s: float = 30.0
    staff_roles_need_mfa: bool = True
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=32_768, ge=1024)
    password_hash_parallelism: int = Field(default=1, ge=1)
    login_free_failures_per_account: int = 5
    login_free_failures_per_address: int = 20
    login_lock_base_s: float = 30.0
    login_lock_max_s: float = 900.0
    # E-mail links (infra/auth/email_tokens.py): where they point (the web console behind the
    # gateway; empty means gateway_url), how long each kind lives, and how often one address may
    # ask for a reset.
    public_url: str = ""
    verify_email_token_ttl_s: int = Field(default=24 * 3600, ge=300, le=7 * 86_400)
    password_reset_token_ttl_s: int = Field(default=30 * 60, ge=300, le=86_400)
    # Requests per address before the first lock (then one more after each doubling lock).
    password_reset_requests_per_address: int = Field(default=3, ge=1)
    password_reset_lock_base_s: float = 300.0
    password_reset_lock_max_s: float = 3600.0

    # Notifier (projections/notifier): webhooks and e-mail
    notifier_metrics_port: int = 9104
    # Loopback and private receivers (and plain http): None means "only in dev and test".
    webhooks_allow_private_addresses: bool | None = None
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60)
    webhook_workers: int = Field(default=16, ge=1, le=256)
    webhook_endpoint_concurrency: int = Field(default=4, ge=1, le=64)
    # How long a claimed delivery is reserved for the notifier that claimed it: after a crash,
    # its deliveries are due again this long after the claim. Must exceed the timeout.
    webhook_claim_lease_s: float = Field(default=60.0, gt=0)
    # Multiplies the retry schedule (5 s, 5 min, 30 min ... 3 days): below 1 only for soak runs
    # and drills that must see many retries in minutes.
    webhook_retry_delay_scale: float = Field(default=1.0, gt=0, le=1)
    # A debit (withdrawal or transfer out) of at least this many minor units is mailed.
    mail_large_withdrawal_minor: int = Field(default=100_000, ge=1)

    # Tracing (infra/tracing): off unless an endpoint is set.
    tracing_endpoint: str | None = Field(
        default=None,
        description=(
            "Base address of an OTLP/HTTP trace receiver (Jaeger's is http://127.0.0.1:<its "
            "OTLP/HTTP port>; /v1/traces is appended). Unset: tracing is off, no OpenTelemetry "
            "SDK or instrumentation is loaded."
        ),
        pattern=r"^https?://[^\s]+$",
    )
    tracing_sample_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description=(
            "Share of requests whose traces are recorded when tracing is on (parent-based: "
            "a request that arrives with a sampled traceparent is recorded, and everything a "
            "recorded command causes downstream with it)."
        ),
    )

    # SIGTERM: how long a process may take to finish in-flight requests or its batch, commit
    # and leave its consumer group before it exits anyway (infra/signals.py; uvicorn's graceful
    # shutdown). Kubernetes' terminationGracePeriodSeconds must exceed it (the chart adds 10 s).
    shutdown_grace_s: float = Field(default=30.0, gt=0.0, le=600.0)

    # Backups and point-in-time recovery (infra/backup): base backups and the WAL archive live
    # under backup_dir (default <data_dir>/backups); keep this many full backups (with their
    # incrementals), older ones and the WAL before the oldest kept one are pruned.
    backup_dir_override: Path | None = Field(default=None, alias="LEDGERLINE_BACKUP_DIR")
    backup_keep_full: int = Field(default=2, ge=1, le=1000)
    backup_slot: str = Field(default="ledgerline_archive", pattern=r"^[a-z0-9_]{1,63}$")
    wal_archiver_metrics_port: int = 9105

    # Logging
    log_level: str = "INFO"
    log_format: Literal["json", "console"] | None = None

    @model_validator(mode="after")
    def _refuse_dev_secret_in_production(self) -> Settings:
        if self.env == "production" and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError("LEDGERLINE_JWT_SECRET must be set in production")
        secret = self.signing_key_secret.get_secret_value()
        if self.env == "production" and secret == DEV_SIGNING_KEY_SECRET:
            raise ValueError("LEDGERLINE_SIGNING_KEY_SECRET must be set in production")
        try:
            raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ValueError("LEDGERLINE_SIGNING_KEY_SECRET must be 32 bytes in base64")
        return self

    @property
    def dev_tokens_allowed(self) -> bool:
        """HS256 tokens from ``ledgerline auth token``: development and tests only."""
        return self.env != "production"

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self) -> Settings:
        if self.webhook_claim_lease_s <= self.webhook_timeout_s + 1:
            raise ValueError(
                "LEDGERLINE_WEBHOOK_CLAIM_LEASE_S must exceed LEDGERLINE_WEBHOOK_TIMEOUT_S + 1"
            )
        return self

    @model_validator(mode="after")
    def _mail_settings_are_usable(self) -> Settings:
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ValueError("LEDGERLINE_SMTP_USER and LEDGERLINE_SMTP_PASSWORD go together")
        if self.env == "production" and self.smtp_user and self.smtp_security == "none":
            raise ValueError(
                "LEDGERLINE_SMTP_SECURITY must be starttls or tls in production when a login "
                "is set (the password would cross the network in clear)"
            )
        _, address = parseaddr(self.mail_from)
        if "@" not in address:
            raise ValueError("LEDGERLINE_MAIL_FROM must be an address, e.g. 'Name <a@b.example>'")
        return self

    @model_validator(mode="after")
    def _public_addresses_default_to_the_gateway(self) -> Settings:
        # Filled in here rather than derived on use, so process_environment hands children the
        # same value even when they run with another gateway_port.
        self.auth_issuer = self.auth_issuer or self.gateway_url
        self.public_url = self.public_url or self.gateway_url
        return self

    @model_validator(mode="after")
    def _key_files_exist(self) -> Settings:
        for name in ("jwt_public_key_file", "jwt_jwks_file", "smtp_ca_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"LEDGERLINE_{name.upper()} points at a missing file: {path}")
        return self

    @cached_property
    def database_url(self) -> str:
        if self.database_url_override:
            return self.database_url_override
        if self.standby:
            return (
                f"postgresql://{self.postgres_user}@127.0.0.1:{self.postgres_port},"
                f"127.0.0.1:{self.standby_port}/{self.postgres_database}"
                "?target_session_attrs=read-write"
            )
        return (
            f"postgresql://{self.postgres_user}@127.0.0.1:{self.postgres_port}"
            f"/{self.postgres_database}"
        )

    @property
    def gateway_url(self) -> str:
        """Where clients reach Ledgerline: the gateway's HTTPS address."""
        return f"https://127.0.0.1:{self.gateway_port}"

    def api_instance_ports(self, instances: int) -> tuple[list[int], list[int]]:
        """The ports of ``instances`` write API and query API processes (see api_instances);
        ValueError when the two series would share a port."""
        if not 1 <= instances <= MAX_API_INSTANCES:
            raise ValueError(f"instances must be between 1 and {MAX_API_INSTANCES}")
        steps = [API_INSTANCE_PORT_STRIDE * i for i in range(instances)]
        write = [self.write_api_port + step for step in steps]
        read = [self.read_api_port + step for step in steps]
        if set(write) & set(read):
            raise ValueError(
                f"{instances} instances of each API need distinct ports: write_api_port "
                f"({self.write_api_port}) + 2i and read_api_port ({self.read_api_port}) + 2i "
                "collide; put one on an even and the other on an odd port"
            )
        return write, read

    @cached_property
    def redis_url(self) -> str:
        return self.redis_url_override or f"redis://127.0.0.1:{self.redis_port}/0"

    @cached_property
    def kafka_bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_override or f"127.0.0.1:{self.kafka_port}"

    @cached_property
    def mongo_url(self) -> str:
        return self.mongo_url_override or f"mongodb://127.0.0.1:{self.mongo_port}/"

    @property
    def backup_dir(self) -> Path:
        return self.backup_dir_override or self.data_dir / "backups"

    @property
    def elasticsearch_url(self) -> str:
        return self.elasticsearch_url_override or f"http://127.0.0.1:{self.elasticsearch_port}"

    def process_environment(self) -> dict[str, str]:
        """The ``LEDGERLINE_`` variables that make a child process (``python -m infra.cli ...``)
        see these settings (``infra.child_environment``)."""
        from infra.child_environment import child_environment

        return child_environment(self)

    def tracing_environment(self) -> dict[str, str]:
        """The tracing variables of a child process: none while tracing is off."""
        if self.tracing_endpoint is None:
            return {}
        return {
            "LEDGERLINE_TRACING_ENDPOINT": self.tracing_endpoint,
            "LEDGERLINE_TRACING_SAMPLE_RATIO": str(self.tracing_sample_ratio),
        }

    @property
    def webhooks_private_addresses_allowed(self) -> bool:
        if self.webhooks_allow_private_addresses is not None:
            return self.webhooks_allow_private_addresses
        return self.env in ("dev", "test")

    @property
    def tracing_on(self) -> bool:
        """Whether the processes export traces (``tracing_endpoint`` is set)."""
        return self.tracing_endpoint is not None

    @property
    def effective_log_format(self) -> Literal["json", "console"]:
        if self.log_format:
            return self.log_format
        return "json" if self.env == "production" else "console"
