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
  - Idempotent. By default, like C(swift upload --changed), an SLO whose recorded size and
    mtime (C(X-Object-Meta-Mtime), as the C(swift) CLI records it) match the file is
    identical; without them, or with O(checksum=true), the file is cut at the manifest's
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
  segment_container:
    description:
      - Container of the segments; created when missing. Defaults to C(<container>_segments),
        as the C(swift) CLI does.
    type: str
  segment_size:
    description:
      - Size of each segment in bytes (a number, or a string like C(64MB) or C(1GB)).
      - Without it, the smallest power of two of at least 64 MiB that keeps the number of
        segments within the server's C(max_manifest_segments). A size that would need more
        segments fails with the smallest size that works.
    type: str
  segment_threads:
    description:
      - How many segments are uploaded at the same time, each on its own connection.
      - Each upload holds about 2 MiB of memory.
    type: int
    default: 8
  content_type:
    description:
      - Content type of the object. Without it, it is guessed from O(name).
    type: str
  metadata:
    description:
      - User metadata of the object. Keys may hold letters, digits and C(-).
      - The key C(mtime) is reserved for the file's modification time.
      - Keys not listed are kept unless O(purge_metadata=true).
    type: dict
  purge_metadata:
    description:
      - Remove metadata keys that are not in O(metadata) (C(mtime) is always kept).
    type: bool
    default: false
  checksum:
    description:
      - Always compare md5s of the file's slices with the manifest instead of trusting the
        recorded size and mtime.
    type: bool
    default: false
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
  delete_after:
    description:
      - Have Swift delete the SLO this many seconds after it is written (C(X-Delete-At)). The
        manifest B(and every segment) get the same expiry, so no segment is left behind, billed,
        after the manifest expired.
      - An SLO that already has an expiry keeps it (a re-run changes nothing); an upload of a new
        version sets now + O(delete_after). Use O(delete_at) to move an expiry.
      - Mutually exclusive with O(delete_at).
    type: int
  delete_at:
    description:
      - When Swift deletes the SLO, manifest and segments, as epoch seconds or an ISO 8601 date and
        time (UTC unless it says otherwise), for example C(2027-06-30T00:00:00Z).
      - V(never) removes the expiry from the manifest and every segment.
      - An existing SLO is converged with POSTs (nothing is uploaded again); segments whose own
        expiry differs from the manifest's are fixed too.
    type: str
  stale_segment_age:
    description:
      - Seconds after which a segment of this object (under C(<name>/slo/) in
        O(segment_container)) that the new manifest does not use counts as left behind by a
        failed or killed run, and is deleted after a successful upload.
      - Younger ones are kept, since another run may still be uploading them. V(0) deletes
        them all; use it only when no other run writes this object.
    type: int
    default: 86400
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.attributes
author:
  - ncloud.archive developers (@ncloud)
"""

EXAMPLES = r"""
- name: Archive a multi-GB backup, 16 segments at a time
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    src: /var/backups/db.tar.zst
    segment_threads: 16

- name: Same, with explicit segment size, and verified by checksum instead of size and mtime
  ncloud.archive.archive_slo:
    container: backups
    name: db/2026-11-26.tar.zst
    src: /var/backups/db.tar.zst
    segment_size: 128MB
    checksum: true

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
    name:
      description: Object name.
      type: str
    etag:
      description: The SLO's ETag, the md5 of its segments' md5s (not the md5 of the data).
      type: str
    bytes:
      description: Size of the whole object.
      type: int
    content_type:
      description: Content type.
      type: str
    last_modified:
      description: Last change, as an HTTP date.
      type: str
    metadata:
      description: User metadata, keys in lower case; C(mtime) is the file's mtime.
      type: dict
    is_slo:
      description: Whether the object is a Static Large Object.
      type: bool
    delete_at:
      description: Unix time at which Swift deletes the object (and its segments), when set.
      type: int
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
    bytes:
      description: Size of the segment.
      type: int
    etag:
      description: md5 of the segment.
      type: str
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
changed_reason:
  description: Why the task changed something (or would, in check mode), or why it did not.
  returned: always
  type: str
  sample: content differs
