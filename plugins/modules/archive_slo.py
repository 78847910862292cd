#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: archive_slo
short_description: Upload large files to NAVER Cloud Archive Storage as Static Large Objects
version_added: 0.1.0
description:
  - Uploads a file of any size as a Static Large Object (SLO). The file is cut into segments
    that are uploaded in parallel to O(segment_container), streamed from disk, then a manifest
    that lists them is written under O(name).
  - Segments are named like the C(swift) CLI names them,
    C(<name>/slo/<mtime>/<size>/<segment_size>/<index>), so a re-run after an interruption
    (or after a C(swift upload --use-slo) of the same file) reuses the segments already there
    and uploads only the missing ones.
  - Segments of the version it replaced are deleted only after the new manifest is in place
    and has been read back. Segments under the object's prefix that no manifest uses are
    deleted too once they are older than O(stale_segment_age); younger ones may belong to
    an upload still running elsewhere and are kept. A run whose manifest another writer
    replaced at the same time fails, saying so, and deletes only what it uploaded itself.
  - Two runs writing one name at once end with the later manifest and only its segments.
    A run that finds another writer's segments beside its own after its manifest is live
    marks its version finished with a zero-byte C(<version prefix>written) object beside its
    segments (it expires after a day), so that the other writer deletes them when it
    replaces this one; a run that sees no other version writes no marker.
  - An object of that name that is not an SLO (a plain object, or a Dynamic Large Object)
    is replaced by the SLO even when its bytes are the file's (C(changed_reason) says
    C(stored as a plain object) or C(stored as a Dynamic Large Object)); a DLO's segments are
    deleted after the new manifest. For files that should stay plain objects use
    M(ncloud.archive.archive_object), or M(ncloud.archive.archive_sync) with its
    O(ncloud.archive.archive_sync#module:slo_threshold).
  - Idempotent. By default, like C(swift upload --changed), an SLO whose recorded size and
    mtime (C(X-Object-Meta-Mtime), as the C(swift) CLI records it) match the file is
    identical; without them, or with O(compare=checksum), the file is cut at the manifest's
    segment sizes and every slice's md5 is compared with the segment's.
  - Uses only features of Swift 2.15.1 (Pike); the limits come from the server's C(/info).
options:
  container:
    description:
      - Container of the manifest object. It must exist.
    type: str
    required: true
  name:
    description:
      - Object name of the SLO (its manifest).
    type: str
    required: true
  src:
    description:
      - File to upload, on the host where the module runs. Required with O(state=present).
    type: path
  state:
    description:
      - V(present) uploads the file unless an identical SLO is there.
      - V(absent) deletes the manifest and all its segments.
    type: str
    choices: [present, absent]
    default: present
  content_type:
    description:
      - Content type of the object. Without it, it is guessed from O(name).
    type: str
  compare:
    description:
      - How the stored SLO is found identical to O(src), the option of the same name as in
        M(ncloud.archive.archive_sync).
      - V(size_and_mtime) (the default) trusts the size and mtime recorded when the SLO was
        uploaded, like rsync's quick check, and compares the md5s of the file's slices with the
        manifest only where they are missing. Hashing a file of many GiB on every run costs
        minutes, which is why the default is not V(checksum).
      - V(checksum) always compares the md5s of the file's slices with the manifest.
    type: str
    choices: [checksum, size_and_mtime]
  checksum:
    description:
      - Deprecated, use O(compare) - V(true) is O(compare=checksum), V(false)
        O(compare=size_and_mtime).
      - Mutually exclusive with O(compare).
    type: bool
  threads:
    description:
      - How many segments are uploaded (or HEADed, POSTed) at the same time, each on its own
        connection; the option of the same name as in the other modules.
      - Each upload holds about 2 MiB of memory.
      - The alias O(segment_threads) is deprecated.
    type: int
    default: 8
    aliases: [segment_threads]
  on_failure:
    description:
      - What to do with the segments this run uploaded when the upload fails (a segment, the
        manifest, or the deadline).
      - V(keep) leaves them, so the next run resumes and uploads only the missing ones.
      - V(delete) deletes every segment this run was to upload, also those whose answer was
        lost, so nothing of the failed run stays; segments found from an earlier run are
        kept. The message says how many were deleted.
    type: str
    choices: [keep, delete]
    default: keep
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.attributes
  - ncloud.archive.archive.metadata
  - ncloud.archive.archive.retention
  - ncloud.archive.archive.transfer
  - ncloud.archive.archive.slo_writing
seealso:
  - module: ncloud.archive.archive_object
    description: Small files, strings and directory markers; downloads of SLOs.
  - module: ncloud.archive.archive_sync
    description: Trees whose large files become SLOs.
  - module: ncloud.archive.archive_info
    description: An SLO's segments and their expiry.
author:
  - ncloud.archive developers (@ncloud)
"""

EXAMPLES = r"""
- name: Archive a multi-GB backup, 16 segments at a time
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    src: /var/backups/db.tar.zst
    threads: 16

- name: Same, with explicit segment size, and verified by checksum instead of size and mtime
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    src: /var/backups/db.tar.zst
    segment_size: 128MiB
    compare: checksum

- name: Keep it for 90 days; Swift deletes the manifest and every segment then
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    src: /var/backups/db.tar.zst
    delete_after: 7776000

- name: Keep it after all (the expiry is removed from the manifest and the segments)
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    src: /var/backups/db.tar.zst
    delete_at: never

- name: Delete it with all its segments
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    state: absent
"""

RETURN = r"""
object:
  description: Facts of the SLO after the task (before it, with O(state=absent)); empty when
    there is none.
  returned: always
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
      description: The SLO's ETag, the md5 of its segments' md5s (not the md5 of the data).
      type: str
      sample: a1a7e9cb6f8a2f7cdd5c0b4bc4d1e11b
    bytes:
      description: Size of the whole object.
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
      description: User metadata, keys in lower case; C(mtime) is the file's mtime.
      type: dict
      sample: {mtime: '1796000000.000000'}
    is_slo:
      description: Whether the object is a Static Large Object.
      type: bool
      sample: true
    delete_at:
      description: Unix time at which Swift deletes the object (and its segments), when set.
      type: int
      sample: 1827536047
      returned: when set
segments:
  description: The segments of the SLO (after the task), in order.
  returned: always
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
      description: md5 of the segment.
      type: str
      sample: 9e107d9d372bb6826bd81d3542a419d6
segments_uploaded:
  description: Number of segments uploaded (or that would be, in check mode).
  returned: always
  type: int
  sample: 12
segments_reused:
  description: Number of segments that were already there with the right size and md5.
  returned: always
  type: int
  sample: 4
segments_expiry_changed:
  description: Number of segments whose expiry was (or, in check mode, would be) changed to the
    manifest's with a POST.
  returned: always
  type: int
  sample: 0
segments_deleted:
  description: Number of segments deleted (of the replaced version, or with O(state=absent)).
  returned: always
  type: int
  sample: 16
segment_size:
  description:
    - The segment size used for uploading; when the SLO was already there, the size of its
      first segment.
  returned: when O(state=present)
  type: int
  sample: 67108864
elapsed:
  description:
    - Seconds the task's work took on the host it ran on (reading what is there, planning and,
      unless in check mode, the upload, the manifest and the clean-up), rounded to the
      millisecond.
    - In check mode, the time of the planning alone.
  returned: always
  type: float
  sample: 41.207
