"""Drives mailman-ts with the real mailmanclient library, as Postorius would.

Usage: mailmanclient_flow.py BASE_URL PHASE, where PHASE is `setup` (a domain, a list, its
settings, members, owner, moderator, bans, header matches), `moderate` (decides each held
message by its sender), `subscribe` (a confirm_then_moderate subscription), `approve` (the
moderator accepts what waits for them), `domains` (domain owners, a list's archiver switches
and the system's versions, against a server with the prototype archiver enabled) or `users`
(a user and their addresses, start to end); then, each resource mailmanclient has in turn:
`system` (configuration, preferences, chains, pipelines, styles, queues, and a post injected
into the in queue), `lists` (lists, pages, finding, advertising), `members` (subscriptions
with and without the pre-flags, requests, roles, member preferences, pages, unsubscribing),
`people` (users, addresses and their preferences, pages, searches), `bans` (list and global),
`header_matches`, `held` (one held post accepted) and `errors` (the HTTP errors mailmanclient
raises). Prints one JSON object with what it saw; the Node test checks it and the mail that
arrived at its SMTP sink.
"""
import json
import sys

from urllib.error import HTTPError

from mailmanclient import Client

base, phase = sys.argv[1], sys.argv[2]
client = Client(base, 'restadmin', 'restpass')
seen = {}


def status(call):
    """The HTTP status mailmanclient's HTTPError carries, or 'no error'."""
    try:
        call()
    except HTTPError as e:
        return e.code
    return 'no error'


def plain(resource, keys):
    """Chosen keys of a mailmanclient dict-like resource, as a plain dict."""
    return {k: resource[k] for k in keys}


if phase == 'setup':
    domain = client.create_domain('example.com')
    mlist = domain.create_list('ant')
    settings = mlist.settings
    settings['display_name'] = 'Ant'
    settings['subject_prefix'] = '[Ant] '
    settings['default_nonmember_action'] = 'hold'
    settings['max_message_size'] = 40
    settings['respond_to_post_requests'] = False
    settings.save()
    seen['settings'] = {k: mlist.settings[k] for k in ('display_name', 'subject_prefix', 'default_nonmember_action', 'max_message_size', 'posting_chain')}
    try:
        settings = mlist.settings
        settings['max_message_size'] = 'lots'
        settings.save()
        seen['bad_setting'] = 'accepted'
    except Exception as e:  # urllib HTTPError from the library
        seen['bad_setting'] = getattr(e, 'code', str(e))
    for email in ('anne@example.org', 'bart@example.org', 'cris@example.org'):
        mlist.subscribe(email, pre_verified=True, pre_confirmed=True, pre_approved=True)
    mlist.add_owner('boss@example.org')
    mlist.add_moderator('mod@example.org')
    seen['owners'] = sorted(m.email for m in mlist.owners)
    seen['moderators'] = sorted(m.email for m in mlist.moderators)
    seen['members'] = sorted(m.email for m in mlist.members)
    bart = mlist.get_member('bart@example.org')
    bart.moderation_action = 'hold'
    bart.save()
    seen['bart_action'] = mlist.get_member('bart@example.org').moderation_action
    mlist.bans.add('spammer@example.net')
    client.bans.add('^.*@evil\\.example$')
    seen['list_bans'] = [str(b) for b in mlist.bans]
    seen['global_bans'] = [str(b) for b in client.bans]
    mlist.header_matches.add('X-Spam-Flag', 'YES', 'discard')
    mlist.header_matches.add('X-Urgent', 'true', 'hold', tag='urgent')
    seen['header_matches'] = [(h.header, h.pattern, h.action, h.position) for h in mlist.header_matches]
    seen['user_of_anne'] = client.get_user('anne@example.org').addresses[0].email