"""

import mimetypes
import os
import time

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.ncloud.archive.plugins.module_utils import _swift, _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._connection import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule


class ArchiveSlo(ArchiveModule):
    argument_spec = dict(
        container=dict(type='str', required=True),
        name=dict(type='str', required=True),
        src=dict(type='path'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        segment_container=dict(type='str'),
        segment_size=dict(type='str'),
        segment_threads=dict(type='int', default=8),
        content_type=dict(type='str'),
        metadata=dict(type='dict'),
        purge_metadata=dict(type='bool', default=False),
        checksum=dict(type='bool', default=False),
        on_failure=dict(type='str', default='keep', choices=['keep', 'delete']),
        stale_segment_age=dict(type='int', default=86400),
        delete_after=dict(type='int'),
        delete_at=dict(type='str'),
    )
    module_kwargs = dict(supports_check_mode=True, required_if=[('state', 'present', ['src'])],
                         mutually_exclusive=[('delete_after', 'delete_at')])

    def run(self):
        p = self.params
        self.container = _swift.validate_container_name(p['container'], 'container')
        self.name = _swift.validate_object_name(p['name'], 'name')
        _swift.check_header_value(p['content_type'], 'content_type')
        self.segment_container = _swift.validate_container_name(
            p['segment_container'] or '%s_segments' % self.container, 'segment_container')
        self.what = "SLO '%s' in container '%s'" % (self.name, self.container)
        self.result = dict(segments_uploaded=0, segments_reused=0, segments_deleted=0,
                           segments_expiry_changed=0)
        if p['state'] == 'present':
            self.check_input()
            self.present(self.head())
        else:
            self.absent(self.head())

    # --- facts ----------------------------------------------------------------------
    def head(self):
        """The SLO's facts and segments, or None when there is no object."""
        facts = self.head_object(self.container, self.name)
        if facts is None:
            return None
        segments = self.get_manifest(self.container, self.name) if facts['is_slo'] else []
        return {'facts': facts, 'segments': segments}

    def list_segments(self, prefix):
        """{name: listing entry} of the segment container under ``prefix`` (none when the
        container does not exist: its listing answers 404)."""
        try:
            entries = self.list_container(self.segment_container, prefix=prefix)
        except ArchiveError as exc:
            if exc.status == 404:
                return {}
            raise
        return dict((e['name'], e) for e in entries)

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
            raise ArchiveError("src: '%s' is empty; an SLO needs at least one byte, upload it "
                               "with ncloud.archive.archive_object" % src)
        if p['segment_threads'] < 1:
            raise ArchiveError('segment_threads must be at least 1')
        if p['stale_segment_age'] < 0:
            raise ArchiveError('stale_segment_age must be 0 or more seconds')
        if p['delete_after'] is not None and p['delete_after'] < 1:
            raise ArchiveError('delete_after must be a positive number of seconds')
        self.delete_at = _swift.parse_delete_at(p['delete_at'])
        self.desired_meta = _swift.normalize_metadata(p['metadata'], 'metadata')
        if self.desired_meta and 'mtime' in self.desired_meta:
            raise ArchiveError("metadata: the key 'mtime' is reserved for the file's modification time")
        self.requested_size = None
        if p['segment_size'] is not None:
            try:
                self.requested_size = human_to_bytes(p['segment_size'])
            except ValueError:
                raise ArchiveError("segment_size: '%s' is not a size; give bytes or a size like "
                                   "64MB" % p['segment_size']) from None

    def present(self, remote):
        p = self.params
        src = p['src']
        stat = os.stat(src)
        size, mtime = stat.st_size, _swift.source_mtime(stat.st_mtime)
        segment_size = None
        if self.requested_size is not None:
            # A given size is checked against /info even when nothing is to be uploaded.
            segment_size = _swift.choose_segment_size(size, self.limits(), self.requested_size)

        before = remote['facts'] if remote else None
        if remote is None:
            # Before any segment goes up: the manifest PUT would fail with 404 after them.
            self.require_container(self.container)
        reason = self.differs(remote, src, size, mtime)
        current_meta = before['metadata'] if before else {}
        _to_set, _to_remove, desired = _swift.plan_metadata(current_meta, self.desired_meta,
                                                            p['purge_metadata'])
        desired['mtime'] = mtime
        content_type = p['content_type'] or (before['content_type'] if before and not reason else None) \
            or mimetypes.guess_type(self.name)[0] or 'application/octet-stream'

        if reason is None:
            self.converge(remote, desired, content_type)
            return
        if segment_size is None:
            segment_size = _swift.choose_segment_size(size, self.limits())
        self.result['segment_size'] = segment_size
        self.upload(remote, reason, src, size, mtime, segment_size, desired, content_type)

    def converge(self, remote, metadata, content_type):
        """An identical SLO: POST what differs of metadata, content type and expiry to the
        manifest, and the expiry to the segments whose own differs."""
        before = remote['facts']
        to_set, to_remove, _after = _swift.plan_metadata(before['metadata'], metadata, True)
        expiry = self.expiry(before, rewritten=False)
        current_expiry = before.get('delete_at') or 0
        stale = self.segments_to_expire(remote['segments'], expiry)
        changes = [change for change, differs in (
            ('metadata differs', to_set or to_remove),
            ('content type differs', content_type != before['content_type']),
            ('expiry differs' if current_expiry else 'expiry not set',
             expiry is not None and expiry != current_expiry),
            ('segment expiry differs', stale)) if differs]
        self.result['segments'] = _segment_view(remote['segments'])
        # The stored SLO's own segment size (its first segment): no /info request.
        self.result['segment_size'] = remote['segments'][0]['bytes'] if remote['segments'] else 0
        if not changes:
            self.finish(False, 'identical', before, before)
            return
        keep_expiry = current_expiry if expiry is None else expiry
        after = dict(before, metadata=metadata, content_type=content_type)
        after.pop('delete_at', None)
        if keep_expiry:
            after['delete_at'] = keep_expiry
        if not self.check_mode:
            if stale:
                _transfer.set_expiry(self.request, self.connector().connect, stale, keep_expiry,
                                     self.params['segment_threads'])
            if changes != ['segment expiry differs']:
                headers = _swift.object_post_headers(metadata, content_type, keep_expiry, None)
                self.request('POST ' + self.what, self.conn.post_object, self.container,
                             self.name, headers)
            after = self.head()['facts']
        self.finish(True, ' and '.join(changes), before, after)

    def expiry(self, before, rewritten):
        """The X-Delete-At the SLO should end with (None: not managed by this task)."""
        return _swift.plan_expiry(before.get('delete_at') if before else None, self.delete_at,
                                  self.params['delete_after'], time.time(), rewritten)

    def segments_to_expire(self, segments, expiry):
        """Paths of the segments whose X-Delete-At is not ``expiry`` (0: none), HEADed on the
        pool; none when the expiry is not managed. Sets segments_expiry_changed."""
        stale = []
        if expiry is not None and segments:
            found = _transfer.segment_expiries(self.request, self.connector().connect,
                                               [s['name'] for s in segments],
                                               self.params['segment_threads'])
            stale = sorted(path for path, value in found.items() if value != expiry)
        self.result['segments_expiry_changed'] = len(stale)
        return stale

    def differs(self, remote, src, size, mtime):
        """Why the remote object is not this file's SLO, or None when it is."""
        if remote is None:
            return 'absent'
        facts = remote['facts']
        if not facts['is_slo']:
            return 'stored as a plain object'
        if facts['bytes'] != size:
            return 'content differs'
        if not self.params['checksum'] and facts['metadata'].get('mtime') == mtime:
            return None
        if _transfer.file_matches_segments(src, remote['segments']):
            return None
        return 'content differs'

    def upload(self, remote, reason, src, size, mtime, segment_size, metadata, content_type):
        before = remote['facts'] if remote else None
        prefix = _swift.segment_prefix(self.name, mtime, size, segment_size)
        existing = self.list_segments(prefix)
        plan = []
        reused = []
        for index, offset, length in _swift.slices(size, segment_size):
            name = _swift.segment_name(prefix, index)
            job = {'name': name, 'offset': offset, 'bytes': length}
            found = existing.get(name)
            if found and found['bytes'] == length and \
                    _swift.strip_etag(found['hash']) == _transfer.md5_file(src, offset, length):
                reused.append(dict(job, etag=_swift.strip_etag(found['hash'])))
            else:
                plan.append(job)
        self.result.update(segments_uploaded=len(plan), segments_reused=len(reused))
        keep = set(self.segment_path(j['name']) for j in plan + reused)
        expiry = self.expiry(before, rewritten=True)
        # Reused segments must expire with the new manifest (or not at all), never before it.
        stale = self.segments_to_expire([{'name': self.segment_path(j['name'])} for j in reused],
                                        expiry or 0)
        if self.check_mode:
            self.result['segments_deleted'] = len(self.obsolete_segments(remote, keep))
            self.result['segments'] = [{'name': self.segment_path(j['name']),
                                        'bytes': j['bytes'], 'etag': j.get('etag', '')}
                                       for j in sorted(plan + reused, key=lambda j: j['offset'])]
            after = {'container': self.container, 'name': self.name, 'etag': '', 'bytes': size,
                     'content_type': content_type, 'metadata': metadata, 'is_slo': True,
                     'last_modified': ''}
            if expiry:
                after['delete_at'] = expiry
            self.finish(True, reason, before, after)
            return

        self.ensure_segment_container()
        try:
            uploaded = _transfer.upload_segments(self.request, self.connector().connect, src,
                                                 self.segment_container, plan,
                                                 self.params['segment_threads'],
                                                 headers=_swift.expiry_headers(expiry))
            _transfer.set_expiry(self.request, self.connector().connect, stale, expiry,
                                 self.params['segment_threads'])
        except _transfer.PoolError as exc:
            self.fail_upload(self.quota_hint(exc, self.segment_container), plan, len(exc.done))
        segments = sorted(uploaded + reused, key=lambda j: j['offset'])
        expected = _swift.slo_etag([s['etag'] for s in segments])
        # What the manifest PUT replaces, read as late as possible: a concurrent writer's
        # manifest that landed meanwhile is replaced too, and its segments become obsolete.
        replaced = self.head()
        after = self.put_manifest(segments, expected, metadata, content_type, plan, expiry)
        if after is None or after['facts']['etag'] != expected:
            self.lost_race(after, plan)
        self.result['segments_deleted'] = self.delete_segments(
            self.obsolete_segments(replaced, keep))
        self.result['segments'] = _segment_view(after['segments'])
        self.finish(True, reason, before, after['facts'])

    def segment_path(self, name):
        return '/%s/%s' % (self.segment_container, name)

    def put_manifest(self, segments, expected, metadata, content_type, plan, expiry):
        """PUT the manifest; returns the object read back afterwards.

        A PUT whose answer was lost may have taken effect: the object is read back before the
        run counts as failed, and segments are never deleted while that is unknown.
        """
        headers = _swift.object_metadata_headers(metadata)
        headers.update(_swift.expiry_headers(expiry))
        try:
            _transfer.long_request(self.conn, lambda: self.request(
                'PUT manifest of ' + self.what, self.conn.put_object, self.container, self.name,
                _swift.manifest_body(self.segment_container, segments),
                query_string='multipart-manifest=put', content_type=content_type,
                headers=headers))
        except ArchiveError as exc:
            try:
                after = self.head()
            except ArchiveError as unknown:
                raise ArchiveError('%s; whether the manifest was written is unknown (%s), so the '
                                   'segments were kept' % (exc.message, unknown.message),
                                   exc.status, exc.transaction_id) from None
            if after is None or after['facts']['etag'] != expected:
                self.fail_upload(self.quota_hint(exc, self.container), plan, len(plan))
            return after
        return self.head()

    def obsolete_segments(self, replaced, keep):
        """Segments to delete once the new manifest is live: those the replaced manifest
        references, and this object's segments left long ago by failed or killed runs
        (older than stale_segment_age), except ``keep``. Younger unreferenced segments may
        belong to a concurrent upload and stay."""
        listing = self.list_segments(_swift.versions_prefix(self.name)).values()
        stale = _swift.stale_segments(listing, self.name, time.time(),
                                      self.params['stale_segment_age'])
        paths = set(self.segment_path(name) for name in stale)
        if replaced:
            paths.update(s['name'] for s in replaced['segments'])
        return paths - keep

    def delete_segments(self, paths):
        if not paths:
            return 0
        return _transfer.delete_paths(self.request, self.conn, sorted(paths), self.limits())

    def lost_race(self, live, plan):
        """Another writer's manifest replaced this run's: delete what this run uploaded that
        the live manifest does not use, and fail saying so."""
        used = set(s['name'] for s in live['segments']) if live else set()
        mine = set(self.segment_path(j['name']) for j in plan) - used
        deleted = self.delete_segments(mine)
        raise ArchiveError('%s was replaced by another writer right after this run wrote it: it '
                           'now holds %s; the %d segment(s) this run uploaded that it does not use '
                           'were deleted. Run the task again to store this file'
                           % (self.what, 'ETag %s' % live['facts']['etag'] if live else 'nothing',
                              deleted))

    def ensure_segment_container(self):
        if self.head_container(self.segment_container) is None:
            self.request("create container '%s'" % self.segment_container,
                         self.conn.put_container, self.segment_container)

    def fail_upload(self, exc, plan, confirmed):
        """Fail the upload after on_failure: ``plan`` are the segments this run was to upload,
        ``confirmed`` how many of them Swift acknowledged."""
        if self.params['on_failure'] == 'keep':
            raise ArchiveError('%s; on_failure=keep: the %d segment(s) this run stored were kept, '
                               'the next run uploads only what is missing' % (exc.message, confirmed),
                               exc.status, exc.transaction_id)
        # Every segment this run may have stored, acknowledged or not (an answer can be lost
        # after Swift stored the segment); the ones never stored are simply not found.
        paths = [self.segment_path(job['name']) for job in plan]
        with self.deadline.grace(self.params['timeout']):
            try:
                deleted = self.delete_segments(paths)
            except ArchiveError as cleanup:
                raise ArchiveError('%s; on_failure=delete could not delete the segments this run '
                                   'may have stored (%s): they are under %s'
                                   % (exc.message, cleanup.message,
                                      self.segment_path(os.path.dirname(plan[0]['name']) + '/')),
                                   exc.status, exc.transaction_id) from None
        raise ArchiveError('%s; on_failure=delete: deleted the %d segment(s) this run had stored'
                           % (exc.message, deleted), exc.status, exc.transaction_id)

    # --- absent ---------------------------------------------------------------------
    def absent(self, remote):
        if remote is None:
            self.result['segments'] = []
            self.finish(False, 'already absent', None, None)
            return
        facts = remote['facts']
        self.result['segments'] = _segment_view(remote['segments'])
        if not facts['is_slo']:
            raise ArchiveError('%s is a plain object, not an SLO: delete it with '
                               'ncloud.archive.archive_object' % self.what)
        if self.check_mode:
            self.result['segments_deleted'] = len(remote['segments'])
        else:
            self.result['segments_deleted'] = _transfer.delete_slo(
                self.request, self.conn, self.container, self.name, self.what)
        self.finish(True, 'present', facts, None)

    def finish(self, changed, reason, before, after):
        result = dict(self.result, changed=changed, changed_reason=reason)
        result['object'] = (before if self.params['state'] == 'absent' else after) or {}
        result.setdefault('segments', [])
        if self.module._diff:
            result['diff'] = dict(before=_swift.object_diff_view(before), after=_swift.object_diff_view(after))
        self.exit(**result)


def _segment_view(segments):
    return [{'name': s['name'], 'bytes': s['bytes'], 'etag': s['hash']} for s in segments]


def main():
    ArchiveSlo()()


if __name__ == '__main__':
    main()
