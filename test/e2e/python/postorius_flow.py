#!/usr/bin/python3
"""The real Postorius (Debian's python3-django-postorius) in headless Chromium against mailman-ts.

Usage: postorius_flow.py REST_ROOT LMTP_PORT SCREENSHOT_DIR

REST_ROOT is the server's base URL without the API version (Postorius adds /3.1).
A throw-away Django project (settings, SQLite database) is written into a temporary
directory, Django's development server serves it, and selenium drives Chromium through
an administrator's day: each page is checked for error pages and red messages, and what
the page claims to have done is checked on the server through REST.

The Node test owns the SMTP sink: when the driver needs to know that mail went out it
writes a JSON line {"wait": WHAT, ...} to stdout and reads one line back on stdin
("ok" or the reason it did not arrive). The last stdout line is {"done": RESULTS}.
Errors go to stderr with the page text, and the exit status is 1.
"""

import base64
import json
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

import django_site
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

REST_ROOT, LMTP_PORT, SHOTS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DOMAIN = 'example.org'
LIST_ID = 'ptest.example.org'
POSTING = 'ptest@example.org'
ADMIN = ('admin', 'admin@example.com', 'Postorius-Admin-1')
MASS = ['mona@example.net', 'mark@example.net', 'mia@example.net']
BANNED = 'troll@example.net'
STRANGER = 'stranger@example.com'
PENDING = 'patient@example.net'
FOOTER = 'Footer written in Postorius'
SETTINGS_TABS = [
    'list_identity',
    'automatic_responses',
    'alter_messages',
    'dmarc_mitigations',
    'digest',
    'message_acceptance',
    'archiving',
    'subscription_policy',
    'bounce_processing',
]


def settings(site):
    return django_site.settings(
        secret='postorius-e2e-only',
        rest=REST_ROOT,
        apps=[*django_site.DJANGO_APPS, 'postorius', *django_site.MAILMAN_APPS],
        middleware=['postorius.middleware.PostoriusMiddleware'],
        processors=['postorius.context_processors.postorius'],
        loggers=['postorius'],
        extra=f'''
# Where the core fetches the templates Postorius stores (list footers and the like).
POSTORIUS_TEMPLATE_BASE_URL = {site!r} + '/postorius/api/templates/'
LOGIN_REDIRECT_URL = 'list_index'
ACCOUNT_EMAIL_VERIFICATION = 'none'
DEFAULT_FROM_EMAIL = 'postorius@example.com'
''',
    )


URLS = '''
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path('', RedirectView.as_view(url='/postorius/lists/')),
    path('postorius/', include('postorius.urls')),
    path('', include('django_mailman3.urls')),
    path('accounts/', include('allauth.urls')),
    path('admin/', admin.site.urls),
]
'''


