"""Settings for Kontakt Læge.

Every option comes from an environment variable with a default that gives the embedded
product (SQLite, in-process channel layer); production sets the variables listed in README.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
VAR_DIR.chmod(0o700)  # the database, its log and the secret key: the owner's only


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _embedded_secret() -> str:
    """A per-installation secret kept in var/, so the embedded product needs no setup."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret()
DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "kontaktlaege.accounts",
    "kontaktlaege.directory",
    "kontaktlaege.audit",
    "kontaktlaege.consultations",
    "kontaktlaege.video",
    "kontaktlaege.privacy",
    "kontaktlaege.outbox",
    "kontaktlaege.doctorinfo",
    "kontaktlaege.correspondence",
    "kontaktlaege.stats",
    "kontaktlaege.bookings",
    "kontaktlaege.administration",
    "kontaktlaege.citizens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kontaktlaege.privacy.middleware.PrivacyHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kontaktlaege.administration.middleware.NotConnectedMiddleware",
    "kontaktlaege.errors.ErrorPageMiddleware",
    "kontaktlaege.privacy.middleware.SharedDeviceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kontaktlaege.urls"
ASGI_APPLICATION = "kontaktlaege.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kontaktlaege" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kontaktlaege.consultations.context_processors.live_pages",
                "kontaktlaege.administration.context_processors.support_contact",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kontaktlaege.sqlite3'}"),
    )
}
# PostgreSQL borrows from a psycopg pool per process.
database_engine = DATABASES["default"]["ENGINE"]
if database_engine == "django.db.backends.postgresql" and envbool("DB_POOL", "true"):
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": envint("DB_POOL_MIN", 2),
            "max_size": envint("DB_POOL_MAX", 10),
            "timeout": envint("DB_POOL_TIMEOUT", 10),
        }
    }
else:
    # For the sockets' long-lived database thread; a request's connection is closed when the
    # request ends (live/process.py).
    DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if database_engine == "django.db.backends.sqlite3":
    # A file, not memory: the live-server tests share it between threads.
    # One file per test run (inherited by the run's server processes), so parallel runs
    # do not share a database.
    os.environ.setdefault("KL_TEST_DB", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))
    DATABASES["default"]["TEST"] = {"NAME": os.environ["KL_TEST_DB"]}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Seconds between a server process's full garbage collections (live/process.py); 0: Python's.
GC_FULL_SECONDS = envint("GC_FULL_SECONDS", 600)
# Threads of a server process for its sockets' database calls (live/database.py): one with
# SQLite; with PostgreSQL a call mostly waits for the server, and several wait at once.
SOCKET_DATABASE_THREADS = envint(
    "SOCKET_DATABASE_THREADS",
    4 if database_engine == "django.db.backends.postgresql" else 1,
)

# Sockets a server process lets in at once (live/sockets.py); the rest wait at the door.
SOCKET_HANDSHAKES_AT_ONCE = envint("SOCKET_HANDSHAKES_AT_ONCE", 8)

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "kontaktlaege.live.layer.ProcessChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Login throttling (django-axes), in three tiers, each with its own limit
# (accounts/throttle.py): a username at one address, an account from any address (a slow
# spray), an address against any account. An administrator unlocks an account
# (`manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_ACCOUNT_FAILURE_LIMIT = envint("AXES_ACCOUNT_FAILURE_LIMIT", 20)
AXES_ADDRESS_FAILURE_LIMIT = envint("AXES_ADDRESS_FAILURE_LIMIT", 30)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_HANDLER = "kontaktlaege.accounts.throttle.TieredAxesHandler"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Kontakt Læge"

# E-mail (the owner hears of a second-factor device added or removed): printed to the
# console in the embedded default.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kontakt Læge <noreply@localhost>")
# SMTP in production (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend); a timeout,
# so a mail server that hangs cannot stop the scheduler.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)

