#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: archive_container
short_description: Create, update and delete NAVER Cloud Archive Storage containers
version_added: 0.1.0
description:
  - Makes sure a container of NAVER Cloud Archive Storage (OpenStack Swift) exists with the
    given metadata and ACLs, or does not exist.
  - Metadata keys are compared case-insensitively, as Swift stores them.
options:
  name:
    description:
      - Name of the container. At most 256 bytes of UTF-8, no C(/).
    type: str
    required: true
  state:
    description:
      - V(present) creates the container or updates its metadata and ACLs.
      - V(absent) deletes it. A container that still holds objects is only deleted with
        O(force=true).
    type: str
    choices: [present, absent]
    default: present
  metadata:
    description:
      - User metadata of the container. Keys may hold letters, digits and C(-).
      - Keys not listed are kept unless O(purge_metadata=true).
    type: dict
  purge_metadata:
    description:
      - Remove metadata keys that are not in O(metadata). With O(metadata) unset, nothing is
        removed.
    type: bool
    default: false
  read_acl:
    description:
      - Read ACL (C(X-Container-Read)), for example C(.r:*,.rlistings) or C(<project_id>:*).
      - An empty string removes the ACL; unset leaves it as it is.
    type: str
  write_acl:
    description:
      - Write ACL (C(X-Container-Write)). An empty string removes it; unset leaves it as it is.
    type: str
  force:
    description:
      - With O(state=absent), delete every object of the container first (using bulk delete
        when the server offers it), then the segments its Static and Dynamic Large Objects keep
        in other containers (RV(segments_deleted)), then the container. The segment
        containers themselves stay.
    type: bool
    default: false
  quota_bytes:
    description:
      - Most bytes the container may hold (C(X-Container-Meta-Quota-Bytes)); an upload beyond
        it is refused with HTTP 413, and the modules' message then names the quota.
      - Bytes, or a number with a unit, for example C(500MiB), C(10GiB), C(10 GiB) or C(10GB).
        MB and MiB both mean 2**20 bytes (GB and GiB 2**30, and so on), as in Ansible's
        C(human_to_bytes).
      - V(0) removes the quota; unset leaves it as it is.
    type: raw
  quota_count:
    description:
      - Most objects the container may hold (C(X-Container-Meta-Quota-Count)). V(0) removes the
        quota; unset leaves it as it is.
    type: int
  temp_url_key:
    description:
      - Key that signs temporary URLs for objects of this container
        (C(X-Container-Meta-Temp-URL-Key)); see M(ncloud.archive.archive_info)'s
        O(ncloud.archive.archive_info#module:temp_url_method).
      - An empty string removes it; unset leaves it as it is. Never shown; the result says only
        whether a key is set.
    type: str
  temp_url_key_2:
    description:
      - A second key (C(X-Container-Meta-Temp-URL-Key-2)), so that keys can be rotated without
        invalidating URLs signed with the other one. An empty string removes it.
    type: str
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.attributes
seealso:
  - module: ncloud.archive.archive_info
    description: Facts of the account, its containers and their objects.
  - module: ncloud.archive.archive_object
    description: Objects in the container, one per task.
  - module: ncloud.archive.archive_sync
    description: A directory tree into the container, or back.
author:
  - ncloud.archive developers (@ncloud)
"""

EXAMPLES = r"""
- name: A container for nightly backups, with credentials from the environment
  ncloud.archive.archive_container:
    name: backups
    metadata:
      owner: dba-team

- name: Credentials once for every ncloud.archive module
  module_defaults:
    group/ncloud.archive.archive:
      access_key: "{{ ncloud_access_key }}"
      secret_key: "{{ ncloud_secret_key }}"
      project_id: "{{ ncloud_project_id }}"
      domain_id: "{{ ncloud_domain_id }}"
  block:
    - name: Exactly this metadata, nothing else
      ncloud.archive.archive_container:
        name: logs
        metadata:
          retention: 90d
        purge_metadata: true

    - name: At most 10 GiB and 100,000 objects of backups, and a key for temporary URLs
      ncloud.archive.archive_container:
        name: backups
        quota_bytes: 10GiB
        quota_count: 100000
        temp_url_key: "{{ backups_temp_url_key }}"

    - name: Delete a container and everything in it
      ncloud.archive.archive_container:
        name: scratch
        state: absent
        force: true
"""

RETURN = r"""
container:
  description:
    - Facts of the container after the task; empty when it does not exist.
    - In check mode, the facts the task would produce.
  returned: always
  type: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: backups
    object_count:
      description: Number of objects.
      type: int
      sample: 12
    bytes:
      description: Bytes used by the objects.
      type: int
      sample: 1048576
    metadata:
      description: User metadata, keys in lower case.
      type: dict
      sample: {"owner": "dba-team"}
    read_acl:
      description: Read ACL, empty when none.
      type: str
      sample: ".r:*"
    write_acl:
      description: Write ACL, empty when none.
      type: str
      sample: ""
    quota_bytes:
      description: The byte quota, null when none.
      type: int
      sample: 10737418240
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
deleted_objects:
  description: Number of objects deleted because of O(force=true).
  returned: when O(state=absent) and the container existed
  type: int
  sample: 3
segments_deleted:
  description:
    - With O(force=true), the number of segments that the container's Static and Dynamic
      Large Objects kept in other containers (C(<name>_segments) by default), deleted after
      their manifests (in check mode, that would be).
    - To know them every object but a directory marker is HEADed, as C(swift delete) does.
  returned: when O(state=absent), O(force=true) and the container existed
  type: int
  sample: 48
changed_reason:
  description: Why the task changed something (or would in check mode), or why it did not.
  returned: always
  type: str
  sample: metadata differs
"""

import time

from ansible_collections.ncloud.archive.plugins.module_utils import _objects, _plan, _swift, _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule

# HEADs in flight while a force delete looks for large objects.
OBSERVE_THREADS = 8


class ArchiveContainer(ArchiveModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        metadata=dict(type='dict'),
        purge_metadata=dict(type='bool', default=False),
        read_acl=dict(type='str'),
        write_acl=dict(type='str'),
        force=dict(type='bool', default=False),
        quota_bytes=dict(type='raw'),
        quota_count=dict(type='int'),
        temp_url_key=dict(type='str', no_log=True),
        temp_url_key_2=dict(type='str', no_log=True),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        p = self.params
        name = _swift.validate_container_name(p['name'], 'name')
        desired = self.desired()
        headers = self.client.container_headers(name)
        before = None if headers is None else _swift.container_facts(name, headers)
        if desired['force'] and desired['state'] == 'absent' and before and before['object_count']:
            desired['segments'] = self.outside_segments(name)
        plan = _plan.plan_container(name, before, _swift.temp_url_keys(headers or {}, 'container'), desired)
        outcome = dict(after=plan.after)
        if plan.changed and not self.check_mode:
            outcome = self.apply(name, plan)
        return self.result(plan, outcome)

    def result(self, plan, outcome):
        """The task's result: the plan's prediction, with what the run did laid over it."""
        returns = dict(plan.returns, **outcome)
        after = returns.pop('after')
        return dict(
            changed=plan.changed,
            changed_reason=plan.reason,
            container=after or {},
            **returns,
            **self.diff(_diff_view(plan.before), _diff_view(after)),
        )

    def desired(self):
        p = self.params
        metadata = _swift.normalize_metadata(p['metadata'], 'metadata')
        for option in ('read_acl', 'write_acl', 'temp_url_key', 'temp_url_key_2'):
            _swift.check_header_value(p[option], option)
        for key in set(metadata or ()) & _swift.SETTINGS_META:
            raise ArchiveError("metadata: set %r with the option %s instead" % (key, key.replace('-', '_')))
        return dict(
            state=p['state'],
            metadata=metadata,
            purge_metadata=p['purge_metadata'],
            read_acl=_swift.normalize_acl(p['read_acl']),
            write_acl=_swift.normalize_acl(p['write_acl']),
            quotas=dict(
                quota_bytes=self.size_option('quota_bytes'),
                quota_count=_swift.parse_quota(p['quota_count'], 'quota_count'),
            ),
            temp_url_keys=dict((k, p[k]) for k in _swift.TEMP_URL_KEY_META),
            force=p['force'],
        )

    def outside_segments(self, name):
        """Paths of the segments that the container's SLOs and DLOs keep in other containers
        (``<name>_segments`` by default), which deleting the container would leave billed
        forever. The listing cannot tell a large object (Swift 2.15.1): every object but a
        directory marker is HEADed, as ``swift delete`` does."""
        entries = [e for e in self.client.list_container(name) or () if 'name' in e]
        names = [e['name'] for e in entries if not _plan.is_marker(_plan.listed_facts(e))]
        found = _transfer.run_pool(
            self.client, lambda worker, obj: _objects.observe(worker, name, obj, True), names, OBSERVE_THREADS
        )
        paths = set()
        for facts, segments in found:
            paths.update(s['name'] for s in _swift.deletable_segments(facts, segments))
        return sorted(p for p in paths if _swift.split_segment_path(p)[0] != name)

    def apply(self, name, plan):
        """Carry out the plan; returns the outcome: the container's facts afterwards
        (``after``, None: deleted) and the counts of what was deleted."""
        outcome = _plan.dispatch(
            plan.actions,
            {
                'create': lambda headers: self.client.put_container(name, headers=headers),
                'update': lambda headers: self.client.post_container(name, headers),
                'empty': lambda: dict(deleted_objects=self.delete_all_objects(name)),
                'delete_segments': lambda paths: dict(segments_deleted=self.client.delete_paths(paths)),
                'delete': lambda: self.delete_container(name),
            },
        )
        outcome['after'] = None if plan.after is None else self.client.head_container(name)
        return outcome

    def delete_all_objects(self, name):
        deleted = 0
        idle_rounds = 0
        while True:
            # Listing from the start each round: what is deleted is gone from it. A listing
            # may lag behind deletions, so rounds that delete nothing are tolerated briefly.
            names = [e['name'] for e in self.client.list_container(name) or ()]
            if not names:
                return deleted
            now = self.client.delete_paths('/%s/%s' % (name, obj) for obj in names)
            deleted += now
            idle_rounds = 0 if now else idle_rounds + 1
            if idle_rounds > 3:
                raise ArchiveError(
                    "container '%s' still lists %d object(s) that could not be deleted" % (name, len(names))
                )
            if not now:
                time.sleep(2)

    def delete_container(self, name):
        # Container listings are updated asynchronously: a 409 right after emptying it
        # usually clears within a few seconds.
        for attempt in range(6):
            try:
                self.client.delete_container(name)
                return
            except ArchiveError as exc:
                if exc.status != 409 or attempt == 5:
                    raise
                time.sleep(1 + attempt)


def _diff_view(facts):
    if not facts:
        return {}
    return dict(
        (k, facts[k])
        for k in (
            'name',
            'metadata',
            'read_acl',
            'write_acl',
            'quota_bytes',
            'quota_count',
            'temp_url_key_set',
            'temp_url_key_2_set',
        )
    )


def main():
    ArchiveContainer()()


if __name__ == '__main__':
    main()
