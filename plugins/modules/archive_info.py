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
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.info_attributes
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
    object_count:
      description: Number of objects in all containers.
      type: int
    bytes:
      description: Bytes used.
      type: int
    metadata:
      description: Account metadata, keys in lower case.
      type: dict
containers:
  description: The account's containers.
  returned: when O(container) is not given
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
    count:
      description: Number of objects.
      type: int
    bytes:
      description: Bytes used.
      type: int
    last_modified:
      description: Last change, when the server says it.
      type: str
container:
  description: Facts of the container.
  returned: when O(container) is given and it exists
  type: dict
  contains:
    name:
      description: Container name.
      type: str
    object_count:
      description: Number of objects.
      type: int
    bytes:
      description: Bytes used.
      type: int
    metadata:
      description: User metadata, keys in lower case.
      type: dict
    read_acl:
      description: Read ACL, empty when none.
      type: str
    write_acl:
      description: Write ACL, empty when none.
      type: str
objects:
  description: The container's listing.
  returned: when O(container) is given without O(name) and the container exists
  type: list
  elements: dict
  contains:
    name:
      description: Object name (absent on RV(objects[].subdir) entries).
      type: str
    bytes:
      description: Size. For an SLO, the size of the whole object.
      type: int
    hash:
      description: ETag as listed. For an SLO, the md5 of its manifest.
      type: str
    slo_etag:
      description: For an SLO, the ETag a HEAD returns (md5 of the segments' ETags).
      type: str
    content_type:
      description: Content type.
      type: str
    last_modified:
      description: Last change.
      type: str
    subdir:
      description: With O(delimiter), a rolled-up prefix instead of an object.
      type: str
object:
  description: Facts of the object.
  returned: when O(name) is given and the object exists
  type: dict
  contains:
    container:
      description: Container name.
      type: str
    name:
      description: Object name.
      type: str
    etag:
      description: ETag, without quotes. For an SLO this is not the md5 of the data.
      type: str
    bytes:
      description: Size.
      type: int
    content_type:
      description: Content type.
      type: str
    last_modified:
      description: Last change, as an HTTP date.
      type: str
    metadata:
      description: User metadata, keys in lower case.
      type: dict
    is_slo:
      description: Whether the object is a Static Large Object.
      type: bool
    delete_at:
      description: Unix time at which Swift deletes the object, when set.
      type: int
      returned: when set
segments:
  description: The segments of an SLO, in order.
  returned: when O(name) is a Static Large Object
  type: list
  elements: dict
  contains:
    name:
      description: C(/container/object) path of the segment.
      type: str
    bytes:
      description: Size of the segment.
      type: int
    hash:
      description: md5 of the segment.
      type: str
"""

from ansible_collections.ncloud.archive.plugins.module_utils import _swift
from ansible_collections.ncloud.archive.plugins.module_utils._connection import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule


class ArchiveInfo(ArchiveModule):
    argument_spec = dict(
        container=dict(type='str'),
        name=dict(type='str'),
        prefix=dict(type='str'),
        delimiter=dict(type='str'),
        marker=dict(type='str'),
        limit=dict(type='int'),
    )
    module_kwargs = dict(supports_check_mode=True, required_by={'name': 'container'})

    def run(self):
        p = self.params
        if p['limit'] is not None and p['limit'] < 1:
            raise ArchiveError('limit must be a positive number; leave it out for the whole listing')
        if p['container'] is None:
            self.exit(changed=False, exists=True, **self.account())
        container = _swift.validate_container_name(p['container'], 'container')
        if p['name'] is not None:
            name = _swift.validate_object_name(p['name'], 'name')
            self.exit(changed=False, **self.object(container, name))
        self.exit(changed=False, **self.container(container))

    def account(self):
        headers = self.request('HEAD account', self.conn.head_account)
        p = self.params
        containers = _swift.page_through(
            lambda marker, limit: self.request('list account', self.conn.get_account,
                                               marker=marker, limit=limit, prefix=p['prefix'])[1],
            marker=p['marker'], limit=p['limit'],
            page_size=self.limits()['container_listing_limit'])
        return {
            'account': {
                'container_count': _swift.to_int(headers.get('x-account-container-count')),
                'object_count': _swift.to_int(headers.get('x-account-object-count')),
                'bytes': _swift.to_int(headers.get('x-account-bytes-used')),
                'metadata': _swift.metadata_from_headers(headers, 'account'),
            },
            'containers': [dict((k, c[k]) for k in ('name', 'count', 'bytes', 'last_modified')
                                if k in c) for c in containers],
        }

    def container(self, container):
        facts = self.head_container(container)
        if facts is None:
            return {'exists': False}
        p = self.params
        entries = self.list_container(container, prefix=p['prefix'], delimiter=p['delimiter'],
                                      marker=p['marker'], limit=p['limit'])
        return {'exists': True, 'container': facts,
                'objects': [_swift.listing_entry(e) for e in entries]}

    def object(self, container, name):
        facts = self.head_object(container, name)
        if facts is None:
            return {'exists': False}
        result = {'exists': True, 'object': facts}
        if facts['is_slo']:
            result['segments'] = [dict((k, s[k]) for k in ('name', 'bytes', 'hash'))
                                  for s in self.get_manifest(container, name)]
        return result


def main():
    ArchiveInfo()()


if __name__ == '__main__':
    main()