# The outbox (outbox/): every SMS and e-mail is queued, then sent by the scheduler. SMS go
# through SMS_BACKEND; the embedded default keeps them in the outbox, read by the clinic.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "kontaktlaege.outbox.backends.OutboxOnlySMSBackend")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = envint("SMS_GATEWAY_TIMEOUT", 10)
SMS_SENDER = os.environ.get("SMS_SENDER", "Laegevideo")
# Temporary failures are retried after 1, 2, 4 … minutes; after this many tries: failed.
OUTBOX_MAX_ATTEMPTS = envint("OUTBOX_MAX_ATTEMPTS", 8)

# MedCom correspondence (correspondence/, docs/correspondence.md): the embedded adapter
# delivers inside the product; the HTTP adapter posts to the national infrastructure.
MEDCOM_ADAPTER = os.environ.get(
    "MEDCOM_ADAPTER", "kontaktlaege.correspondence.delivery.EmbeddedAdapter"
)
MEDCOM_ENDPOINT_URL = os.environ.get("MEDCOM_ENDPOINT_URL", "")
MEDCOM_CLIENT_CERT = os.environ.get("MEDCOM_CLIENT_CERT", "")
MEDCOM_CLIENT_KEY = os.environ.get("MEDCOM_CLIENT_KEY", "")
MEDCOM_CA_FILE = os.environ.get("MEDCOM_CA_FILE", "")
MEDCOM_TIMEOUT = envint("MEDCOM_TIMEOUT", 10)

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = envbool("SECURE_COOKIES", "False")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "kontaktlaege.errors.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],  # covers the site's own ws:/wss: in current browsers
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
    }
}

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kontaktlaege" / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from finders; this only silences its check
STATICFILES_DIRS = [BASE_DIR / "kontaktlaege" / "static"]
# The embedded product serves its own static files (no collectstatic step needed).
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Domain settings
CPR_ENCRYPTION_KEYS = [k for k in os.environ.get("CPR_ENCRYPTION_KEYS", "").split(",") if k]
CPR_HASH_KEY = os.environ.get("CPR_HASH_KEY", "")
OWN_DOCTOR_REGISTRY = os.environ.get(
    "OWN_DOCTOR_REGISTRY", "kontaktlaege.directory.registry.LocalRegistry"
)
# An employee may look up this many CPR numbers in this many seconds (directory/lookups.py).
CPR_LOOKUP_LIMIT = envint("CPR_LOOKUP_LIMIT", 10)
CPR_LOOKUP_WINDOW_SECONDS = envint("CPR_LOOKUP_WINDOW_SECONDS", 600)
REASON_MAX_LENGTH = envint("REASON_MAX_LENGTH", 500)
MESSAGE_MAX_LENGTH = envint("MESSAGE_MAX_LENGTH", 300)
# A waiting person whose socket is gone keeps the place in the queue this long.
QUEUE_GRACE_SECONDS = envint("QUEUE_GRACE_SECONDS", 180)
# Live pages ping this often; unanswered for 3 s, the connection counts as dead (kl/live.js).
# 10 s notices a silently dead connection within 13 s: a page is back in sync within 5 s of
# a 10 s network drop however the drop fell between two pings (PRODUCT §5; bench/reconnect.py).
HEARTBEAT_SECONDS = envint("HEARTBEAT_SECONDS", 10)
# Each server process stamps the waiting pages it holds this often; a page unstamped for three
# times as long counts as gone (its process died).
PRESENCE_STAMP_SECONDS = 10
# Each server process reads the sequence numbers of the clinics it has pages open for this
# often (one query for all of them): heartbeats are answered from it, and a push lost on the
# way (e.g. while Redis restarts) is repaired within this time.
SEQ_POLL_SECONDS = float(os.environ.get("SEQ_POLL_SECONDS", "2"))
# Each server process checks the sessions of its open sockets this often (one read per 500):
# a socket whose session has ended (expired, idle lock, password change; signing out closes
# them at once) is closed within this time.
SESSION_CHECK_SECONDS = float(os.environ.get("SESSION_CHECK_SECONDS", "15"))
WS_MAX_MESSAGE_BYTES = envint("WS_MAX_MESSAGE_BYTES", 16 * 1024)
# Request bodies over this are refused before they are read (kontaktlaege/limits.py).
MAX_REQUEST_BODY_BYTES = envint("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
WS_MAX_MESSAGES_PER_SECOND = envint("WS_MAX_MESSAGES_PER_SECOND", 50)

# WebRTC: STUN/TURN servers (comma-separated URLs). TURN credentials are short-lived and
# derived from TURN_SECRET with coturn's REST-API scheme (`use-auth-secret`).
STUN_URLS = [u for u in os.environ.get("STUN_URLS", "").split(",") if u]
TURN_URLS = [u for u in os.environ.get("TURN_URLS", "").split(",") if u]
TURN_SECRET = os.environ.get("TURN_SECRET", "")
TURN_CREDENTIAL_TTL = envint("TURN_CREDENTIAL_TTL", 3600)
# Relay only (iceTransportPolicy "relay"): every call goes through TURN, so neither side learns
# the other's addresses; and it is how the tests prove the TURN path.
TURN_RELAY_ONLY = envbool("TURN_RELAY_ONLY")
# The public connection test's anonymous TURN credentials: short-lived, and at most this many
# per client address within their lifetime (counted in Django's cache: per process unless a
# shared cache is configured).
CONNECTION_TEST_TURN_TTL = envint("CONNECTION_TEST_TURN_TTL", 600)
CONNECTION_TEST_TURN_PER_ADDRESS = envint("CONNECTION_TEST_TURN_PER_ADDRESS", 10)
# A call participant whose socket dropped keeps the place (the others wait) this long.
VIDEO_GRACE_SECONDS = envint("VIDEO_GRACE_SECONDS", 30)
# How long a relative's or interpreter's invitation link can be used.
VIDEO_INVITE_TTL = envint("VIDEO_INVITE_TTL", 3600)
# A patient's invitation link (SMS/e-mail) works this long after its time (or its sending);
# at most INVITES_PER_ADDRESS invitations go to one phone number or e-mail address an hour.
INVITE_LINK_HOURS = envint("INVITE_LINK_HOURS", 24)
INVITES_PER_ADDRESS = envint("INVITES_PER_ADDRESS", 5)
# Bookings (bookings/): the reminder goes this long before the time; a booked or invited
# person may enter the waiting room from this long before the time.
BOOKING_REMINDER_MINUTES = envint("BOOKING_REMINDER_MINUTES", 60)
BOOKING_EARLY_MINUTES = envint("BOOKING_EARLY_MINUTES", 15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"layer_failures": {"()": "kontaktlaege.live.layer.LayerFailureFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "uvicorn.error": {"level": "WARNING"},
        # Logger filters are not inherited: each channels_redis module's logger by name.
        "channels_redis.pubsub": {"filters": ["layer_failures"]},
        "channels_redis.core": {"filters": ["layer_failures"]},
    },
}

# Privacy and shared devices (PRODUCT.md 3.8).
# Personal data of finished consultations is erased this many days after they finished.
RETENTION_DAYS = envint("RETENTION_DAYS", 30)
# An employee idle this long must give password and TOTP code again.
IDLE_TIMEOUT_SECONDS = envint("IDLE_TIMEOUT_SECONDS", 600)
# The same for clinic staff and administrators, who see names, CPR and reasons all day.
STAFF_IDLE_TIMEOUT_SECONDS = envint("STAFF_IDLE_TIMEOUT_SECONDS", 1800)

# Federated sign-in: SAML 2.0 on the OIOSAML 3 profile (docs/saml.md). Off until an identity
# provider's metadata (files or URLs, comma-separated) is set; local accounts stay as they are.
SAML_EMPLOYEE_IDP_METADATA = [
    s for s in os.environ.get("SAML_EMPLOYEE_IDP_METADATA", "").split(",") if s
]
SAML_CLINIC_IDP_METADATA = [
    s for s in os.environ.get("SAML_CLINIC_IDP_METADATA", "").split(",") if s
]
# Citizens' own sign-in ("Borger selv"): NemLog-in with MitID.
SAML_CITIZEN_IDP_METADATA = [
    s for s in os.environ.get("SAML_CITIZEN_IDP_METADATA", "").split(",") if s
]
SAML_METADATA_CERT = os.environ.get("SAML_METADATA_CERT", "")
SAML_METADATA_REFRESH_SECONDS = envint("SAML_METADATA_REFRESH_SECONDS", 3600)
SAML_BASE_URL = os.environ.get("SAML_BASE_URL", "http://127.0.0.1:8000")
SAML_ENTITY_ID = os.environ.get("SAML_ENTITY_ID", "")
SAML_KEY_FILE = os.environ.get("SAML_KEY_FILE", "")
SAML_CERT_FILE = os.environ.get("SAML_CERT_FILE", "")
SAML_ENCRYPTION_KEY_FILE = os.environ.get("SAML_ENCRYPTION_KEY_FILE", "")
SAML_ENCRYPTION_CERT_FILE = os.environ.get("SAML_ENCRYPTION_CERT_FILE", "")
SAML_XMLSEC_BINARY = os.environ.get("SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1")
# Debian's xmlsec1 1.2 verifies RSA PKCS#1 v1.5 signatures, not RSASSA-PSS.
SAML_SIGNATURE_ALGORITHMS = os.environ.get(
    "SAML_SIGNATURE_ALGORITHMS",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256,"
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
).split(",")
SAML_DIGEST_ALGORITHMS = os.environ.get(
    "SAML_DIGEST_ALGORITHMS",
    "http://www.w3.org/2001/04/xmlenc#sha256,http://www.w3.org/2001/04/xmlenc#sha512",
).split(",")
SAML_WANT_RESPONSE_SIGNED = envbool("SAML_WANT_RESPONSE_SIGNED")
SAML_CLOCK_SKEW_SECONDS = envint("SAML_CLOCK_SKEW_SECONDS", 60)
SAML_MIN_ASSURANCE = os.environ.get("SAML_MIN_ASSURANCE", "Substantial")
SAML_EMPLOYEE_ROLE = os.environ.get("SAML_EMPLOYEE_ROLE", "Kontaktlaege_bruger_dk")
SAML_CONFIG_LOADER = "kontaktlaege.saml.config.sp_config"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_USE_NAME_ID_AS_USERNAME = True
SAML_ATTRIBUTE_MAPPING: dict[str, tuple[str, ...]] = {}
LOGOUT_REDIRECT_URL = "accounts:login"
INSTALLED_APPS += ["djangosaml2", "kontaktlaege.saml"]
# The login's state lives in a cookie of its own that comes back with the provider's POST:
# cross-site in production (SameSite=None, which browsers accept over HTTPS only).
SAML_SESSION_COOKIE_SAMESITE = "None" if SECURE_COOKIES else "Lax"
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "djangosaml2.middleware.SamlSessionMiddleware",
)
AUTHENTICATION_BACKENDS.append("kontaktlaege.saml.backend.FederatedBackend")
# Their debug and warning lines carry the assertion's attributes (CPR): the saml app logs
# what failed itself. xmlschema (pysaml2's) announces its schemas at INFO.
LOGGING["loggers"].update(  # type: ignore[attr-defined]
    {
        "djangosaml2": {"level": "CRITICAL"},
        "saml2": {"level": "ERROR"},
        "xmlschema": {"level": "WARNING"},
    }
)
