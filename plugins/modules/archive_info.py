#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: archive_info
short_description: Facts about the account, a container or an object of NAVER Cloud Archive Storage
version_added: 0.1.0
description:
  - Without O(container), lists the account's containers and its totals.
  - With O(container), lists the container's objects (all of them by default, page by page).
  - With O(container) and O(name), returns that object's facts and, for a Static Large
    Object, its segments.
  - A missing container or object is reported with RV(exists=false), not as a failure.
  - Never changes anything.
options:
  container:
    description:
      - Container to describe or list.
    type: str
  name:
    description:
      - Object to describe. Needs O(container).
    type: str
  prefix:
    description:
      - Only list objects (or containers) whose name starts with this.
    type: str
  delimiter:
    description:
      - Roll up names that contain this character after O(prefix) into RV(objects[].subdir)
        entries, like directories.
    type: str
  marker:
    description:
      - Only list names that sort after this one.
    type: str
  limit:
    description:
      - List at most this many entries. Without it, the whole listing is returned, fetched in
        pages of the server's listing limit (10,000).
    type: int
  versions:
    description:
      - With O(container), also list the versions that M(ncloud.archive.archive_sync)'s
        O(ncloud.archive.archive_sync#module:history) kept, in RV(versions) - of the object
        O(name), or of every object under O(prefix).
    type: bool
    default: false
  history_container:
    description:
      - Where the kept versions are (O(ncloud.archive.archive_sync#module:history_container)).
        The default is C(<container>_history).
    type: str
  temp_url_seconds:
    description:
      - With O(name), also return RV(temp_url), a temporary URL of the object valid for this many
        seconds, which anyone may use without credentials (Swift's C(tempurl)).
      - It is signed here, with O(temp_url_signing_key) or else the key stored on the container
        (M(ncloud.archive.archive_container) O(ncloud.archive.archive_container#module:temp_url_key))
        or the account; the key is never returned. The digest is sha256 when the server's
        C(/info) allows it, else sha1.
    type: int
  temp_url_method:
    description:
      - The HTTP method the temporary URL allows. V(PUT) URLs can be made for objects that do
        not exist yet.
    type: str
    choices: [GET, PUT, HEAD]
    default: GET
  temp_url_signing_key:
    description:
      - The key to sign the temporary URL with, instead of the stored one.
      - Its old name O(temp_url_key) is deprecated; M(ncloud.archive.archive_container)'s
        O(ncloud.archive.archive_container#module:temp_url_key) is the key it stores.
    type: str
    aliases: [temp_url_key]
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.info_attributes
  - ncloud.archive.archive.transfer
seealso:
  - module: ncloud.archive.archive_container
    description: Create, change or delete what this module reports.
  - module: ncloud.archive.archive_object
    description: Upload, download or delete an object.
  - module: ncloud.archive.archive_slo
    description: Upload a large file; converge the expiry of its segments.
author:
  - ncloud.archive developers (@ncloud)
"""

EXAMPLES = r"""
- name: Containers of the account
  ncloud.archive.archive_info:
  register: account

- name: Everything under logs/2026/ in container backups
  ncloud.archive.archive_info:
    container: backups
    prefix: logs/2026/
  register: listing

- name: Top-level "directories" of a container
  ncloud.archive.archive_info:
    container: backups
    delimiter: /

- name: One object, with its segments when it is an SLO
  ncloud.archive.archive_info:
    container: backups
    name: db/full.dump
  register: dump

- name: Fail unless the dump is there
  ansible.builtin.assert:
    that: dump.exists

- name: The versions of a file that archive_sync's history kept, with their expiries
  ncloud.archive.archive_info:
    container: backups
    name: web01/data/app.conf
    versions: true
  register: kept

- name: A download link for the dump, valid for a day, for someone without credentials
  ncloud.archive.archive_info:
    container: backups
    name: db/full.dump
    temp_url_seconds: 86400
  register: link

- name: The newest object under nightly/ in container backups
  ncloud.archive.archive_info:
    container: backups
    prefix: nightly/
  register: nightly

- name: Last night's backup is there and younger than 26 hours
  ansible.builtin.assert:
    that:
      - nightly.newest is not none
      - nightly.newest.age_seconds < 26 * 3600
    fail_msg: "the newest backup under nightly/ is {{ nightly.newest.age_seconds | default('missing') }} s old"
"""

RETURN = r"""
exists:
  description: Whether the container (with O(container)) or the object (with O(name)) exists.
    Always true for the account.
  returned: always
  type: bool
  sample: true
account:
  description: Account totals.
  returned: when O(container) is not given
  type: dict
  contains:
    container_count:
      description: Number of containers.
      type: int
      sample: 3
    object_count:
      description: Number of objects in all containers.
      type: int
      sample: 1520
    bytes:
      description: Bytes used.
      type: int
      sample: 73014444032
    metadata:
      description: Account metadata, keys in lower case.
      type: dict
      sample: {owner: dba-team}
containers:
  description: The account's containers.
  returned: when O(container) is not given
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: backups
    count:
      description: Number of objects.
      type: int
      sample: 1520
    bytes:
      description: Bytes used.
      type: int
      sample: 73014444032
    last_modified:
      description: Last change, when the server says it.
      type: str
      sample: '2026-12-01T02:14:07.512340'
container:
  description: Facts of the container.
  returned: when O(container) is given and it exists
  type: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: backups
    object_count:
      description: Number of objects.
      type: int
      sample: 1520
    bytes:
      description: Bytes used.
      type: int
      sample: 73014444032
    metadata:
      description: User metadata, keys in lower case.
      type: dict
      sample: {owner: dba-team}
    read_acl:
      description: Read ACL, empty when none.
      type: str
      sample: '.r:*,.rlistings'
    write_acl:
      description: Write ACL, empty when none.
      type: str
      sample: 'lab-project:deployer'
    quota_bytes:
      description: The byte quota, null when none.
      type: int
      sample: 10000000000
    quota_count:
      description: The object count quota, null when none.
      type: int
      sample: 100000
    temp_url_key_set:
      description: Whether a temp URL key is set (its value is never returned).
      type: bool
      sample: true
    temp_url_key_2_set:
      description: Whether a second temp URL key is set.
      type: bool
      sample: false
newest:
  description:
    - The most recently changed object of the listing (directory markers aside), with its age -
      what a monitoring play asserts, for example that last night's backup exists and is
      younger than 26 hours (C(newest.age_seconds < 93600)).
    - V(null) when the listing holds no object. With O(limit) or O(marker), of the listed
      page only.
  returned: when O(container) is given without O(name) and the container exists
  type: dict
  contains:
    name:
      description: Object name.
      type: str
      sample: nightly/db/2026-12-03.dump
    bytes:
      description: Size (for an SLO, the whole object's).
      type: int
      sample: 73014444032
    last_modified:
      description: Last change, as the listing says it (UTC).
      type: str
      sample: '2026-12-03T02:14:07.512340'
    age_seconds:
      description: Whole seconds from RV(newest.last_modified) to this run.
      type: int
      sample: 62113
versions:
  description:
    - The kept versions (O(versions=true)), oldest first for each object; empty when there
      are none (or no history container).
  returned: when O(versions=true)
  type: list
  elements: dict
  sample: [{"name": "web01/a.txt", "version": "web01/a.txt/20261203T030012.402190Z",
            "created": "2026-12-03T03:00:12.402190Z", "replaced": "2026-12-04T03:00:09.118420Z",
            "bytes": 1024, "delete_at": 1798761600}]
  contains:
    name:
      description: The object the version is of.
      type: str
    version:
      description: The version's object name in the history container.
      type: str
    created:
      description: When the version was written (UTC, ISO 8601, the server's clock).
      type: str
    replaced:
      description: When it stopped being live (was copied into history, just before it was
        replaced or deleted).
      type: str
    bytes:
      description: Its size.
      type: int
    delete_at:
      description: When Swift deletes it (epoch seconds), or V(null) when it never expires.
      type: int
objects:
  description: The container's listing.
  returned: when O(container) is given without O(name) and the container exists
  type: list
  elements: dict
  contains:
    name:
      description: Object name (absent on RV(objects[].subdir) entries).
      type: str
      sample: db/2026-12-01.dump
    bytes:
      description: Size. For an SLO, the size of the whole object.
      type: int
      sample: 73014444032
    hash:
      description: ETag as listed. For an SLO, the md5 of its manifest.
      type: str
      sample: 9e107d9d372bb6826bd81d3542a419d6
    slo_etag:
      description: For an SLO, the ETag a HEAD returns (md5 of the segments' ETags).
      type: str
      sample: a1a7e9cb6f8a2f7cdd5c0b4bc4d1e11b
    content_type:
      description: Content type.
      type: str
      sample: application/octet-stream
    last_modified:
      description: Last change.
      type: str
      sample: '2026-12-01T02:14:07.512340'
    subdir:
      description: With O(delimiter), a rolled-up prefix instead of an object.
      type: str
      sample: db/
object:
  description: Facts of the object.
  returned: when O(name) is given and the object exists
  type: dict
  contains:
    container:
      description: Container name.
      type: str
      sample: backups
    name:
      description: Object name.
      type: str
      sample: db/2026-12-01.dump
    etag:
      description: ETag, without quotes. For an SLO this is not the md5 of the data.
      type: str
      sample: 9e107d9d372bb6826bd81d3542a419d6
    bytes:
      description: Size.
      type: int
      sample: 5368709120
    content_type:
      description: Content type.
      type: str
      sample: application/octet-stream
    last_modified:
      description: Last change, as an HTTP date.
      type: str
      sample: 'Tue, 01 Dec 2026 02:14:07 GMT'
    metadata:
      description: User metadata, keys in lower case.
      type: dict
      sample: {mtime: '1796000000.000000'}
    is_slo:
      description: Whether the object is a Static Large Object.
      type: bool
      sample: false
    dlo_manifest:
      description:
        - For a Dynamic Large Object (C(X-Object-Manifest), as C(swift upload --use-dlo), the
          C(swift) CLI 3.x and rclone write large files), C(<container>/<prefix>) of its
          segments, which Swift joins in name order.
      type: str
      sample: backups_segments/db/2026-12-01.dump/1796000000.000000/5368709120/67108864/
      returned: for a Dynamic Large Object
    delete_at:
      description: Unix time at which Swift deletes the object, when set.
      type: int
      sample: 1827536047
      returned: when set
segments:
  description: The segments of an SLO (from its manifest) or of a DLO (listed under its
    RV(object.dlo_manifest)), in order.
  returned: when O(name) is a Static or Dynamic Large Object
  type: list
  elements: dict
  contains:
    name:
      description: C(/container/object) path of the segment.
      type: str
      sample: /backups_segments/db/2026-12-01.dump/slo/1796000000.000000/5368709120/67108864/00000000
    bytes:
      description: Size of the segment.
      type: int
      sample: 67108864
    etag:
      description: md5 of the segment (its ETag), as in the segment list of M(ncloud.archive.archive_slo).
      type: str
      sample: 9e107d9d372bb6826bd81d3542a419d6
    delete_at:
      description: Unix time at which Swift deletes the segment, when set.
      type: int
      sample: 1827536047
      returned: when set
segments_expiry_differs:
  description: Whether any segment's expiry differs from the manifest's (a segment that outlives
    its manifest stays billed; one that expires first breaks the object). Converge them with
    M(ncloud.archive.archive_slo) O(ncloud.archive.archive_slo#module:delete_at).
  returned: when O(name) is a Static Large Object
  type: bool
  sample: false
temp_url:
  description: A temporary URL of the object, signed for O(temp_url_method).
  returned: when O(temp_url_seconds) is given
  type: str
  sample: https://kr.archive.ncloudstorage.com/v1/AUTH_p1/backups/db/full.dump?temp_url_sig=5c1e...&temp_url_expires=1796245200
temp_url_expires:
  description: Unix time at which RV(temp_url) stops working.
  returned: when O(temp_url_seconds) is given
  type: int
  sample: 1796245200
"""

import time

from ansible_collections.ncloud.archive.plugins.module_utils import (
    _history,
    _objects,
    _options,
    _plan,
    _swift,
    _transfer,
)
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule


class ArchiveInfo(ArchiveModule):
    argument_spec = dict(
        container=dict(type='str'),
        name=dict(type='str'),
        prefix=dict(type='str'),
        delimiter=dict(type='str'),
        marker=dict(type='str'),
        limit=dict(type='int'),
        temp_url_seconds=dict(type='int'),
        temp_url_method=dict(type='str', default='GET', choices=['GET', 'PUT', 'HEAD']),
        temp_url_signing_key=dict(
            type='str',
            no_log=True,
            aliases=['temp_url_key'],
            deprecated_aliases=[_options.deprecated_alias('temp_url_key')],
        ),
        versions=dict(type='bool', default=False),
        history_container=dict(type='str'),
        **_options.spec('transfer'),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        required_by={'name': 'container', 'temp_url_seconds': 'name', 'history_container': 'versions'},
    )

    def run(self):
        """Read only: the same requests and the same result in check mode."""
        p = self.params
        if p['limit'] is not None and p['limit'] < 1:
            raise ArchiveError('limit must be a positive number; leave it out for the whole listing')
        if p['temp_url_seconds'] is not None and p['temp_url_seconds'] < 1:
            raise ArchiveError('temp_url_seconds must be a positive number of seconds')
        _options.threads(p)
        if p['container'] is None:
            if p['versions']:
                raise ArchiveError('versions: give the container (and a name or a prefix) whose kept versions to list')
            return dict(changed=False, exists=True, **self.account())
        container = _swift.validate_container_name(p['container'], 'container')
        history = _history.container_for(container, p['history_container']) if p['versions'] else None
        name = None
        if p['name'] is not None:
            name = _swift.validate_object_name(p['name'], 'name')
            found = self.object(container, name)
        else:
            found = self.container(container)
        if history is not None:
            found['versions'] = self.versions(history, name)
        return dict(found, changed=False)

    def account(self):
        headers = self.client.head_account()
        p = self.params
        containers = self.client.list_account(prefix=p['prefix'], marker=p['marker'], limit=p['limit'])
        return {
            'account': {
                'container_count': _swift.to_int(headers.get('x-account-container-count')),
                'object_count': _swift.to_int(headers.get('x-account-object-count')),
                'bytes': _swift.to_int(headers.get('x-account-bytes-used')),
                'metadata': _swift.metadata_from_headers(headers, 'account'),
            },
            'containers': [
                dict((k, c[k]) for k in ('name', 'count', 'bytes', 'last_modified') if k in c) for c in containers
            ],
        }

    def container(self, container):
        facts = self.client.head_container(container)
        if facts is None:
            return {'exists': False}
        p = self.params
        entries = self.client.list_container(
            container, prefix=p['prefix'], delimiter=p['delimiter'], marker=p['marker'], limit=p['limit']
        )
        if entries is None:  # deleted between the HEAD and the listing
            return {'exists': False}
        found = {'exists': True, 'container': facts, 'objects': [_swift.listing_entry(e) for e in entries]}
        return dict(found, newest=_swift.newest_entry(entries, time.time()))

    def object(self, container, name):
        facts, segments = _objects.observe(self.client, container, name)
        if facts is None and self.params['temp_url_method'] != 'PUT':
            return {'exists': False}
        found = {'exists': facts is not None}
        if facts is not None:
            found.update(object=facts)
        if _swift.is_large(facts):
            found.update(self.segments(facts, segments))
        if self.params['temp_url_seconds']:
            found.update(self.temp_url(container, name))
        return found

    def versions(self, history, name):
        """The versions kept in ``history`` (archive_sync's ``history``) of the object
        ``name``, or of every object under ``prefix``: oldest first per object, each with the
        time it was live and its expiry (a HEAD each, on the pool; one that has just expired
        is left out)."""
        prefix = name + '/' if name is not None else self.params['prefix'] or None
        kept = _history.versions(self.client.list_container(history, prefix=prefix) or [])
        pairs = [(n, v) for n in sorted(kept) if name is None or n == name for v in kept[n]]
        heads = _transfer.run_pool(
            self.client, lambda worker, pair: worker.head_object(history, pair[1].object), pairs, self.params['threads']
        )
        return [
            {
                'name': kept_name,
                'version': version.object,
                'created': _history.iso(version.created),
                'replaced': _history.iso(version.replaced),
                'bytes': _plan.listing_size(version.entry),
                'delete_at': facts.get('delete_at'),
            }
            for (kept_name, version), facts in zip(pairs, heads)
            if facts is not None
        ]

    def segments(self, facts, segments):
        """A large object's segments, each with its own expiry: one that outlives the
        manifest is billed forever, one that expires first breaks the object."""
        expiries = _transfer.segment_expiries(self.client, [s['name'] for s in segments], self.params['threads'])
        views = [
            dict(view, delete_at=expiries[view['name']]) if expiries[view['name']] else view
            for view in _plan.slo_segment_view(segments)
        ]
        differs = any(value != (facts.get('delete_at') or 0) for value in expiries.values())
        return {'segments': views, 'segments_expiry_differs': differs}

    def temp_url(self, container, name):
        """A signed URL for the object, made here from the temp URL key (the option's, else
        the container's, else the account's): no request carries it."""
        p = self.params
        key = p['temp_url_signing_key'] or self.stored_temp_url_key(container)
        if not key:
            raise ArchiveError(
                "temp_url_seconds: container '%s' and the account have no temp "
                "URL key: set one with ncloud.archive.archive_container "
                "temp_url_key, or give temp_url_signing_key" % container
            )
        limits = self.client.limits()
        if not limits['tempurl']:
            raise ArchiveError('temp_url_seconds: this server does not offer temporary URLs (no tempurl in its /info)')
        expires = int(time.time()) + p['temp_url_seconds']
        url = _swift.temp_url(
            self.client.storage_url(),
            container,
            name,
            p['temp_url_method'],
            expires,
            key,
            _swift.temp_url_digest(limits),
        )
        return {'temp_url': url, 'temp_url_expires': expires}

    def stored_temp_url_key(self, container):
        keys = _swift.temp_url_keys(self.client.container_headers(container) or {}, 'container')
        if not keys:
            keys = _swift.temp_url_keys(self.client.head_account(), 'account')
            self.module.no_log_values.update(keys.values())
        return keys.get('temp_url_key') or keys.get('temp_url_key_2')


def main():
    ArchiveInfo()()


if __name__ == '__main__':
    main()
