"""The environment of a child process (``python -m infra.cli ...``) that makes it see a
``Settings``: the ``LEDGERLINE_`` variables of its servers, names, ports, secrets, limits,
password hashing and login throttle, outgoing mail, e-mail links, pool, relay leadership,
shutdown grace, standby, backups, log level and format, and tracing. Unset optional settings stay
unset (an empty variable would read back as "" rather than None)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.settings import Settings


def child_environment(settings: Settings) -> dict[str, str]:
    """The variables that give a child process ``settings``."""
    environment = {
        "LEDGERLINE_DATA_DIR": str(settings.data_dir),
        "LEDGERLINE_DATABASE_URL": settings.database_url,
        "LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "LEDGERLINE_KAFKA_TOPIC": settings.kafka_topic,
        "LEDGERLINE_KAFKA_PARTITIONS": str(settings.kafka_partitions),
        "LEDGERLINE_KAFKA_GROUP_PREFIX": settings.kafka_group_prefix,
        "LEDGERLINE_MONGO_URL": settings.mongo_url,
        "LEDGERLINE_MONGO_DATABASE": settings.mongo_database,
        "LEDGERLINE_ELASTICSEARCH_URL": settings.elasticsearch_url,
        "LEDGERLINE_REDIS_URL": settings.redis_url,
        "LEDGERLINE_REDIS_PREFIX": settings.redis_prefix,
        "LEDGERLINE_FORWARDED_ALLOW_IPS": settings.forwarded_allow_ips,
        "LEDGERLINE_SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "LEDGERLINE_WRITE_API_PORT": str(settings.write_api_port),
        "LEDGERLINE_READ_API_PORT": str(settings.read_api_port),
        "LEDGERLINE_RELAY_METRICS_PORT": str(settings.relay_metrics_port),
        "LEDGERLINE_PROJECTOR_MONGO_METRICS_PORT": str(settings.projector_mongo_metrics_port),
        "LEDGERLINE_PROJECTOR_SEARCH_METRICS_PORT": str(settings.projector_search_metrics_port),
        "LEDGERLINE_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "LEDGERLINE_RATE_LIMIT_ENABLED": str(settings.rate_limit_enabled).lower(),
        "LEDGERLINE_ANONYMOUS_RATE_LIMIT_BURST": str(settings.anonymous_rate_limit_burst),
        "LEDGERLINE_DB_POOL_MIN_SIZE": str(settings.db_pool_min_size),
        "LEDGERLINE_DB_POOL_MAX_SIZE": str(settings.db_pool_max_size),
        "LEDGERLINE_DB_POOL_TIMEOUT_S": str(settings.db_pool_timeout_s),
        "LEDGERLINE_PERSONAL_DATA_KEY_TTL_S": str(settings.personal_data_key_ttl_s),
        "LEDGERLINE_AUTH_ISSUER": settings.auth_issuer,
        "LEDGERLINE_SIGNING_KEY_SECRET": settings.signing_key_secret.get_secret_value(),
        "LEDGERLINE_PASSWORD_HASH_TIME_COST": str(settings.password_hash_time_cost),
        "LEDGERLINE_PASSWORD_HASH_MEMORY_KIB": str(settings.password_hash_memory_kib),
        "LEDGERLINE_PASSWORD_HASH_PARALLELISM": str(settings.password_hash_parallelism),
        "LEDGERLINE_LOGIN_FREE_FAILURES_PER_ACCOUNT": str(settings.login_free_failures_per_account),
        "LEDGERLINE_LOGIN_FREE_FAILURES_PER_ADDRESS": str(settings.login_free_failures_per_address),
        "LEDGERLINE_NOTIFIER_METRICS_PORT": str(settings.notifier_metrics_port),
        "LEDGERLINE_BACKUP_DIR": str(settings.backup_dir),
        "LEDGERLINE_BACKUP_KEEP_FULL": str(settings.backup_keep_full),
        "LEDGERLINE_BACKUP_SLOT": settings.backup_slot,
        "LEDGERLINE_WAL_ARCHIVER_METRICS_PORT": str(settings.wal_archiver_metrics_port),
        "LEDGERLINE_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": str(
            settings.webhooks_private_addresses_allowed
        ).lower(),
        "LEDGERLINE_WEBHOOK_TIMEOUT_S": str(settings.webhook_timeout_s),
        "LEDGERLINE_WEBHOOK_WORKERS": str(settings.webhook_workers),
        "LEDGERLINE_WEBHOOK_ENDPOINT_CONCURRENCY": str(settings.webhook_endpoint_concurrency),
        "LEDGERLINE_WEBHOOK_CLAIM_LEASE_S": str(settings.webhook_claim_lease_s),
        "LEDGERLINE_WEBHOOK_RETRY_DELAY_SCALE": str(settings.webhook_retry_delay_scale),
        "LEDGERLINE_MAIL_LARGE_WITHDRAWAL_MINOR": str(settings.mail_large_withdrawal_minor),
        "LEDGERLINE_SMTP_HOST": settings.smtp_host,
        "LEDGERLINE_SMTP_PORT": str(settings.smtp_port),
        "LEDGERLINE_SMTP_SECURITY": settings.smtp_security,
        "LEDGERLINE_SMTP_TIMEOUT_S": str(settings.smtp_timeout_s),
        "LEDGERLINE_MAIL_FROM": settings.mail_from,
        "LEDGERLINE_MAILPIT_HTTP_PORT": str(settings.mailpit_http_port),
        "LEDGERLINE_PASSWORD_RESET_REQUESTS_PER_ADDRESS": str(
            settings.password_reset_requests_per_address
        ),
        "LEDGERLINE_PUBLIC_URL": settings.public_url,
        "LEDGERLINE_VERIFY_EMAIL_TOKEN_TTL_S": str(settings.verify_email_token_ttl_s),
        "LEDGERLINE_PASSWORD_RESET_TOKEN_TTL_S": str(settings.password_reset_token_ttl_s),
        "LEDGERLINE_LOG_LEVEL": settings.log_level,
        "LEDGERLINE_RELAY_LEADER_LEASE_S": str(settings.relay_leader_lease_s),
        "LEDGERLINE_RELAY_LEADER_RETRY_S": str(settings.relay_leader_retry_s),
        "LEDGERLINE_SHUTDOWN_GRACE_S": str(settings.shutdown_grace_s),
    }
    # Unset stays unset: an empty variable would read back as "" rather than None.
    if settings.smtp_user is not None and settings.smtp_password is not None:
        environment["LEDGERLINE_SMTP_USER"] = settings.smtp_user
        environment["LEDGERLINE_SMTP_PASSWORD"] = settings.smtp_password.get_secret_value()
    if settings.smtp_ca_file is not None:
        environment["LEDGERLINE_SMTP_CA_FILE"] = str(settings.smtp_ca_file)
    if settings.log_format is not None:
        environment["LEDGERLINE_LOG_FORMAT"] = settings.log_format
    return environment | settings.tracing_environment()
