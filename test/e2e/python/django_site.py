"""A throw-away Django project for the tests that serve Mailman's web applications (Debian's
Postorius and HyperKitty) against our REST API: the settings both need, with each one's own
applications, middleware, context processors and extra lines added, written into a folder
with its urls.py, and `python3 -m django` run inside it.
"""

import os
import subprocess

DJANGO_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.sites',
    'django.contrib.messages',
    'django.contrib.staticfiles',
]
MAILMAN_APPS = ['django_mailman3', 'django_gravatar', 'allauth', 'allauth.account', 'allauth.socialaccount']
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.middleware.locale.LocaleMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
]
CONTEXT_PROCESSORS = [
    'django.template.context_processors.debug',
    'django.template.context_processors.i18n',
    'django.template.context_processors.static',
    'django.template.context_processors.tz',
    'django.template.context_processors.request',
    'django.contrib.auth.context_processors.auth',
    'django.contrib.messages.context_processors.messages',
    'django_mailman3.context_processors.common',
]

BASE = '''
import os
BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
MAILMAN_REST_API_URL = {rest!r}
MAILMAN_REST_API_USER = 'restadmin'
MAILMAN_REST_API_PASS = 'restpass'
INSTALLED_APPS = {apps!r}
MIDDLEWARE = {middleware!r}
ROOT_URLCONF = 'urls'
TEMPLATES = [{{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [],
    'APP_DIRS': True,
    'OPTIONS': {{'context_processors': {processors!r}}},
}}]
DATABASES = {{'default': {{
    'ENGINE': 'django.db.backends.sqlite3',
    'NAME': os.path.join(BASE_DIR, 'db.sqlite3'),
    'OPTIONS': {{'timeout': 30}},
}}}}
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
AUTHENTICATION_BACKENDS = [
    'django.contrib.auth.backends.ModelBackend',
    'allauth.account.auth_backends.AuthenticationBackend',
]
SITE_ID = 1
LOGOUT_URL = 'account_logout'
LOGIN_URL = 'account_login'
EMAIL_BACKEND = 'django.core.mail.backends.console.EmailBackend'
USE_I18N = True
USE_TZ = True
TIME_ZONE = 'UTC'
STATIC_URL = '/static/'
STATIC_ROOT = os.path.join(BASE_DIR, 'static')
CACHES = {{'default': {{'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}}}
LOGGING = {{
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {{'console': {{'class': 'logging.StreamHandler'}}}},
    'loggers': {{name: {{'handlers': ['console'], 'level': 'INFO'}} for name in {loggers!r}}},
}}
'''


def settings(secret, rest, apps, middleware=(), processors=(), loggers=(), extra=''):
    """The settings file: the shared base with the application's INSTALLED_APPS (in its order,
    which decides whose templates win), its middleware, context processors and loggers added,
    then `extra`."""
    return BASE.format(
        secret=secret,
        rest=rest,
        apps=list(apps),
        middleware=[*MIDDLEWARE, *middleware],
        processors=[*CONTEXT_PROCESSORS, *processors],
        loggers=['django', 'django_mailman3', *loggers],
    ) + extra


def write_project(folder, settings_text, urls_text):
    """Writes settings.py and urls.py; returns the environment `python3 -m django` needs there."""
    with open(os.path.join(folder, 'settings.py'), 'w') as f:
        f.write(settings_text)
    with open(os.path.join(folder, 'urls.py'), 'w') as f:
        f.write(urls_text)
    return dict(os.environ, DJANGO_SETTINGS_MODULE='settings', PYTHONPATH=folder)


def django(env, folder, *args, stdin=None):
    """`python3 -m django ARGS` in the project: the finished process (output captured)."""
    return subprocess.run(
        ['/usr/bin/python3', '-m', 'django', *args], env=env, cwd=folder, input=stdin, capture_output=True, text=True
    )
