# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""archive_info through its entry point, against the in-memory Swift: temporary URLs a
tempurl middleware accepts (Swift 2.15.1's: sha1, no allowed_digests in /info), signed
without a request carrying the key, and listings paged past the server's page size."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.ncloud.archive.plugins.modules import archive_info
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

PIKE_INFO = {
    'swift': {'container_listing_limit': 10000},
    'slo': {'max_manifest_segments': 1000},
    'tempurl': {'methods': ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']},  # no allowed_digests (2.17+)
}
MODERN_INFO = dict(PIKE_INFO, tempurl={'methods': ['GET'], 'allowed_digests': ['sha1', 'sha256', 'sha512']})
KEY = 'the-container-key'


@pytest.fixture
def fake():
    swift = FakeSwift()
    swift.add_container('c', **{'x-container-meta-temp-url-key': KEY})
    swift.add_object('c', 'db dump.gz', b'backup')
    return swift


def signed(url, key, digest, method='GET', signed_path=None):
    """Check ``url`` as Swift's tempurl does: the HMAC of method, expiry and path."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    expires = int(query['temp_url_expires'][0])
    body = '%s\n%d\n%s' % (method, expires, signed_path or parts.path.replace('%20', ' '))
    expected = hmac.new(key.encode(), body.encode(), getattr(hashlib, digest)).hexdigest()
    return query['temp_url_sig'][0] == expected, expires


def test_a_pike_server_gets_a_sha1_url(run_module, fake):
    before = int(time.time())
    result, failed = run_module(
        archive_info.main, fake, info=PIKE_INFO, container='c', name='db dump.gz', temp_url_seconds=3600
    )
    assert not failed, result
    url = result['temp_url']
    assert url.startswith('http://swift.test/v1/AUTH_p1/c/db%20dump.gz?temp_url_sig=')
    good, expires = signed(url, KEY, 'sha1')
    assert good and len(parse_qs(urlsplit(url).query)['temp_url_sig'][0]) == 40
    assert before + 3600 <= expires == result['temp_url_expires'] <= int(time.time()) + 3600
    assert KEY not in repr(result) and fake.writes == []


def test_a_server_that_allows_sha256_gets_sha256(run_module, fake):
    result, failed = run_module(
        archive_info.main, fake, info=MODERN_INFO, container='c', name='db dump.gz', temp_url_seconds=60
    )
    assert not failed, result
    assert signed(result['temp_url'], KEY, 'sha256')[0]


def test_behind_a_gateway_prefix_the_path_from_v1_is_signed(run_module, fake):
    fake.url = 'https://kr.archive.ncloudstorage.com/swift/v1/AUTH_p1'
    result, failed = run_module(
        archive_info.main, fake, info=PIKE_INFO, container='c', name='db dump.gz', temp_url_seconds=60
    )
    assert not failed, result
    assert result['temp_url'].startswith('https://kr.archive.ncloudstorage.com/swift/v1/AUTH_p1/c/db%20dump.gz?')
    assert signed(result['temp_url'], KEY, 'sha1', signed_path='/v1/AUTH_p1/c/db dump.gz')[0]


def test_the_key_comes_from_the_option_else_the_container_else_the_account(run_module, fake):
    args = dict(container='c', name='db dump.gz', temp_url_seconds=60)
    given, failed = run_module(archive_info.main, fake, info=PIKE_INFO, temp_url_signing_key='given', **args)
    assert not failed and signed(given['temp_url'], 'given', 'sha1')[0]
    fake.add_container('c', **{'x-container-meta-owner': 'dba'})  # the container's key gone
    fake.add_object('c', 'db dump.gz', b'backup')
    fake.account_meta['x-account-meta-temp-url-key-2'] = 'account-key'
    account, failed = run_module(archive_info.main, fake, info=PIKE_INFO, **args)
    assert not failed and signed(account['temp_url'], 'account-key', 'sha1')[0]
    assert 'account-key' not in repr(account)


def test_no_key_or_no_tempurl_fails_saying_what_to_do(run_module, fake):
    fake.add_container('bare')
    fake.add_object('bare', 'o', b'x')
    result, failed = run_module(
        archive_info.main, fake, info=PIKE_INFO, container='bare', name='o', temp_url_seconds=60
    )
    assert failed and "container 'bare' and the account have no temp URL key" in result['msg']
    no_tempurl = dict(PIKE_INFO)
    del no_tempurl['tempurl']
    result, failed = run_module(
        archive_info.main, fake, info=no_tempurl, container='c', name='db dump.gz', temp_url_seconds=60
    )
    assert failed and 'does not offer temporary URLs' in result['msg']


def test_a_container_listing_is_paged_past_the_servers_page_size(run_module, fake):
    names = ['o%02d' % i for i in range(10)]
    for name in names:
        fake.add_object('c', name, name.encode())
    info = dict(PIKE_INFO, swift={'container_listing_limit': 3})
    fake.reads = []
    result, failed = run_module(archive_info.main, fake, info=info, container='c', prefix='o')
    assert not failed, result
    assert [o['name'] for o in result['objects']] == names
    assert fake.reads.count(('LIST', 'c')) == 4  # 3 + 3 + 3 + 1
    limited, failed = run_module(archive_info.main, fake, info=info, container='c', prefix='o', limit=5, marker='o02')
    assert not failed and [o['name'] for o in limited['objects']] == names[3:8]


def test_the_account_listing_is_paged_too(run_module, fake):
    for index in range(7):
        fake.add_container('k%d' % index)
    info = dict(PIKE_INFO, swift={'container_listing_limit': 2})
    result, failed = run_module(archive_info.main, fake, info=info)
    assert not failed, result
    assert [c['name'] for c in result['containers']] == ['c'] + ['k%d' % i for i in range(7)]
    assert result['account']['container_count'] == 8


def test_missing_things_are_facts_not_failures(run_module, fake):
    result, failed = run_module(archive_info.main, fake, info=PIKE_INFO, container='nope')
    assert not failed and result == dict(result, changed=False, exists=False)
    result, failed = run_module(archive_info.main, fake, info=PIKE_INFO, container='c', name='nope')
    assert not failed and result['exists'] is False and 'object' not in result