elif phase == 'moderate':
    mlist = client.get_list('ant.example.com')
    held = list(mlist.held)
    seen['held'] = sorted((h.sender, h.subject, h.reason) for h in held)
    for h in held:
        if h.sender == 'bart@example.org':
            h.accept()
        elif h.sender == 'stranger@example.net':
            h.reject('Please subscribe first')
        elif h.subject == 'Big one':
            h.discard()
        else:
            h.defer()
    seen['left'] = sorted(h.sender for h in mlist.held)
elif phase == 'subscribe':
    # confirm_then_moderate: the subscriber confirms by mail (the Node test replies), then a
    # moderator decides over REST.
    mlist = client.get_list('ant.example.com')
    settings = mlist.settings
    settings['subscription_policy'] = 'confirm_then_moderate'
    settings.save()
    pending = mlist.subscribe('dora@example.org', display_name='Dora')
    seen['pending'] = {k: pending.get(k) for k in ('token', 'token_owner')}
    seen['requests'] = [(r['email'], r['token_owner'], r['token']) for r in mlist.get_requests()]
elif phase == 'approve':
    mlist = client.get_list('ant.example.com')
    waiting = mlist.get_requests(token_owner='moderator')
    seen['waiting'] = [(r['email'], r['display_name'], r['token_owner']) for r in waiting]
    for r in waiting:
        seen['status'] = mlist.moderate_request(r['token'], 'accept').status_code
    seen['left'] = len(mlist.get_requests())
    seen['members'] = sorted(m.email for m in mlist.members)
elif phase == 'domains':
    domain = client.create_domain('owned.example', owner='anne@example.org')
    domain.add_owner('bart@example.org')
    seen['owners'] = [u.user_id for u in domain.owners]
    seen['owner_users'] = [client.get_user(e).user_id for e in ('anne@example.org', 'bart@example.org')]
    domain.remove_all_owners()
    seen['owners_left'] = len(client.get_domain('owned.example').owners)
    mlist = domain.create_list('arch')
    archivers = mlist.archivers
    seen['archivers_before'] = {k: archivers[k] for k in archivers if k != 'http_etag'}
    archivers['prototype'] = False
    again = client.get_list('arch@owned.example').archivers
    seen['archivers_after'] = {k: again[k] for k in again if k != 'http_etag'}
    try:
        again['prototype'] = 'maybe'
        seen['bad_archiver'] = 'accepted'
    except Exception as e:
        seen['bad_archiver'] = getattr(e, 'code', str(e))
    try:
        client.get_domain('nowhere.example')
        seen['no_domain'] = 'found'
    except Exception as e:
        seen['no_domain'] = getattr(e, 'code', str(e))
    seen['mailman_version'] = client.system['mailman_version']
    seen['api_version'] = client.system['api_version']
elif phase == 'users':
    # A user's life as Postorius leads it: created, renamed, given a second address that is
    # verified and made preferred, found by that address, then deleted.
    user = client.create_user('zed@example.org', 'zed-secret', 'Zed')
    seen['created'] = {'display_name': user.display_name, 'is_server_owner': user.is_server_owner}
    user.display_name = 'Zed Z'
    user.save()
    seen['renamed'] = client.get_user(user.user_id).display_name
    address = user.add_address('zed.work@example.org')
    seen['added'] = str(address)
    seen['addresses'] = sorted(str(a) for a in client.get_user(user.user_id).addresses)
    address = client.get_address('zed.work@example.org')
    address.verify()
    seen['verified'] = client.get_address('zed.work@example.org').verified
    user.preferred_address = 'zed.work@example.org'
    seen['preferred'] = str(client.get_user(user.user_id).preferred_address)
    found = client.get_user('zed.work@example.org')
    seen['found_by_address'] = found.user_id == user.user_id
    address.unverify()
    seen['unverified'] = client.get_address('zed.work@example.org').verified
    seen['preferred_after_unverify'] = client.get_user(user.user_id).preferred_address
    try:
        user.preferred_address = 'zed.work@example.org'
        seen['prefer_unverified'] = 'accepted'
    except Exception as e:
        seen['prefer_unverified'] = getattr(e, 'code', str(e))
    found.delete()
    try:
        client.get_user(user.user_id)
        seen['after_delete'] = 'still there'
    except Exception as e:
        seen['after_delete'] = getattr(e, 'code', str(e))
    try:
        client.get_address('zed@example.org')
        seen['address_after_delete'] = 'still there'
    except Exception as e:
        seen['address_after_delete'] = getattr(e, 'code', str(e))
