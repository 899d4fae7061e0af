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
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import django_site

REST_ROOT, PORT, KEY = sys.argv[1], int(sys.argv[2]), sys.argv[3]

SETTINGS = django_site.settings(
    secret='hyperkitty-e2e-only',
    rest=REST_ROOT,
    apps=[
        'hyperkitty',
        *django_site.DJANGO_APPS,
        'rest_framework',
        'compressor',
        'haystack',
        'django_extensions',
        'django_q',
        *django_site.MAILMAN_APPS,
    ],
    processors=['hyperkitty.context_processors.common'],
    loggers=['hyperkitty'],
    extra=f'''
MAILMAN_ARCHIVER_KEY = {KEY!r}
MAILMAN_ARCHIVER_FROM = ('127.0.0.1', '::1')
LOGIN_REDIRECT_URL = 'hk_root'
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
# row the archiving request saves after them. The web server and the qcluster write the one
# database file: each waits for the other's lock (the base's 30 s timeout).
Q_CLUSTER = {{'orm': 'default', 'workers': 1, 'timeout': 30, 'retry': 60, 'poll': 0.1}}
FILTER_VHOST = False
''',
)

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
    res = django_site.django(env, cwd, *args)
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
        env = django_site.write_project(folder, SETTINGS, URLS)
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
