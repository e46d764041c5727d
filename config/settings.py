"""Faultline settings. Every value that differs between machines comes from the environment.

The README's Configuration section lists each variable. Unset DATABASE_URL and REDIS_URL give the
embedded default: a SQLite file, an in-process channel layer and a Celery broker kept in files.
"""

import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int, env_list, env_str, redis_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("FAULTLINE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-demo-key-only-for-DEBUG-runs-" + "x" * 20
# Without a key in production the settings still load, so that commands which sign nothing
# (makemigrations, collectstatic) run anywhere; the server, the worker and `manage.py check --deploy`
# refuse (config.checks).

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_celery_beat",
    "channels",
    "accounts",
    "chargers",
    "knowledgebase",
    "faults",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL").strip()
if DATABASE_URL:
    _db = database_from_url("DATABASE_URL", DATABASE_URL, base_dir=BASE_DIR)
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "faultline.sqlite3")}

if _db["ENGINE"] == "django.db.backends.postgresql":
    # ASGI serves each request from whichever thread is free: persistent per-thread connections
    # would leak, so connections come from a psycopg pool and are returned after every request.
    _db["CONN_MAX_AGE"] = 0
    if env_bool("DB_POOL", True):
        _db["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 1, minimum=0),
            "max_size": env_int("DB_POOL_MAX", 10, minimum=1),
            "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
        }
    _db["TEST"] = {"NAME": "test_" + _db["NAME"]}
else:
    # Several processes (server, worker, beat) share the demo's SQLite file: WAL lets readers run
    # beside the writer, IMMEDIATE transactions take the write lock up front instead of failing
    # half-way, and the timeout waits for it.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and Celery broker ----------------------------------------------------
REDIS_URL = redis_url("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis, with a lost-message fix (config/channel_layer.py)
            "BACKEND": "config.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("CHANNEL_PREFIX", "faultline"),
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery reads every CELERY_* setting (config/celery.py).
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": env_str("CELERY_PREFIX", "")}
else:
    # No server needed: the worker and the web process exchange tasks through files.
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Internationalisation and time -------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not an IANA time zone name.") from None

# --- Static files, uploads ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG and "pytest" not in sys.modules
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Largest upload (OEM manuals, site photos) in bytes.
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Authentication ----------------------------------------------------------------------------
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"
# People's passwords use Django's default; chargers' machine secrets use the last one (chargers/hashers.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "chargers.hashers.ChargerKeyHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- HTTPS (on by default in production; the proxy terminates TLS) ------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# The load balancer's health check speaks plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Faultline API",
    "DESCRIPTION": "Fleet, fault, knowledge-base and uptime data of an EV charging network.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name per vocabulary, however many fields use it.
    "ENUM_NAME_OVERRIDES": {
        "ResponsibleEnum": "knowledgebase.vocabulary.Responsible",
        "SeverityEnum": "knowledgebase.vocabulary.Severity",
    },
}