elif phase == 'system':
    seen['versions'] = sorted(k for k in client.system if k != 'http_etag')
    seen['system_preferences'] = plain(
        client.preferences, ('delivery_mode', 'delivery_status', 'hide_address', 'receive_own_postings'))
    configuration = client.configuration
    seen['sections'] = ['mailman' in configuration, 'webservice' in configuration]
    seen['admin_pass'] = configuration['webservice']['admin_pass']
    seen['pipelines'] = 'default-posting-pipeline' in client.pipelines['pipelines']
    seen['chains'] = 'default-posting-chain' in client.chains['chains']
    styles = client.styles
    seen['styles'] = [sorted(styles['style_names']), styles['default']]
    queues = client.queues
    seen['queues'] = sorted(queues)
    queues['in'].inject('ant.example.com', 'From: anne@example.org\nTo: ant@example.com\n'
                        'Subject: Injected\nMessage-ID: <injected@mmc.example>\n\nBy mailmanclient\n')
elif phase == 'lists':
    domain = client.get_domain('example.com')
    for name in ('bee', 'cow'):
        domain.create_list(name)
    # Another test's barrier list lives in a domain of its own: the example.com ones are these.
    ours = [m.list_id for m in client.lists if m.mail_host == 'example.com']
    seen['lists'] = ours
    page = client.get_list_page(count=2, page=2, mail_host='example.com')
    seen['list_page'] = [page.total_size, [m.list_id for m in page]]
    seen['domain_lists'] = [m.list_id for m in domain.lists]
    cow = client.get_list('cow@example.com')
    settings = cow.settings
    settings['advertised'] = False
    settings.save()
    seen['advertised'] = [m.list_id for m in client.get_lists(advertised=True) if m.mail_host == 'example.com']
    page = client.get_list_page(count=1, page=1, advertised=True)
    seen['advertised_page'] = [page.total_size, len(page)]
    seen['anne_lists'] = [m.list_id for m in client.find_lists('anne@example.org')]
    seen['boss_owns'] = [m.list_id for m in client.find_lists('boss@example.org', role='owner')]
    client.delete_list('cow@example.com')
    seen['after_delete'] = [m.list_id for m in client.lists if m.mail_host == 'example.com']