class StepFailed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def rest(method, path, body=None):
    """What the server holds, asked directly: the page's claims are not taken on trust."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(REST_ROOT + '/3.1' + path, data=data, method=method)
    req.add_header('Authorization', 'Basic ' + base64.b64encode(b'restadmin:restpass').decode())
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
            return res.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, json.loads(text) if text.startswith('{') else text


def ask(what, **details):
    """Ask the Node side for a fact only it can see; it answers one line."""
    print(json.dumps({'wait': what, **details}), flush=True)
    answer = sys.stdin.readline().strip()
    if answer != 'ok':
        raise StepFailed(f'{what}: {answer or "no answer from the test"}')


def wait_until(what, predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StepFailed(f'timed out waiting for {what}')
        time.sleep(0.2)


class Django:
    """A minimal Django project around Postorius, served by runserver on a free port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='postorius-')
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.env = django_site.write_project(self.dir, settings(self.url), URLS)
        self.log_path = os.path.join(self.dir, 'django.log')
        self.log_seen = 0
        self.proc = None

    def manage(self, *args, stdin=None):
        res = django_site.django(self.env, self.dir, *args, stdin=stdin)
        if res.returncode != 0:
            raise StepFailed(f'django-admin {" ".join(args)} failed:\n{res.stdout}\n{res.stderr}')
        return res.stdout

    def setup(self):
        self.manage('migrate', '--no-input', '-v', '0')
        # The administrator, with the verified primary address allauth logs in with.
        self.manage(
            'shell',
            stdin=(
                'from django.contrib.auth.models import User\n'
                'from allauth.account.models import EmailAddress\n'
                f'u = User.objects.create_superuser({ADMIN[0]!r}, {ADMIN[1]!r}, {ADMIN[2]!r})\n'
                f'EmailAddress.objects.create(user=u, email={ADMIN[1]!r}, verified=True, primary=True)\n'
            ),
        )

    def start(self):
        log = open(self.log_path, 'w')
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', '-m', 'django', 'runserver', '--noreload', '--insecure', f'127.0.0.1:{self.port}'],
            env=self.env,
            cwd=self.dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def up():
            if self.proc.poll() is not None:
                raise StepFailed('Django exited while starting:\n' + self.read_log())
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                    return True
            except OSError:
                return False

        wait_until('Django to listen', up)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def new_log(self):
        text = self.read_log()
        fresh, self.log_seen = text[self.log_seen :], len(text)
        return fresh

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


# runserver's access log line: "GET /path HTTP/1.1" 200 1234
ACCESS = re.compile(r'"(GET|POST|HEAD) (\S+) HTTP/[\d.]+" (\d{3})')
ERROR_TEXT = ['Something went wrong', 'Server Error', 'Not Found', 'Forbidden', 'Bad Request', 'Traceback']


def gone(element):
    """Whether the element's document has been replaced by the next one."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException:
        # Asked mid-navigation, Chromium may answer that it has no document at all: ask again.
        return False


class Browser:
    def __init__(self, django):
        self.django = django
        self.step = 0
        self.steps = []
        opts = webdriver.ChromeOptions()
        opts.binary_location = '/usr/bin/chromium'
        for arg in ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--window-size=1280,1600']:
            opts.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)
        # No implicit wait: looking for red messages that are rightly absent must not wait.
        self.driver.implicitly_wait(0)
        os.makedirs(SHOTS, exist_ok=True)

    def open(self, path, name):
        self.driver.get(self.django.url + path)
        return self.check(name)

    def check(self, name):
        """The page just loaded: shot, then no error page, no red message, no 4xx/5xx, no traceback."""
        self.step += 1
        d = self.driver
        d.save_screenshot(os.path.join(SHOTS, f'{self.step:02d}-{name}.png'))
        body = d.find_element(By.TAG_NAME, 'body').text
        problems = []
        title = d.title
        for text in ERROR_TEXT:
            if text in title or text in body[:400]:
                problems.append(f'error page ({text!r})')
        red = [e.text for e in d.find_elements(By.CSS_SELECTOR, '.alert-danger, .errorlist, .text-danger') if e.text]
        if red:
            problems.append(f'red message: {red}')
        log = self.django.new_log()
        for method, path, status in ACCESS.findall(log):
            if int(status) >= 400 and path != '/favicon.ico':
                problems.append(f'{method} {path} -> {status}')
        if 'Traceback' in log or 'Internal Server Error' in log or 'Error getting or creating' in log:
            problems.append('Django logged an error:\n' + log)
        if problems:
            raise StepFailed(
                f'step {self.step} {name} at {d.current_url}: ' + '; '.join(problems) + f'\n--- page ---\n{body}'
            )
        self.steps.append(name)
        return body

    def fill(self, field_id, value):
        el = self.driver.find_element(By.ID, field_id)
        el.clear()
        el.send_keys(value)

    def submit(self, name, css='form button[type=submit], form input[type=submit]', of_field=None):
        """Sends the form of the button css finds; or, with of_field, the form around that field."""
        old = self.driver.find_element(By.TAG_NAME, 'html')
        if of_field:
            button = f"//*[@id='{of_field}']/ancestor::form//*[@type='submit']"
            self.driver.find_element(By.XPATH, button).click()
        else:
            self.driver.find_element(By.CSS_SELECTOR, css).click()
        # The next page, not the one the click left: the old document goes stale first.
        try:
            WebDriverWait(self.driver, 30).until(lambda d: gone(old))
        except TimeoutException:
            body = self.driver.find_element(By.TAG_NAME, 'body').text
            raise StepFailed(f'{name}: the form was not sent (a field the browser refused?)\n--- page ---\n{body}')
        WebDriverWait(self.driver, 30, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script('return document.readyState') == 'complete'
        )
        return self.check(name)

    def quit(self):
        self.driver.quit()


def expect(condition, message, page=''):
    if not condition:
        raise StepFailed(message + (f'\n--- page ---\n{page}' if page else ''))


def post_from_stranger():
    """A post from a non-member: the list's default non-member action holds it."""
    message = (
        f'From: {STRANGER}\r\nTo: {POSTING}\r\nSubject: Held for Postorius\r\n'
        'Message-ID: <held-for-postorius@example.com>\r\n\r\nPlease let me in.\r\n'
    )
    with smtplib.LMTP('127.0.0.1', LMTP_PORT) as lmtp:
        lmtp.sendmail(STRANGER, [POSTING], message.encode())