# --- Logging -----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a log level.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "ocpp": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# --- Faultline ---------------------------------------------------------------------------------
# Chargers that connect with an id nobody registered: refuse (default) or register as pending.
OCPP_ACCEPT_UNKNOWN_CHARGERS = env_bool("OCPP_ACCEPT_UNKNOWN_CHARGERS", False)
# Heartbeat interval handed to chargers at boot, and the grace before a silent one is offline.
OCPP_HEARTBEAT_INTERVAL = env_int("OCPP_HEARTBEAT_INTERVAL", 300, minimum=1)
OCPP_OFFLINE_GRACE = env_int("OCPP_OFFLINE_GRACE", 120, minimum=0)
# Seconds to wait for a charger's answer to a remote command.
OCPP_COMMAND_TIMEOUT = env_int("OCPP_COMMAND_TIMEOUT", 30, minimum=1)
# Allocations between two young garbage collections in a server process (config/asgi.py); 0 leaves
# Python's default (700).
SERVER_GC_THRESHOLD = env_int("SERVER_GC_THRESHOLD", 50_000, minimum=0)
# Base URL used in links of alerts and digests.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "faultline@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# --- Fault episodes, phantom filtering, correlation, alerts (faults app) ------------------------
# A Faulted status replaced by an operative one within this many seconds of a boot is a boot transient.
FAULTS_BOOT_TRANSIENT_SECONDS = env_int("FAULTS_BOOT_TRANSIENT_SECONDS", 15, minimum=0)
# How far from a BootNotification a fault may open and still count as "around a boot".
FAULTS_BOOT_WINDOW_SECONDS = env_int("FAULTS_BOOT_WINDOW_SECONDS", 60, minimum=0)
# A Faulted status with no code, no vendor code and no info that clears within this is an empty fault.
FAULTS_EMPTY_FAULT_SECONDS = env_int("FAULTS_EMPTY_FAULT_SECONDS", 120, minimum=0)
# Energy (Wh) the register must gain during a "fault" to prove the port kept charging.
FAULTS_ADVISORY_MIN_ENERGY_WH = env_int("FAULTS_ADVISORY_MIN_ENERGY_WH", 10, minimum=1)
# A transaction still running this many seconds after the fault opened proves charging went on.
FAULTS_ADVISORY_MIN_CHARGING_SECONDS = env_int("FAULTS_ADVISORY_MIN_CHARGING_SECONDS", 60, minimum=0)
# This many distinct ports of one site opening episodes within the window make one site incident.
FAULTS_INCIDENT_WINDOW_SECONDS = env_int("FAULTS_INCIDENT_WINDOW_SECONDS", 300, minimum=1)
FAULTS_INCIDENT_MIN_PORTS = env_int("FAULTS_INCIDENT_MIN_PORTS", 3, minimum=2)
# The same code this many times on one port within the window escalates to the next responder.
FAULTS_RECURRENCE_WINDOW_HOURS = env_int("FAULTS_RECURRENCE_WINDOW_HOURS", 72, minimum=1)
FAULTS_RECURRENCE_COUNT = env_int("FAULTS_RECURRENCE_COUNT", 3, minimum=2)
# Closed episodes this recent are re-translated when the knowledge base changes.
FAULTS_RECLASSIFY_RECENT_HOURS = env_int("FAULTS_RECLASSIFY_RECENT_HOURS", 24, minimum=0)
# An actionable fault still open after this many seconds alerts the site's contacts (once).
FAULTS_ALERT_DELAY_SECONDS = env_int("FAULTS_ALERT_DELAY_SECONDS", 600, minimum=0)
FAULTS_WEBHOOK_TIMEOUT_SECONDS = env_int("FAULTS_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
FAULTS_WEBHOOK_MAX_RETRIES = env_int("FAULTS_WEBHOOK_MAX_RETRIES", 6, minimum=0)
# Local hour (site time zone) at which each site's daily digest goes out.
FAULTS_DIGEST_HOUR = env_int("FAULTS_DIGEST_HOUR", 7, minimum=0)
if FAULTS_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"FAULTS_DIGEST_HOUR={FAULTS_DIGEST_HOUR} must be an hour of the day, 0-23.")
CELERY_BEAT_SCHEDULE.update(
    {
        "faults-send-due-alerts": {"task": "faults.send_due_alerts", "schedule": 60.0},
        "faults-reclassify": {"task": "faults.reclassify", "schedule": 300.0},
        "faults-send-digests": {"task": "faults.send_digests", "schedule": 900.0},
    }
)