elif phase == 'members':
    bee = client.get_list('bee.example.com')
    settings = bee.settings
    settings['subscription_policy'] = 'moderate'
    settings.save()
    member = bee.subscribe('anne@example.org', pre_verified=True, pre_confirmed=True, pre_approved=True)
    seen['member'] = [member.email, member.role, member.list_id]
    confirm = bee.subscribe('fred@example.org', display_name='Fred')
    approve = bee.subscribe('gina@example.org', pre_verified=True, pre_confirmed=True)
    seen['pending'] = [confirm['token_owner'], approve['token_owner']]
    seen['requests_count'] = [bee.get_requests_count(), bee.get_requests_count(token_owner='moderator')]
    request = bee.get_request(approve['token'])
    seen['request'] = [request['email'], request['token_owner'], request['type']]
    bee.moderate_request(approve['token'], 'reject', 'Not this time')
    bee.moderate_request(confirm['token'], 'discard')
    seen['requests_left'] = len(bee.requests)
    bee.add_owner('boss@example.org')
    bee.add_moderator('mod@example.org')
    bee.add_role('nonmember', 'nemo@example.org')
    seen['roles'] = [[str(m.email) for m in roster] for roster in (bee.owners, bee.moderators, bee.nonmembers)]
    seen['is'] = [bee.is_owner('boss@example.org'), bee.is_moderator('mod@example.org'),
                  bee.is_member('anne@example.org'), bee.is_member('boss@example.org')]
    nemo = bee.get_nonmember('nemo@example.org')
    nemo.moderation_action = 'discard'
    nemo.save()
    seen['nemo'] = bee.get_nonmember('nemo@example.org').moderation_action
    bee.remove_moderator('mod@example.org')
    seen['moderators_after'] = len(bee.moderators)
    for email in ('bart@example.org', 'cris@example.org'):
        bee.subscribe(email, pre_verified=True, pre_confirmed=True, pre_approved=True,
                      send_welcome_message=False)
    page = bee.get_member_page(count=2, page=2)
    seen['member_page'] = [page.total_size, [m.email for m in page]]
    found = bee.find_members('cris@example.org', role='member')
    seen['found'] = [m.email for m in found]
    found_page = bee.find_members(role='member', page=1, count=1)
    seen['found_page'] = [found_page.total_size, len(found_page)]
    prefs = bee.get_member('bart@example.org').preferences
    prefs['delivery_mode'] = 'plaintext_digests'
    prefs['receive_own_postings'] = False
    prefs.save()
    seen['member_prefs'] = plain(bee.get_member('bart@example.org').preferences,
                                 ('delivery_mode', 'receive_own_postings'))
    seen['member_delivery'] = bee.get_member('bart@example.org').delivery_mode
    bee.get_member('bart@example.org').preferences.delete()
    seen['member_prefs_reset'] = sorted(k for k in bee.get_member('bart@example.org').preferences
                                        if k not in ('self_link', 'http_etag'))
    removed = bee.mass_unsubscribe(['bart@example.org', 'nobody@example.org'])
    seen['mass'] = {k: v for k, v in removed.items() if k != 'http_etag'}
    settings = bee.settings
    settings['unsubscription_policy'] = 'open'
    settings.save()
    seen['unsubscribe'] = bee.unsubscribe('cris@example.org')
    seen['members_left'] = [m.email for m in bee.members]
    seen['all_members_page'] = client.get_member_page(count=1, page=1).total_size
elif phase == 'people':
    user = client.create_user('hugo@example.org', 'hugo-secret', 'Hugo')
    address = client.get_address('hugo@example.org')
    address.verify()
    user.preferred_address = 'hugo@example.org'
    prefs = user.preferences
    prefs['hide_address'] = False
    prefs['acknowledge_posts'] = True
    prefs.save()
    prefs = address.preferences
    prefs['preferred_language'] = 'fr'
    prefs.save()
    again = client.get_user('hugo@example.org')
    seen['user_prefs'] = plain(again.preferences, ('hide_address', 'acknowledge_posts'))
    seen['address_prefs'] = plain(client.get_address('hugo@example.org').preferences, ('preferred_language',))
    client.get_list('bee.example.com').subscribe('hugo@example.org', pre_verified=True, pre_confirmed=True,
                                                 pre_approved=True, send_welcome_message=False)
    seen['subscriptions'] = again.subscription_list_ids
    seen['address_user'] = client.get_address('hugo@example.org').user.user_id == user.user_id
    # client.users sorts by self_link; the server's own order is what a page is cut from.
    everyone = client._connection.call('users')[1]['entries']
    page = client.get_user_page(count=1, page=2)
    seen['user_page'] = [page.total_size == len(everyone), len(page), page[0].user_id == everyone[1]['user_id']]
    seen['find'] = [u.display_name for u in client.find_users('hugo')]
    seen['find_page'] = len(client.find_users_page('example.org', 1, 1))
    user.add_address('hugo.alt@example.org')
    seen['addresses'] = sorted(str(a) for a in client.get_user(user.user_id).addresses)
