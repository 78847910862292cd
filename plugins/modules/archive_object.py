#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: archive_object
short_description: Upload, download and delete objects of NAVER Cloud Archive Storage
version_added: 0.1.0
description:
  - Uploads a file or a string as an object, creates a directory marker, downloads an object
    to a file, or deletes an object (with its segments when it is a Static Large Object).
  - Decides what to do from a HEAD request and the local file's md5 only. An object whose
    bytes are already identical is never sent again, whichever tool uploaded it. For an SLO
    (for example one uploaded with C(swift upload --use-slo)) the local file is cut at the
    manifest's segment sizes and each slice's md5 is compared with the segment's.
  - Uploads stream from disk with the md5 as C(ETag), so Swift rejects a body damaged on the
    way. Downloads stream into a temporary file beside O(dest), are verified (md5, or each
    segment's md5 for an SLO), synced and renamed into place; a failed download leaves no
    partial file and O(dest) as it was. The segments of an SLO are fetched on O(threads)
    parallel connections and written at their offsets.
  - Files larger than the server's C(max_file_size) (5 GiB by default) must be uploaded with
    M(ncloud.archive.archive_slo).
options:
  container:
    description:
      - Container of the object. It must exist (see M(ncloud.archive.archive_container)).
    type: str
    required: true
  name:
    description:
      - Object name, at most 1024 bytes of UTF-8. C(/) is allowed and shown as a directory by
        most tools.
      - Required unless O(files) is given.
    type: str
  state:
    description:
      - V(present) uploads O(src) or O(content), or creates a directory marker.
      - V(downloaded) writes the object to O(dest).
      - V(absent) deletes the object; for an SLO its segments are deleted too.
    type: str
    choices: [present, downloaded, absent]
    default: present
  src:
    description:
      - File to upload, on the host where the module runs.
    type: path
  content:
    description:
      - Text to upload as the object's data (encoded as UTF-8).
    type: str
  directory:
    description:
      - Create a directory marker, a zero-byte object with content type
        C(application/directory), as the NAVER Cloud console does.
    type: bool
    default: false
  content_type:
    description:
      - Content type of the object. When uploading without it, it is guessed from O(name)
        (C(application/octet-stream) if unknown). An existing object's content type is only
        changed when this is set.
    type: str
  metadata:
    description:
      - User metadata of the object. Keys may hold letters, digits and C(-); they are compared
        case-insensitively.
      - Keys not listed are kept unless O(purge_metadata=true).
    type: dict
  purge_metadata:
    description:
      - Remove metadata keys that are not in O(metadata).
    type: bool
    default: false
  delete_after:
    description:
      - Ask Swift to delete the object this many seconds after it is written (C(X-Delete-After)).
      - Only set when the object is uploaded or has no expiry yet, so re-runs stay idempotent.
      - Mutually exclusive with O(delete_at).
    type: int
  delete_at:
    description:
      - When Swift deletes the object (C(X-Delete-At)), as epoch seconds or an ISO 8601 date and
        time (UTC unless it says otherwise), for example C(2027-06-30T00:00:00Z). An existing
        object is converged with a POST.
      - V(never) removes the expiry.
      - Not with O(files) (the batch mode sets O(delete_after) only).
    type: str
  overwrite:
    description:
      - V(different) uploads when the bytes differ. V(always) uploads every time.
        V(never) leaves the data of an existing object alone (metadata still converge).
      - For V(downloaded), the same rules apply to an existing O(dest).
    type: str
    choices: [different, always, never]
    default: different
  dest:
    description:
      - File to write with O(state=downloaded). Its directory must exist. A symlink or a
        directory is refused.
    type: path
  files:
    description:
      - Batch mode, for many objects in one run (as the M(ncloud.archive.archive_upload) role
        does). Each item is a file to upload or a directory marker to create.
      - Identity is decided from one container listing (size and md5) instead of a HEAD per
        object; uploads run on O(threads) parallel connections.
      - O(metadata), O(content_type) and O(delete_after) apply to the objects uploaded;
        identical objects are left as they are.
    type: list
    elements: dict
    suboptions:
      name:
        description: Object name.
        type: str
        required: true
      src:
        description: File to upload.
        type: path
      directory:
        description: Create a directory marker instead.
        type: bool
        default: false
  threads:
    description:
      - Number of parallel uploads with O(files).
      - With O(state=downloaded), the number of segments of an SLO downloaded in parallel
        (each on its own connection, checked against the manifest's md5 as it arrives).
    type: int
    default: 8
  prefix:
    description:
      - With O(files), the part of the container that the batch owns; the listing is limited to
        it. Defaults to the longest common prefix of the names.
    type: str
  delete_extra:
    description:
      - With O(files), delete the objects under O(prefix) that are neither in O(files) nor in
        O(keep). An SLO is deleted with its segments.
    type: bool
    default: false
  keep:
    description:
      - With O(delete_extra), names under O(prefix) that must not be deleted (for example the
        large files another task uploads as SLOs).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.attributes
  - ansible.builtin.files
author:
  - ncloud.archive developers (@ncloud)
"""

EXAMPLES = r"""
- name: Upload last night's dump (nothing is sent if it is already there)
  ncloud.archive.archive_object:
    container: backups
    name: db/2026-11-26.dump
    src: /var/backups/db.dump
    metadata:
      host: "{{ inventory_hostname }}"

- name: A directory marker, as the console creates it
  ncloud.archive.archive_object:
    container: backups
    name: db/
    directory: true

- name: A small text object that expires after 30 days
  ncloud.archive.archive_object:
    container: backups
    name: db/README
    content: "Nightly dumps of the main database.\n"
    delete_after: 2592000

- name: Restore a dump, verified, replacing the file only when complete
  ncloud.archive.archive_object:
    container: backups
    name: db/2026-11-26.dump
    state: downloaded
    dest: /srv/restore/db.dump
    mode: "0600"

- name: A small tree in one run (directory markers and files), removing what is gone locally
  ncloud.archive.archive_object:
    container: backups
    prefix: etc/
    delete_extra: true
    files:
      - {name: etc/, directory: true}
      - {name: etc/hosts, src: /etc/hosts}
      - {name: etc/fstab, src: /etc/fstab}
  register: tree

- name: Delete it (and its segments when it is an SLO)
  ncloud.archive.archive_object:
    container: backups
    name: db/2026-11-26.dump
    state: absent
"""

RETURN = r"""
object:
  description:
    - Facts of the object after the task (before it, for O(state=absent)); empty when it does
      not exist.
    - In check mode, the facts the task would produce, as far as they are known.
  returned: without O(files)
  type: dict
  contains:
    container:
      description: Container name.
      type: str
    name:
      description: Object name.
      type: str
    etag:
      description: ETag without quotes. For a plain object the md5 of its data; for an SLO the
        md5 of its segments' md5s.
      type: str
      sample: 5d41402abc4b2a76b9719d911017c592
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
      description: Unix time at which Swift deletes the object.
      type: int
      returned: when set
changed_reason:
  description: Why the task changed something (or would, in check mode), or why it did not.
  returned: always
  type: str
  sample: content differs
dest:
  description: The file written.
  returned: when O(state=downloaded)
  type: str
  sample: /srv/restore/db.dump
segments_deleted:
  description: Number of segments deleted with an SLO (deleted, or replaced by a plain object).
  returned: when an SLO was deleted or replaced
  type: int
  sample: 16
summary:
  description: Counts of what a batch (O(files)) did, or would do in check mode.
  returned: with O(files)
  type: dict
  contains:
    uploaded:
      description: Files uploaded.
      type: int
    markers_created:
      description: Directory markers created.
      type: int
    identical:
      description: Files and markers already identical.
      type: int
    deleted:
      description: Objects deleted by O(delete_extra).
      type: int
  sample: {"uploaded": 1, "markers_created": 0, "identical": 999, "deleted": 0}
uploaded:
  description: Names uploaded (files and markers) by a batch.
  returned: with O(files)
  type: list
  elements: str
deleted:
  description: Names deleted by O(delete_extra).
  returned: with O(files)
  type: list
  elements: str
"""

import mimetypes
import os
import time

from ansible_collections.ncloud.archive.plugins.module_utils import _swift, _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._connection import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule

EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
DIRECTORY_TYPE = 'application/directory'
CHANGED_WHILE_READ = 'the object changed while it was being read; run the task again'


class ArchiveObject(ArchiveModule):
    argument_spec = dict(
        container=dict(type='str', required=True),
        name=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'downloaded', 'absent']),
        src=dict(type='path'),
        content=dict(type='str'),
        directory=dict(type='bool', default=False),
        content_type=dict(type='str'),
        metadata=dict(type='dict'),
        purge_metadata=dict(type='bool', default=False),
        delete_after=dict(type='int'),
        delete_at=dict(type='str'),
        overwrite=dict(type='str', default='different', choices=['different', 'always', 'never']),
        dest=dict(type='path'),
        files=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            src=dict(type='path'),
            directory=dict(type='bool', default=False),
        )),
        threads=dict(type='int', default=8),
        prefix=dict(type='str'),
        delete_extra=dict(type='bool', default=False),
        keep=dict(type='list', elements='str', default=[]),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        add_file_common_args=True,
        mutually_exclusive=[('src', 'content', 'directory', 'files'), ('name', 'files'),
                            ('delete_after', 'delete_at'), ('delete_at', 'files')],
        required_one_of=[('name', 'files')],
        required_if=[('state', 'downloaded', ['dest'])],
    )

    def run(self):
        p = self.params
        self.container = _swift.validate_container_name(p['container'], 'container')
        _swift.check_header_value(p['content_type'], 'content_type')
        if p['threads'] < 1:
            raise ArchiveError('threads must be at least 1')
        if p['files'] is not None:
            self.batch()
            return
        self.name = _swift.validate_object_name(p['name'], 'name')
        self.what = "object '%s' in container '%s'" % (self.name, self.container)
        if p['state'] == 'present':
            self.check_present_input()
        elif p['state'] == 'downloaded':
            self.check_dest()
        remote = self.head_object(self.container, self.name)
        if p['state'] == 'present':
            self.present(remote)
        elif p['state'] == 'downloaded':
            self.downloaded(remote)
        else:
            self.absent(remote)

    # --- facts ----------------------------------------------------------------------
    def same_data(self, remote, path, size, md5=None):
        """Whether the local data (a file, or bytes with their md5) equals the remote object's."""
        if remote['bytes'] != size:
            return False
        if remote['is_slo']:
            if path is None:
                return False
            return _transfer.file_matches_segments(path, self.get_manifest(self.container, self.name))
        return (md5 or self.file_md5(path)) == remote['etag']

    def file_md5(self, path):
        """md5 of a local file, computed once per run."""
        if getattr(self, '_md5', (None, None))[0] != path:
            self._md5 = (path, _transfer.md5_file(path))
        return self._md5[1]

    # --- present --------------------------------------------------------------------
    def check_present_input(self):
        p = self.params
        if p['src'] is None and p['content'] is None and not p['directory']:
            raise ArchiveError('state=present needs one of src (a file), content (a string) or '
                               'directory=true')
        if p['src'] is not None:
            if not os.path.exists(p['src']):
                raise ArchiveError("src: '%s' does not exist" % p['src'])
            if not os.path.isfile(p['src']):
                raise ArchiveError("src: '%s' is not a regular file (directories are uploaded by "
                                   "the ncloud.archive.archive_upload role)" % p['src'])
            if not os.access(p['src'], os.R_OK):
                raise ArchiveError("src: '%s' is not readable" % p['src'])
        if p['delete_after'] is not None and p['delete_after'] < 1:
            raise ArchiveError('delete_after must be a positive number of seconds')
        self.delete_at = _swift.parse_delete_at(p['delete_at'])
        self.desired_meta = _swift.normalize_metadata(p['metadata'], 'metadata')

    def local_source(self):
        """(path or None, data bytes or None, size, md5 or None, default content type)."""
        p = self.params
        if p['directory']:
            return None, b'', 0, EMPTY_MD5, DIRECTORY_TYPE
        if p['content'] is not None:
            data = p['content'].encode('utf-8')
            return None, data, len(data), _swift.md5_hex(data), None
        return p['src'], None, os.path.getsize(p['src']), None, None

    def present(self, remote):
        p = self.params
        path, data, size, md5, forced_type = self.local_source()
        limits = self.limits()
        if size > limits['max_file_size']:
            raise ArchiveError('src is %d bytes, more than the %d bytes this server accepts in one '
                               'object: upload it with ncloud.archive.archive_slo'
                               % (size, limits['max_file_size']))
        content_type = p['content_type'] or forced_type
        before = remote

        if remote is None:
            reason = 'absent'
        elif p['overwrite'] == 'always':
            reason = 'overwrite=always'
        elif p['overwrite'] == 'never' or self.same_data(remote, path, size, md5):
            reason = None
        else:
            reason = 'content differs'

        current_meta = before['metadata'] if before else {}
        to_set, to_remove, meta_after = _swift.plan_metadata(current_meta, self.desired_meta,
                                                             p['purge_metadata'])
        if reason:
            self.upload(remote, path, data, size, md5, content_type, meta_after)
            return
        changes = []
        if to_set or to_remove:
            changes.append('metadata differs')
        if content_type and content_type != before['content_type']:
            changes.append('content type differs')
        expiry = _swift.plan_expiry(before.get('delete_at'), self.delete_at, p['delete_after'],
                                    time.time(), rewritten=False)
        if expiry is not None and expiry != (before.get('delete_at') or 0):
            changes.append('expiry differs' if before.get('delete_at') else 'expiry not set')
        if not changes:
            self.finish(False, 'identical' if p['overwrite'] != 'never' else 'present, overwrite=never',
                        before, before)
            return
        after = dict(before, metadata=meta_after, content_type=content_type or before['content_type'])
        if not self.check_mode:
            if self.delete_at is not None:  # absolute, or 0: none
                headers = _swift.object_post_headers(meta_after, content_type, self.delete_at, None)
            else:  # an existing expiry is repeated; delete_after counts on the server's clock
                headers = _swift.object_post_headers(meta_after, content_type,
                                                     before.get('delete_at'), p['delete_after'])
            self.request('POST ' + self.what, self.conn.post_object, self.container, self.name,
                         headers)
            after = self.head_object(self.container, self.name)
        self.finish(True, ' and '.join(changes), before, after)

    def upload(self, remote, path, data, size, md5, content_type, metadata):
        p = self.params
        reason = 'absent' if remote is None else (
            'overwrite=always' if p['overwrite'] == 'always' else 'content differs')
        before = remote
        content_type = content_type or mimetypes.guess_type(self.name)[0] or 'application/octet-stream'
        md5 = md5 or self.file_md5(path)
        if self.check_mode:
            after = {'container': self.container, 'name': self.name, 'etag': md5,
                     'bytes': size, 'content_type': content_type, 'metadata': metadata,
                     'is_slo': False, 'last_modified': ''}
            self.finish(True, reason, before, after)
            return
        old_segments = self.get_manifest(self.container, self.name) if before and before['is_slo'] else []
        headers = _swift.object_metadata_headers(metadata)
        if self.delete_at:
            headers['X-Delete-At'] = str(self.delete_at)
        elif p['delete_after']:
            headers['X-Delete-After'] = str(p['delete_after'])
        try:
            if path is not None:
                _transfer.put_file(self.request, self.conn, self.container, self.name, path,
                                   content_type, headers, md5=md5)
            else:
                self.request('PUT ' + self.what, self.conn.put_object, self.container, self.name,
                             data.decode('utf-8') if data else '', content_length=size, etag=md5,
                             content_type=content_type, headers=headers)
        except ArchiveError as exc:
            raise self.quota_hint(exc, self.container) from None
        result = {}
        if old_segments:
            result['segments_deleted'] = self.delete_segments(old_segments)
        self.finish(True, reason, before, self.head_object(self.container, self.name), **result)

    def delete_segments(self, segments, conn=None):
        """Delete the segments of a replaced SLO; returns how many were deleted."""
        return _transfer.delete_paths(self.request, conn or self.conn, (s['name'] for s in segments),
                                      self.limits())

    # --- downloaded -----------------------------------------------------------------
    def check_dest(self):
        dest = self.params['dest']
        if os.path.islink(dest):
            raise ArchiveError("dest: '%s' is a symlink; give the path of a regular file" % dest)
        if os.path.isdir(dest):
            raise ArchiveError("dest: '%s' is a directory; give the path of the file to write, "
                               "for example '%s'" % (dest, os.path.join(dest, os.path.basename(self.params['name']))))
        parent = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(parent):
            raise ArchiveError("dest: directory '%s' does not exist" % parent)
        if os.path.exists(dest) and not os.path.isfile(dest):
            raise ArchiveError("dest: '%s' exists and is not a regular file" % dest)

    def downloaded(self, remote):
        p = self.params
        dest = p['dest']
        if remote is None:
            raise ArchiveError('%s does not exist: nothing to download' % self.what)
        exists = os.path.exists(dest)
        if not exists:
            reason = 'dest absent'
        elif p['overwrite'] == 'never':
            reason = None
        elif p['overwrite'] == 'always':
            reason = 'overwrite=always'
        elif self.same_data(remote, dest, os.path.getsize(dest)):
            reason = None
        else:
            reason = 'content differs'
        if reason and not self.check_mode:
            self.download(remote, dest)
        file_args = self.module.load_file_common_arguments(p, path=dest)
        changed = bool(reason)
        if (exists or reason) and not (self.check_mode and not exists):
            changed = self.module.set_fs_attributes_if_different(file_args, changed)
        if changed and not reason:
            reason = 'file attributes differ'
        result = dict(changed=changed, changed_reason=reason or 'identical', object=remote, dest=dest)
        if self.module._diff:
            result['diff'] = dict(before={'dest': dest, 'exists': exists},
                                  after={'dest': dest, 'exists': True, 'etag': remote['etag'],
                                         'bytes': remote['bytes']})
        self.exit(**result)

    def download(self, facts, dest):
        segments = self.get_manifest(self.container, self.name) if facts['is_slo'] else None
        fetch = self.download_segments if _transfer.parallel_download_possible(segments) \
            else self.download_stream
        try:
            try:
                fetch(facts, dest, segments)
            except ArchiveError as exc:
                if not _transfer.is_verify_error(exc):
                    raise
                # Bytes damaged on the way: worth one more try, never written to dest.
                self.module.warn('the download of %s failed its md5 check (%s) and was retried'
                                 % (self.what, exc.message))
                fetch(facts, dest, segments)
        except ArchiveError as exc:
            raise ArchiveError("download of %s failed, '%s' was left as it was: %s"
                               % (self.what, dest, exc.message), exc.status, exc.transaction_id) from None
        except OSError as exc:
            raise ArchiveError("could not write '%s' (left as it was): %s" % (dest, exc)) from None

    def download_stream(self, facts, dest, segments):
        """One GET of the whole object, checked against its md5 or its segments' md5s."""
        verifier = _transfer.SegmentVerifier(facts['bytes'], etag=None if segments else facts['etag'],
                                             segments=segments)
        headers, body = self.request('GET ' + self.what, self.conn.get_object, self.container,
                                     self.name, resp_chunk_size=_transfer.CHUNK)
        if _swift.strip_etag(headers.get('etag')) != facts['etag']:
            raise ArchiveError(CHANGED_WHILE_READ)
        self.request('GET ' + self.what, _transfer.download_to, dest, body, verifier)

    def download_segments(self, facts, dest, segments):
        """An SLO's segments on O(threads) connections, each checked against the manifest."""
        if _swift.slo_etag([s['hash'] for s in segments]) != facts['etag'] or \
                sum(s['bytes'] for s in segments) != facts['bytes']:
            raise ArchiveError(CHANGED_WHILE_READ)
        _transfer.download_segments(dest, self.connector().connect, self.request, segments,
                                    self.params['threads'])

    # --- absent ---------------------------------------------------------------------
    def absent(self, remote):
        if remote is None:
            self.finish(False, 'already absent', None, None)
            return
        result = {}
        if remote['is_slo']:
            if self.check_mode:
                result['segments_deleted'] = len(self.get_manifest(self.container, self.name))
            else:
                result['segments_deleted'] = _transfer.delete_slo(
                    self.request, self.conn, self.container, self.name, self.what)
        elif not self.check_mode:
            try:
                self.request('DELETE ' + self.what, self.conn.delete_object, self.container,
                             self.name)
            except ArchiveError as exc:
                if exc.status != 404:
                    raise
        self.finish(True, 'present', remote, None, **result)

    # --- batch ----------------------------------------------------------------------
    def batch(self):
        """Many files and directory markers in one run: one listing, a pool of uploads."""
        p = self.params
        if p['state'] != 'present':
            raise ArchiveError('files works with state=present only')
        if p['delete_extra'] and p['prefix'] is None:
            raise ArchiveError("delete_extra needs prefix: the part of the container this batch "
                               "owns ('' for the whole container)")
        self.desired_meta = _swift.normalize_metadata(p['metadata'], 'metadata')
        items = self.batch_items()
        names = [item['name'] for item in items]
        prefix = p['prefix'] if p['prefix'] is not None else os.path.commonprefix(names)
        listing = self.batch_listing(prefix)
        to_upload, identical = [], 0
        hashes = self.batch_md5s(items, listing) if p['overwrite'] == 'different' else {}
        for item in items:
            entry = listing.get(item['name'])
            if entry is not None and (p['overwrite'] == 'never' or (
                    p['overwrite'] == 'different' and self.batch_identical(item, entry, hashes))):
                identical += 1
            else:
                to_upload.append(dict(item, replaces=entry, md5=hashes.get(item['src'])))
        extra = []
        if p['delete_extra']:
            wanted = set(names) | set(p['keep'])
            extra = sorted(name for name in listing if name not in wanted)
            for name in extra:
                # Put there by another tool; a request would reach another object.
                _swift.check_dot_segments(name, 'delete_extra: the object to delete')
        summary = {
            'uploaded': sum(1 for i in to_upload if not i['directory']),
            'markers_created': sum(1 for i in to_upload if i['directory']),
            'identical': identical,
            'deleted': len(extra),
        }
        result = dict(changed=bool(to_upload or extra), summary=summary,
                      uploaded=[i['name'] for i in to_upload], deleted=extra,
                      changed_reason=_batch_reason(summary))
        if self.module._diff:
            result['diff'] = dict(before={'objects': sorted(listing)},
                                  after={'objects': sorted((set(listing) | set(names)) - set(extra))})
        if not self.check_mode:
            self.batch_upload(to_upload)
            self.batch_delete([listing[name] for name in extra])
        self.exit(**result)

    def batch_items(self):
        items, seen = [], set()
        for index, item in enumerate(self.params['files']):
            option = 'files[%d]' % index
            name = _swift.validate_object_name(item['name'], option + '.name')
            if name in seen:
                raise ArchiveError("%s.name: '%s' is listed twice" % (option, name))
            seen.add(name)
            if item['directory'] == (item['src'] is not None):
                raise ArchiveError('%s: give either src (a file) or directory=true' % option)
            if item['src'] is not None and not os.path.isfile(item['src']):
                raise ArchiveError("%s.src: '%s' is not a regular file" % (option, item['src']))
            items.append({'name': name, 'src': item['src'], 'directory': item['directory']})
        return items

    def batch_listing(self, prefix):
        self.require_container(self.container)
        return dict((e['name'], e) for e in self.list_container(self.container, prefix=prefix or None)
                    if 'name' in e)

    def batch_identical(self, item, entry, hashes):
        if item['directory']:
            return entry.get('bytes') == 0 and _swift.listing_content_type(entry) == DIRECTORY_TYPE
        size = os.path.getsize(item['src'])
        if _swift.listing_maybe_slo(entry):
            remote = self.head_object(self.container, item['name'])
            if remote is None or not remote['is_slo']:
                return remote is not None and remote['bytes'] == size and \
                    _transfer.md5_file(item['src']) == remote['etag']
            return remote['bytes'] == size and _transfer.file_matches_segments(
                item['src'], self.get_manifest(self.container, item['name']))
        return entry.get('bytes') == size and \
            _swift.strip_etag(entry.get('hash')) == hashes[item['src']]

    def batch_md5s(self, items, listing):
        """{src: md5} of the files whose listed object is plain and has their size, hashed on
        O(threads) threads (hashlib runs without the GIL)."""
        paths = []
        for item in items:
            entry = listing.get(item['name'])
            if not item['directory'] and entry is not None and \
                    not _swift.listing_maybe_slo(entry) and entry.get('bytes') == os.path.getsize(item['src']):
                paths.append(item['src'])
        return _transfer.md5_files(paths, self.params['threads'])

    def batch_upload(self, items):
        p = self.params
        headers = _swift.object_metadata_headers(self.desired_meta)
        if p['delete_after']:
            headers['X-Delete-After'] = str(p['delete_after'])

        def upload(conn, item):
            name = item['name']
            what = "object '%s' in container '%s'" % (name, self.container)
            if item['directory']:
                self.request('PUT ' + what, conn.put_object, self.container, name, '',
                             content_length=0, etag=EMPTY_MD5, content_type=DIRECTORY_TYPE,
                             headers=headers)
                return
            replaced = item['replaces']
            old_segments = []
            if replaced is not None and _swift.listing_maybe_slo(replaced):
                remote = self.head_object(self.container, name, conn)
                if remote is not None and remote['is_slo']:
                    old_segments = self.get_manifest(self.container, name, conn)
            content_type = p['content_type'] or mimetypes.guess_type(name)[0] or \
                'application/octet-stream'
            _transfer.put_file(self.request, conn, self.container, name, item['src'],
                               content_type, headers, md5=item['md5'])
            if old_segments:
                self.delete_segments(old_segments, conn)

        try:
            _transfer.run_pool(self.connector().connect, upload, items, p['threads'])
        except _transfer.PoolError as exc:
            raise self.quota_hint(exc, self.container) from None

    def batch_delete(self, entries):
        plain = []
        for entry in entries:
            name = entry['name']
            if _swift.listing_maybe_slo(entry):
                _transfer.delete_slo(self.request, self.conn, self.container, name,
                                     "object '%s' in container '%s'" % (name, self.container))
            else:
                plain.append('/%s/%s' % (self.container, name))
        if plain:
            _transfer.delete_paths(self.request, self.conn, plain, self.limits())

    def finish(self, changed, reason, before, after, **extra):
        result = dict(changed=changed, changed_reason=reason, object=after or before or {}, **extra)
        if self.params['state'] == 'absent':
            result['object'] = before or {}
        if self.module._diff:
            result['diff'] = dict(before=_swift.object_diff_view(before), after=_swift.object_diff_view(after))
        self.exit(**result)


def _batch_reason(summary):
    parts = ['%d %s' % (summary[key], label) for key, label in (
        ('uploaded', 'uploaded'), ('markers_created', 'markers created'), ('deleted', 'deleted'))
        if summary[key]]
    return ', '.join(parts) if parts else 'all %d identical' % summary['identical']


def main():
    ArchiveObject()()


if __name__ == '__main__':
    main()