bytes_per_second:
  description:
    - The bytes of the segments this run uploaded (segments reused from an earlier run moved
      nothing) divided by RV(elapsed), as a whole number.
    - V(0) when nothing was uploaded, and always in check mode.
  returned: always
  type: int
  sample: 104522437
changed_reason:
  description: Why the task changed something (or would, in check mode), or why it did not.
  returned: always
  type: str
  sample: content differs
"""

import os
import time

from ansible_collections.ncloud.archive.plugins.module_utils import (
    _hash,
    _objects,
    _options,
    _plan,
    _slo,
    _swift,
    _transfer,
)
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule

COUNTS = ('segments_uploaded', 'segments_reused', 'segments_deleted', 'segments_expiry_changed')


class ArchiveSlo(ArchiveModule):
    transfer = True
    argument_spec = dict(
        container=dict(type='str', required=True),
        name=dict(type='str', required=True),
        src=dict(type='path'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        content_type=dict(type='str'),
        compare=dict(type='str', choices=['checksum', 'size_and_mtime']),
        checksum=dict(type='bool', removed_in_version=_options.REMOVED_IN, removed_from_collection=_options.COLLECTION),
        on_failure=dict(type='str', default='keep', choices=['keep', 'delete']),
        **_options.spec(
            'metadata',
            'retention',
            'transfer',
            'slo_writing',
            threads=dict(
                aliases=['segment_threads'], deprecated_aliases=[_options.deprecated_alias('segment_threads')]
            ),
        ),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        required_if=[('state', 'present', ['src'])],
        mutually_exclusive=[('compare', 'checksum')] + _options.exclusive('retention'),
    )

    def run(self):
        p = self.params
        self.container = _swift.validate_container_name(p['container'], 'container')
        self.name = _swift.validate_object_name(p['name'], 'name')
        _swift.check_header_value(p['content_type'], 'content_type')
        self.segment_container = _swift.validate_container_name(
            p['segment_container'] or '%s_segments' % self.container, 'segment_container'
        )
        self.what = "SLO '%s' in container '%s'" % (self.name, self.container)
        if p['state'] == 'present':
            self.check_input()
            return self.present(*self.observe())
        before, segments = self.observe()
        plan = _plan.plan_slo_absent(self.container, before, segments)
        outcome = dict(after=None)
        if plan.changed and not self.check_mode:
            outcome.update(
                _plan.dispatch(
                    plan.actions,
                    {'delete_slo': lambda: dict(segments_deleted=self.client.delete_slo(self.container, self.name))},
                )
            )
        return self.result(plan, outcome)

    # --- facts ----------------------------------------------------------------------
    def observe(self):
        return _objects.observe(self.client, self.container, self.name)

    def expiry(self, before, rewritten):
        """The X-Delete-At the SLO should end with (None: not managed by this task)."""
        return _swift.plan_expiry(
            before.get('delete_at') if before else None,
            self.delete_at,
            self.params['delete_after'],
            time.time(),
            rewritten,
        )

    def segment_expiries(self, paths):
        """{path: X-Delete-At or 0} of segments, HEADed on the pool."""
        return _transfer.segment_expiries(self.client, paths, self.params['threads'])

    def result(self, plan, outcome):
        """The task's result: the plan's prediction, with what the run did laid over it
        (``outcome``: the object's facts ``after`` and the real counts and segments)."""
        done = dict(dict.fromkeys(COUNTS, 0), segments=[])
        done.update(plan.returns)
        done.update(outcome, changed=plan.changed, changed_reason=plan.reason)
        after = done.pop('after')
        facts = (plan.before if self.params['state'] == 'absent' else after) or {}
        return dict(
            done, object=facts, **self.diff(_swift.object_diff_view(plan.before), _swift.object_diff_view(after))
        )

    # --- present --------------------------------------------------------------------
    def check_input(self):
        p = self.params
        src = p['src']
        if not os.path.exists(src):
            raise ArchiveError("src: '%s' does not exist" % src)
        if not os.path.isfile(src):
            raise ArchiveError("src: '%s' is not a regular file" % src)
        if not os.access(src, os.R_OK):
            raise ArchiveError("src: '%s' is not readable" % src)
        if os.path.getsize(src) == 0:
            raise ArchiveError(
                "src: '%s' is empty; an SLO needs at least one byte, upload it with ncloud.archive.archive_object" % src
            )
        _options.threads(p)
        _options.slo_writing(p)
        self.delete_at, _delete_after = _options.retention(p)
        self.desired_meta = _options.metadata(p, reserved=('mtime',))
        self.compare = _options.compare(p, 'size_and_mtime')
        self.requested_size = self.size_option('segment_size')

    def present(self, before, segments):
        p = self.params
        local = _hash.Local(p['src'])
        segment_size = None
        if self.requested_size is not None:
            # A given size is checked against /info even when nothing is to be uploaded.
            segment_size = _swift.choose_segment_size(local.size, self.client.limits(), self.requested_size)
        if before is None:
            # Before any segment goes up: the manifest PUT would fail with 404 after them.
            self.client.require_container(self.container)
        reason = _plan.slo_reason(before, segments, local, self.compare == 'checksum')
        _to_set, _to_remove, metadata = _swift.plan_metadata(
            before['metadata'] if before else {}, self.desired_meta, p['purge_metadata']
        )
        metadata['mtime'] = local.mtime
        content_type = (
            p['content_type']
            or (before['content_type'] if before and not reason else None)
            or _plan.guess_type(self.name)
        )
        if reason is None:
            return self.converge(before, segments, metadata, content_type)
        if segment_size is None:
            segment_size = _swift.choose_segment_size(local.size, self.client.limits())
        return self.upload(before, segments, reason, local, segment_size, metadata, content_type)

    def converge(self, before, segments, metadata, content_type):
        """An identical SLO: POST what differs of metadata, content type and expiry to the
        manifest, and the expiry to the segments whose own differs."""
        expiry = self.expiry(before, rewritten=False)
        expiries = self.segment_expiries([s['name'] for s in segments]) if expiry is not None and segments else {}
        plan = _plan.plan_slo_converge(before, segments, metadata, content_type, expiry, expiries)
        outcome = dict(after=plan.after)
        if plan.changed and not self.check_mode:
            outcome = _plan.dispatch(
                plan.actions,
                {
                    'expire_segments': lambda paths, expiry: _transfer.set_expiry(
                        self.client, paths, expiry, self.params['threads']
                    ),
                    'post': lambda headers: _objects.post_manifest(
                        self.client, self.container, self.name, headers, segments
                    ),
                },
            )
            outcome['after'] = self.observe()[0]
        return self.result(plan, outcome)

    def upload(self, before, segments, reason, local, segment_size, metadata, content_type):
        p = self.params
        writer = _slo.SloWriter(
            self.client,
            self.deadline,
            self.container,
            self.name,
            local,
            dict(
                segment_container=self.segment_container,
                threads=p['threads'],
                on_failure=p['on_failure'],
                stale_segment_age=p['stale_segment_age'],
                timeout=p['timeout'],
            ),
        )
        plan = writer.plan(
            before, segments, reason, segment_size, metadata, content_type, self.expiry(before, rewritten=True)
        )
        if self.check_mode:
            return self.result(plan, dict(after=plan.after))
        outcome = writer.apply(plan)
        self.moved += _plan.upload_bytes(plan)
        return self.result(plan, outcome)


def main():
    ArchiveSlo()()


if __name__ == '__main__':
    main()