elif phase == 'bans':
    bee = client.get_list('bee.example.com')
    bee.bans.add('b1@example.net')
    bee.bans.add('b2@example.net')
    client.bans.add('g1@example.net')
    seen['list_bans'] = [str(b) for b in bee.bans]
    seen['global_bans'] = [str(b) for b in client.bans]
    page = bee.get_bans_page(count=1, page=2)
    seen['ban_page'] = [page.total_size, [str(b) for b in page]]
    seen['global_page'] = client.get_bans_page(count=1, page=1).total_size
    seen['contains'] = ['b1@example.net' in bee.bans, 'g1@example.net' in bee.bans, 'ok@example.net' in bee.bans]
    bee.bans.remove('b1@example.net')
    seen['after_remove'] = [str(b) for b in bee.bans]
    seen['banned_subscribe'] = status(lambda: bee.subscribe(
        'b2@example.net', pre_verified=True, pre_confirmed=True, pre_approved=True))
elif phase == 'header_matches':
    bee = client.get_list('bee.example.com')
    matches = bee.header_matches
    matches.add('X-One', 'a', 'hold', tag='t')
    matches.add('X-Two', 'b', 'discard', tag='t')
    matches.add('X-Three', 'c')
    seen['all'] = [(h.header, h.action, h.tag, h.position) for h in bee.header_matches]
    seen['found'] = [h.header for h in bee.header_matches.find(tag='t')]
    seen['none_found'] = bee.header_matches.find(tag='nothing')
    third = bee.header_matches[2]
    third.action = 'reject'
    third.save()
    first = bee.header_matches[0]
    first.delete()
    seen['after'] = [(h.header, h.action, h.position) for h in bee.header_matches]
elif phase == 'held':
    mlist = client.get_list('ant.example.com')
    seen['count'] = mlist.get_held_count()
    page = mlist.get_held_page(count=1, page=1)
    seen['page'] = [page.total_size, len(page)]
    held = mlist.get_held_message(page[0].request_id)
    seen['one'] = [held.sender, held.subject]
    mlist.accept_message(held.request_id)
    seen['count_after'] = mlist.get_held_count()
    # mailmanclient reads a held message when asked for one of its fields.
    seen['gone'] = status(lambda: mlist.get_held_message(held.request_id).sender)
elif phase == 'errors':
    domain = client.get_domain('example.com')
    bee = client.get_list('bee.example.com')
    seen['duplicate_list'] = status(lambda: domain.create_list('bee'))
    seen['duplicate_domain'] = status(lambda: client.create_domain('example.com'))
    seen['duplicate_user'] = status(lambda: client.create_user('hugo@example.org', 'x', 'Hugo'))
    seen['no_list'] = status(lambda: client.get_list('nope@example.com'))
    seen['no_user'] = status(lambda: client.get_user('nobody@nowhere.example'))
    seen['no_address'] = status(lambda: client.get_address('nobody@nowhere.example'))
    seen['no_request'] = status(lambda: bee.get_request('0' * 40))
    seen['already_member'] = status(lambda: bee.subscribe(
        'anne@example.org', pre_verified=True, pre_confirmed=True, pre_approved=True))
    pending = bee.subscribe('ivan@example.org')
    seen['already_pending'] = status(lambda: bee.subscribe('ivan@example.org'))
    bee.moderate_request(pending['token'], 'discard')
    settings = bee.settings
    settings['max_message_size'] = 'lots'
    seen['bad_setting'] = status(settings.save)
    prefs = client.get_user('hugo@example.org').preferences
    prefs['delivery_mode'] = 'carrier_pigeon'
    seen['bad_preference'] = status(prefs.save)
    seen['bad_role'] = status(lambda: bee.add_role('overlord', 'x@example.org'))
else:
    sys.exit('unknown phase ' + phase)

print(json.dumps(seen))