def flow(b):
    results = {}
    b.open('/accounts/login/', 'login-page')
    b.fill('id_login', ADMIN[0])
    b.fill('id_password', ADMIN[2])
    page = b.submit('logged-in', 'form.login button[type=submit], form button[type=submit]')
    expect('Successfully signed in as admin' in page, 'not logged in', page)

    b.open('/postorius/domains/new/', 'domain-new')
    b.fill('id_mail_host', DOMAIN)
    b.fill('id_description', 'Postorius test domain')
    page = b.submit('domain-created')
    status, domain = rest('GET', f'/domains/{DOMAIN}')
    expect(status == 200, f'the domain is not on the server: {status} {domain}', page)
    results['domain'] = domain['mail_host']

    b.open('/postorius/lists/new/', 'list-new')
    b.fill('id_listname', 'ptest')
    Select(b.driver.find_element(By.ID, 'id_mail_host')).select_by_value(DOMAIN)
    b.fill('id_description', 'Made by Postorius')
    page = b.submit('list-created')
    status, mlist = rest('GET', f'/lists/{LIST_ID}')
    expect(status == 200, f'the list is not on the server: {status} {mlist}', page)
    results['list'] = mlist['fqdn_listname']
    # The administrator joins from the list's page with their primary address (Postorius sends
    # their user id; the core subscribes their preferred address).
    b.open(f'/postorius/lists/{LIST_ID}/', 'list-summary')
    b.driver.find_element(By.CSS_SELECTOR, 'input[name=delivery_status][value=enabled]').click()
    page = b.submit('self-subscribed', of_field='id_subscriber')
    expect(f'You are subscribed to {POSTING}' in page, 'the administrator was not subscribed', page)

    for tab in SETTINGS_TABS:
        b.open(f'/postorius/lists/{LIST_ID}/settings/{tab}', f'settings-{tab}')
        if tab == 'list_identity':
            b.fill('id_display_name', 'Postorius Test')
            page = b.submit('settings-list_identity-saved', 'form button[type=submit]')
            expect('The settings have been updated' in page, 'no confirmation of the identity change', page)
        if tab == 'subscription_policy':
            Select(b.driver.find_element(By.ID, 'id_subscription_policy')).select_by_value('moderate')
            page = b.submit('settings-subscription_policy-saved', 'form button[type=submit]')
            expect('The settings have been updated' in page, 'no confirmation of the policy change', page)
    status, config = rest('GET', f'/lists/{LIST_ID}/config')
    results['saved'] = {'display_name': config['display_name'], 'subscription_policy': config['subscription_policy']}

    b.open(f'/postorius/lists/{LIST_ID}/mass_subscribe/', 'mass-subscribe')
    b.fill('id_emails', '\n'.join(MASS))
    # As an administrator subscribing people they know: no confirmation mail to each.
    b.driver.find_element(By.ID, 'id_pre_verified').click()
    page = b.submit('mass-subscribed', 'form button[type=submit]')
    status, roster = rest('GET', f'/lists/{LIST_ID}/roster/member')
    results['members'] = sorted(e['email'] for e in roster.get('entries', []))
    ask('welcome', members=MASS)

    page = b.open(f'/postorius/lists/{LIST_ID}/members/member/', 'members')
    expect(all(m in page for m in MASS), 'the members page does not show every member', page)

    # One member moderated from their options page, as a moderator does for a newcomer.
    b.open(f'/postorius/lists/{LIST_ID}/members/options/{MASS[0]}', 'member-options')
    Select(b.driver.find_element(By.ID, 'id_moderation_action')).select_by_value('hold')
    page = b.submit('member-moderated', of_field='id_moderation_action')
    expect('moderation settings have been updated' in page, 'no confirmation of the moderation change', page)
    status, member = rest('GET', f'/lists/{LIST_ID}/member/{MASS[0]}')
    results['moderated'] = member.get('moderation_action')

    b.open(f'/postorius/lists/{LIST_ID}/header-matches/', 'header-matches')
    b.fill('id_form-0-header', 'X-Spam-Flag')
    b.fill('id_form-0-pattern', 'YES')
    Select(b.driver.find_element(By.ID, 'id_form-0-action')).select_by_value('discard')
    page = b.submit('header-match-added', of_field='id_form-0-header')
    expect('successfully modified' in page, 'no confirmation of the header filter', page)
    status, matches = rest('GET', f'/lists/{LIST_ID}/header-matches')
    results['header_matches'] = [[e['header'], e['pattern'], e.get('action')] for e in matches.get('entries', [])]

    b.open(f'/postorius/lists/{LIST_ID}/bans/', 'bans')
    b.fill('id_email', BANNED)
    page = b.submit('banned', 'form.bans-add-form button[type=submit]')
    expect(BANNED in page, 'the ban is not listed', page)
    status, bans = rest('GET', f'/lists/{LIST_ID}/bans')
    results['bans'] = [e['email'] for e in bans.get('entries', [])]

    # A footer written in Postorius: the core fetches it from Postorius's template view when it
    # decorates the list's posts (the accepted post below must carry it).
    b.open(f'/postorius/lists/{LIST_ID}/templates/new', 'template-new')
    Select(b.driver.find_element(By.ID, 'id_name')).select_by_value('list:member:regular:footer')
    b.fill('id_data', FOOTER)
    page = b.submit('template-added', of_field='id_data')
    expect('list:member:regular:footer' in page, 'the template is not listed', page)
    status, uris = rest('GET', f'/lists/{LIST_ID}/uris')
    results['uris'] = [e['name'] for e in uris.get('entries', [])]

    post_from_stranger()
    wait_until('the post to be held', lambda: rest('GET', f'/lists/{LIST_ID}/held/count')[1]['count'] == 1)
    page = b.open(f'/postorius/lists/{LIST_ID}/held_messages', 'held')
    expect('Held for Postorius' in page, 'the held message is not listed', page)
    # The subject opens the message in a dialog, fetched by the page's script through Postorius's
    # own JSON view of the held message.
    b.driver.find_element(By.CSS_SELECTOR, 'a.show-modal-btn').click()
    content = b.driver.find_element(By.ID, 'held-message-content')
    WebDriverWait(b.driver, 30).until(lambda d: 'Please let me in' in content.text)
    b.check('held-message-shown')
    b.driver.find_element(By.CSS_SELECTOR, '#held-messages-modal button.close').click()
    WebDriverWait(b.driver, 30).until_not(lambda d: d.find_element(By.ID, 'held-messages-modal').is_displayed())
    b.driver.find_element(By.CSS_SELECTOR, 'input.message-checkbox').click()
    page = b.submit('held-accepted', 'input[type=submit][name=accept]')
    results['held_after'] = rest('GET', f'/lists/{LIST_ID}/held/count')[1]['count']
    ask('accepted', tag='<held-for-postorius@example.com>', members=MASS, footer=FOOTER)

    # A request waiting for the moderator, as the list's policy now asks.
    status, pending = rest(
        'POST',
        '/members',
        {'list_id': LIST_ID, 'subscriber': PENDING, 'pre_verified': True, 'pre_confirmed': True},
    )
    expect(status == 202, f'the subscription did not wait for the moderator: {status} {pending}')
    results['pending_owner'] = pending['token_owner']
    page = b.open(f'/postorius/lists/{LIST_ID}/subscription_requests', 'subscription-requests')
    expect(PENDING in page, 'the pending request is not listed', page)
    page = b.submit('subscription-accepted', 'input[type=submit][name=accept]')
    expect('The request has been accepted' in page, 'no confirmation of the acceptance', page)
    status, member = rest('GET', f'/lists/{LIST_ID}/member/{PENDING}')
    results['accepted_member'] = member['email'] if status == 200 else status
    ask('welcome', members=[PENDING])
    b.open(f'/postorius/lists/{LIST_ID}/pending_confirmation', 'pending-confirmation')
    b.open(f'/postorius/lists/{LIST_ID}/unsubscription_requests', 'unsubscription-requests')

    # The rest of the list's menu, the roster of every role (the stranger is a non-member now).
    for role in ['owner', 'moderator', 'nonmember']:
        page = b.open(f'/postorius/lists/{LIST_ID}/members/{role}/', f'members-{role}')
    expect(STRANGER in page, 'the non-member who posted is not listed', page)
    for path, name in [('mass_removal/', 'mass-removal'), ('templates', 'templates')]:
        b.open(f'/postorius/lists/{LIST_ID}/{path}', name)

    # The site's pages and the administrator's own.
    for path, name in [
        (f'/postorius/domains/{DOMAIN}/', 'domain-edit'),
        (f'/postorius/domains/{DOMAIN}/owners', 'domain-owners'),
        ('/postorius/system/', 'system-information'),
        ('/postorius/bans/', 'global-bans'),
        ('/postorius/users', 'users'),
        ('/postorius/accounts/subscriptions/', 'my-subscriptions'),
        ('/postorius/accounts/mailmansettings/', 'my-settings'),
        ('/postorius/accounts/per-address-preferences/', 'my-address-preferences'),
        ('/postorius/accounts/per-subscription-preferences/', 'my-subscription-preferences'),
    ]:
        b.open(path, name)

    b.open(f'/postorius/lists/{LIST_ID}/delete', 'delete')
    page = b.submit('deleted', 'form button.btn-danger[type=submit]')
    results['list_after'] = rest('GET', f'/lists/{LIST_ID}')[0]
    results['steps'] = b.steps
    return results


def main():
    django = Django()
    browser = None
    try:
        django.setup()
        django.start()
        browser = Browser(django)
        results = flow(browser)
        print(json.dumps({'done': results}), flush=True)
    except StepFailed as e:
        print(str(e), file=sys.stderr)
        sys.exit(1)
    except Exception:
        # selenium's own failures (an element missing, a timeout): the page says why.
        traceback.print_exc()
        if browser:
            page = browser.driver.find_element(By.TAG_NAME, 'body').text
            print(f'at {browser.driver.current_url}:\n--- page ---\n{page}', file=sys.stderr)
        sys.exit(1)
    finally:
        if browser:
            browser.quit()
        django.stop()


if __name__ == '__main__':
    main()
