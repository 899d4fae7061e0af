#!/usr/bin/python3
"""The real HyperKitty (Debian's python3-django-hyperkitty) served for the archiver test.

Usage: hyperkitty_serve.py REST_ROOT PORT ARCHIVER_KEY

REST_ROOT is the server's base URL without the API version (mailmanclient adds /3.1).
A throw-away Django project (settings, SQLite database) is written into a temporary
directory, migrated, and Django's development server serves it on 127.0.0.1:PORT (the
Node test chose the port: our server's base_url names it before HyperKitty runs).

When HyperKitty answers, one JSON line {"ready": URL} goes to stdout. The driver then
serves until its stdin closes. Django's log goes to stderr as it is written, so the test
can show what HyperKitty said (and asked our REST API). Errors exit 1.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REST_ROOT, PORT, KEY = sys.argv[1], int(sys.argv[2]), sys.argv[3]

SETTINGS = '''
import os
BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = 'hyperkitty-e2e-only'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
MAILMAN_REST_API_URL = {rest!r}
MAILMAN_REST_API_USER = 'restadmin'
MAILMAN_REST_API_PASS = 'restpass'
MAILMAN_ARCHIVER_KEY = {key!r}
MAILMAN_ARCHIVER_FROM = ('127.0.0.1', '::1')
INSTALLED_APPS = [
    'hyperkitty',
    'django_mailman3',
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.sites',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'rest_framework',
    'django_gravatar',
    'compressor',
    'haystack',
    'django_extensions',
    'django_q',
    'allauth',
    'allauth.account',
    'allauth.socialaccount',
]
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.middleware.locale.LocaleMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
]
ROOT_URLCONF = 'urls'
TEMPLATES = [{{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [],
    'APP_DIRS': True,
    'OPTIONS': {{'context_processors': [
        'django.template.context_processors.debug',
        'django.template.context_processors.i18n',
        'django.template.context_processors.static',
        'django.template.context_processors.tz',
        'django.template.context_processors.request',
        'django.contrib.auth.context_processors.auth',
        'django.contrib.messages.context_processors.messages',
        'django_mailman3.context_processors.common',
        'hyperkitty.context_processors.common',
    ]}},
}}]
# The web server and the qcluster write the one file: each waits for the other's lock.
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
LOGIN_URL = 'account_login'
LOGIN_REDIRECT_URL = 'hk_root'
LOGOUT_URL = 'account_logout'
EMAIL_BACKEND = 'django.core.mail.backends.console.EmailBackend'
USE_I18N = True
USE_TZ = True
TIME_ZONE = 'UTC'
STATIC_URL = '/static/'
STATIC_ROOT = os.path.join(BASE_DIR, 'static')
STATICFILES_FINDERS = (
    'django.contrib.staticfiles.finders.FileSystemFinder',
    'django.contrib.staticfiles.finders.AppDirectoriesFinder',
    'compressor.finders.CompressorFinder',
)
COMPRESS_ENABLED = False
COMPRESS_PRECOMPILERS = ()
# No full-text search is asked for: the simple backend needs no index on disk.
HAYSTACK_CONNECTIONS = {{'default': {{'ENGINE': 'haystack.backends.simple_backend.SimpleEngine'}}}}
# A qcluster runs HyperKitty's tasks beside the web server, as in production: run inside the
# request (sync), the list's settings fetched from our REST API are overwritten by the stale
# row the archiving request saves after them.
Q_CLUSTER = {{'orm': 'default', 'workers': 1, 'timeout': 30, 'retry': 60, 'poll': 0.1}}
CACHES = {{'default': {{'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}}}
FILTER_VHOST = False
LOGGING = {{
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {{'console': {{'class': 'logging.StreamHandler'}}}},
    'loggers': {{
        'django': {{'handlers': ['console'], 'level': 'INFO'}},
        'hyperkitty': {{'handlers': ['console'], 'level': 'INFO'}},
        'django_mailman3': {{'handlers': ['console'], 'level': 'INFO'}},
    }},
}}
'''

URLS = '''
from django.urls import include, path

urlpatterns = [
    path('hyperkitty/', include('hyperkitty.urls')),
    path('', include('django_mailman3.urls')),
    path('accounts/', include('allauth.urls')),
]
'''


def fail(why):
    print(why, file=sys.stderr, flush=True)
    sys.exit(1)


def manage(env, cwd, *args):
    res = subprocess.run(['/usr/bin/python3', '-m', 'django', *args], env=env, cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        fail(f'django-admin {" ".join(args)} failed:\n{res.stdout}\n{res.stderr}')


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as res:
            return res.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main():
    folder = tempfile.mkdtemp(prefix='hyperkitty-')
    url = f'http://127.0.0.1:{PORT}'
    procs = []
    try:
        with open(os.path.join(folder, 'settings.py'), 'w') as f:
            f.write(SETTINGS.format(rest=REST_ROOT, key=KEY))
        with open(os.path.join(folder, 'urls.py'), 'w') as f:
            f.write(URLS)
        env = dict(os.environ, DJANGO_SETTINGS_MODULE='settings', PYTHONPATH=folder)
        manage(env, folder, 'migrate', '--no-input', '-v', '0')
        for command in (['runserver', '--noreload', '--insecure', f'127.0.0.1:{PORT}'], ['qcluster']):
            procs.append(
                subprocess.Popen(
                    ['/usr/bin/python3', '-m', 'django', *command],
                    env=env,
                    cwd=folder,
                    stdout=sys.stderr,
                    stderr=sys.stderr,
                )
            )
        deadline = time.monotonic() + 60
        while not answers(url + '/hyperkitty/api/lists/'):
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                fail('HyperKitty did not come up')
            time.sleep(0.2)
        print(json.dumps({'ready': url}), flush=True)
        # Served until the test is done with it.
        sys.stdin.read()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
