"""Drives mailman-ts with the real mailmanclient library, as Postorius would.

Usage: mailmanclient_flow.py BASE_URL PHASE, where PHASE is `setup` (a domain, a list, its
settings, members, owner, moderator, bans, header matches), `moderate` (decides each held
message by its sender), `subscribe` (a confirm_then_moderate subscription), `approve` (the
moderator accepts what waits for them), `domains` (domain owners, a list's archiver switches
and the system's versions, against a server with the prototype archiver enabled) or `users`
(a user and their addresses, start to end). Prints one JSON object with what it saw; the Node
test checks it and the mail that arrived at its SMTP sink.
"""
import json
import sys

from mailmanclient import Client

base, phase = sys.argv[1], sys.argv[2]
client = Client(base, 'restadmin', 'restpass')
seen = {}

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
else:
    sys.exit('unknown phase ' + phase)

print(json.dumps(seen))