# --- Knowledge base ------------------------------------------------------------------------------
# How long (ms) a process trusts its compiled translation rules before re-checking the knowledge
# base's version: 0 checks on every translation (one primary-key lookup); raise it for throughput.
KB_RULES_RECHECK_MS = env_int("KB_RULES_RECHECK_MS", 0, minimum=0)
# Largest uncompressed size of an uploaded XLSX manual: a zip bomb is refused before it is opened.
KB_MAX_XLSX_UNCOMPRESSED_BYTES = env_int("KB_MAX_XLSX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024, minimum=1024)

# --- Uptime (faults/uptime) ---------------------------------------------------------------------
# Caps on excluded downtime (California's rule: planned maintenance up to 72 hours a year per port,
# vandalism up to 10 days per incident); 0 removes a cap. Other reasons are not capped.
UPTIME_MAINTENANCE_CAP_HOURS = env_int("UPTIME_MAINTENANCE_CAP_HOURS", 72, minimum=0)
UPTIME_VANDALISM_CAP_DAYS = env_int("UPTIME_VANDALISM_CAP_DAYS", 10, minimum=0)
UPTIME_EXCLUSION_CAPS = {
    "scheduled_maintenance": ("year", UPTIME_MAINTENANCE_CAP_HOURS * 60),
    "vandalism": ("incident", UPTIME_VANDALISM_CAP_DAYS * 24 * 60),
}
# Energy readings of an offline port no further apart than this prove continuous delivery.
UPTIME_METER_GAP_MINUTES = env_int("UPTIME_METER_GAP_MINUTES", 15, minimum=1)
# How often stale port-days (late events, new exclusions) are recomputed.
UPTIME_DIRTY_SWEEP_SECONDS = env_int("UPTIME_DIRTY_SWEEP_SECONDS", 300, minimum=10)
# The uptime tasks live in a sub-package that the app-level task autodiscovery does not reach.
CELERY_IMPORTS = [*globals().get("CELERY_IMPORTS", ()), "faults.uptime.tasks"]
CELERY_BEAT_SCHEDULE.update(
    {
        "uptime-roll-up-recent": {"task": "faults.uptime.roll_up_recent", "schedule": 3600.0},
        "uptime-roll-up-dirty": {
            "task": "faults.uptime.roll_up_dirty",
            "schedule": float(UPTIME_DIRTY_SWEEP_SECONDS),
        },
    }
)

# --- OCPP ingestion (chargers app) ---------------------------------------------------------------
# A charger id that opens more connections than this within the window is refused until it ends.
OCPP_THROTTLE_ATTEMPTS = env_int("OCPP_THROTTLE_ATTEMPTS", 60, minimum=1)
OCPP_THROTTLE_WINDOW = env_int("OCPP_THROTTLE_WINDOW", 3600, minimum=1)
# How often Celery beat looks for chargers that went silent.
OCPP_OFFLINE_SWEEP_SECONDS = env_int("OCPP_OFFLINE_SWEEP_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE.update(
    {
        "chargers-sweep-silent": {
            "task": "chargers.sweep_silent_chargers",
            "schedule": float(OCPP_OFFLINE_SWEEP_SECONDS),
        }
    }
)
if REDIS_URL:
    # redis-py 8 gives up on a read after 5 s by default, exactly as long as channels-redis blocks in
    # BZPOPMIN waiting for a consumer's next message: under load the reply comes a hair late and the
    # consumer (a charger's socket) dies with "Timeout reading". Give reads room beyond that block.
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": 30}]

# --- Message log retention (chargers app) --------------------------------------------------------
# Days the raw OCPP log keeps each kind of frame (whole UTC days; the domain rows taken from the frames
# are kept regardless). On PostgreSQL a day whose frames have all expired is dropped as a partition.
MESSAGE_LOG_RETENTION_DAYS = {
    "heartbeat": env_int("MESSAGE_LOG_KEEP_HEARTBEAT_DAYS", 7, minimum=1),
    "meter_values": env_int("MESSAGE_LOG_KEEP_METER_VALUES_DAYS", 30, minimum=1),
    "status": env_int("MESSAGE_LOG_KEEP_STATUS_DAYS", 400, minimum=1),
    "other": env_int("MESSAGE_LOG_KEEP_OTHER_DAYS", 90, minimum=1),
}
# Daily partitions created this many days ahead (PostgreSQL; later frames wait in the default one).
MESSAGE_LOG_PARTITIONS_AHEAD_DAYS = env_int("MESSAGE_LOG_PARTITIONS_AHEAD_DAYS", 7, minimum=1)
# Rows deleted per short transaction when expired frames are removed row by row.
MESSAGE_LOG_DELETE_BATCH = env_int("MESSAGE_LOG_DELETE_BATCH", 5000, minimum=1)
# UTC hour of the daily retention run.
MESSAGE_LOG_RETENTION_HOUR = env_int("MESSAGE_LOG_RETENTION_HOUR", 3, minimum=0)
if MESSAGE_LOG_RETENTION_HOUR > 23:
    raise ImproperlyConfigured(f"MESSAGE_LOG_RETENTION_HOUR={MESSAGE_LOG_RETENTION_HOUR} must be 0-23.")
from celery.schedules import crontab  # noqa: E402 (kept with the one block that needs it)

CELERY_BEAT_SCHEDULE.update(
    {
        "chargers-create-message-log-partitions": {
            "task": "chargers.create_message_log_partitions",
            "schedule": 6 * 3600.0,
        },
        "chargers-apply-message-log-retention": {
            "task": "chargers.apply_message_log_retention",
            "schedule": crontab(minute=17, hour=MESSAGE_LOG_RETENTION_HOUR),
        },
    }
)
