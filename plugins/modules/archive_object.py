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
    to a file, or deletes an object (with its segments when it is a Static or Dynamic Large
    Object).
  - Decides what to do from a HEAD request and the local file's md5 only. An object whose
    bytes are already identical is never sent again, whichever tool uploaded it. For an SLO
    (for example one uploaded with C(swift upload --use-slo)) the local file is cut at the
    manifest's segment sizes and each slice's md5 is compared with the segment's; for a DLO
    (C(X-Object-Manifest), as C(swift upload --use-dlo), the C(swift) CLI 3.x and rclone write
    large files) the same with the segments listed under its prefix.
  - Uploads stream from disk with the md5 as C(ETag), so Swift rejects a body damaged on the
    way. Downloads stream into a temporary file beside O(dest), are verified (md5, or each
    segment's md5 for an SLO), synced and renamed into place; a failed download leaves no
    partial file and O(dest) as it was. The segments of an SLO are fetched on O(threads)
    parallel connections and written at their offsets.
  - The temporary file, C(.<name of dest>.<8 hex digits>.part), is locked while it is written.
    One that a killed run left beside O(dest) is removed by the next O(state=downloaded) run
    (RV(temps_removed)).
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
    type: str
    required: true
  state:
    description:
      - V(present) uploads O(src) or O(content), or creates a directory marker.
      - V(downloaded) writes the object to O(dest).
      - V(absent) deletes the object; for an SLO or a DLO its segments are deleted too (a DLO's
        after its manifest, as C(swift delete) does).
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
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.attributes
  - ansible.builtin.files
  - ncloud.archive.archive.metadata
  - ncloud.archive.archive.retention
  - ncloud.archive.archive.transfer
seealso:
  - module: ncloud.archive.archive_slo
    description: Files too large for one object (over 5 GiB), or large ones uploaded in parallel segments.
  - module: ncloud.archive.archive_sync
    description: Directory trees, in both directions.
  - module: ncloud.archive.archive_info
    description: An object's facts without changing it.
  - module: ncloud.archive.archive_container
    description: The container the objects go in.
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
      description: ETag without quotes. For a plain object the md5 of its data; for an SLO the
        md5 of its segments' md5s.
      type: str
      sample: 5d41402abc4b2a76b9719d911017c592
    bytes:
      description: Size (of the data, for an SLO or a DLO).
      type: int
      sample: 52428800
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
      sample: {owner: dba-team}
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
      description: Unix time at which Swift deletes the object.
      type: int
      sample: 1827536047
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
uid:
  description:
    - Numeric id of the owner of O(dest).
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: int
  sample: 0
gid:
  description:
    - Numeric id of the group of O(dest).
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: int
  sample: 0
owner:
  description:
    - Owner of O(dest).
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: str
  sample: root
group:
  description:
    - Group of O(dest).
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: str
  sample: root
mode:
  description:
    - Permissions of O(dest), in octal.
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: str
  sample: '0644'
size:
  description:
    - Size of O(dest) in bytes.
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: int
  sample: 73014444032
state:
  description:
    - What O(dest) is, as C(ansible.builtin.file) says it.
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: str
  sample: file
secontext:
  description:
    - SELinux context of O(dest), on hosts with SELinux.
    - Added by Ansible to every result that names a O(dest), as C(ansible.builtin.copy)
      and C(ansible.builtin.get_url) return it.
  returned: when O(state=downloaded) and O(dest) exists afterwards (in check mode, only when it existed before)
  type: str
  sample: system_u:object_r:admin_home_t:s0
temps_removed:
  description:
    - Names of the temporary files of O(dest) (in its directory) that killed downloads left,
      removed (in check mode, that would be). One that a running download holds is left alone.
  returned: when O(state=downloaded)
  type: list
  elements: str
  sample: [".db.dump.3f9a01c2.part"]
segments_deleted:
  description: Number of segments deleted with a Static or Dynamic Large Object (deleted, or
    replaced by a plain object). A DLO's are those under its RV(object.dlo_manifest) prefix,
    deleted after its manifest; none when that prefix is empty (the whole container).
  returned: when a large object was deleted or replaced
  type: int
  sample: 16
elapsed:
  description:
    - Seconds the task's work took on the host it ran on (reading what is there, hashing,
      planning and, unless in check mode, the upload, download or deletion), rounded to the
      millisecond.
    - In check mode, the time of the planning alone.
  returned: always
  type: float
  sample: 2.614
bytes_per_second:
  description:
    - The bytes this run moved divided by RV(elapsed), as a whole number. The bytes of the
      object uploaded (O(state=present)) or of the file written (O(state=downloaded)).
    - V(0) when nothing moved (an identical object or file, a metadata or expiry change, a
      deletion), and always in check mode.
  returned: always
  type: int
  sample: 41943040
"""

import os
import time

from ansible_collections.ncloud.archive.plugins.module_utils import (
    _hash,
    _objects,
    _options,
    _plan,
    _swift,
    _transfer,
    _tree,
)
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule

CHANGED_WHILE_READ = 'the object changed while it was being read; run the task again'


class ArchiveObject(ArchiveModule):
    transfer = True
    argument_spec = dict(
        container=dict(type='str', required=True),
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'downloaded', 'absent']),
        src=dict(type='path'),
        content=dict(type='str'),
        directory=dict(type='bool', default=False),
        content_type=dict(type='str'),
        overwrite=dict(type='str', default='different', choices=['different', 'always', 'never']),
        dest=dict(type='path'),
        **_options.spec('metadata', 'retention', 'transfer'),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        add_file_common_args=True,
        mutually_exclusive=[('src', 'content', 'directory')] + _options.exclusive('retention'),
        required_if=[('state', 'downloaded', ['dest'])],
    )

    def run(self):
        p = self.params
        self.container = _swift.validate_container_name(p['container'], 'container')
        _swift.check_header_value(p['content_type'], 'content_type')
        _options.threads(p)
        self.name = _swift.validate_object_name(p['name'], 'name')
        self.what = "object '%s' in container '%s'" % (self.name, self.container)
        if p['state'] == 'present':
            return self.present()
        if p['state'] == 'downloaded':
            return self.downloaded()
        return self.absent()

    def observe(self):
        """(facts, segments) of the object (an SLO's manifest, a DLO's listed segments, [] for
        a plain one); (None, None) when absent."""
        return _objects.observe(self.client, self.container, self.name)

    def result(self, plan, outcome):
        """The task's result: the plan's prediction, with what the run did laid over it
        (``outcome``: the object's facts ``after``, real counts, for a download whether
        ``dest`` existed and the file attributes' verdict)."""
        done = dict(plan.returns, changed=plan.changed, changed_reason=plan.reason)
        done.update(outcome)
        after = done.pop('after')
        if self.params['state'] == 'downloaded':
            dest, existed = self.params['dest'], done.pop('existed')
            return dict(
                done,
                object=after,
                dest=dest,
                **self.diff(
                    {'dest': dest, 'exists': existed},
                    {'dest': dest, 'exists': True, 'etag': after['etag'], 'bytes': after['bytes']},
                ),
            )
        facts = (plan.before if self.params['state'] == 'absent' else after or plan.before) or {}
        return dict(
            done, object=facts, **self.diff(_swift.object_diff_view(plan.before), _swift.object_diff_view(after))
        )

    # --- present --------------------------------------------------------------------
    def desired(self):
        p = self.params
        if p['src'] is None and p['content'] is None and not p['directory']:
            raise ArchiveError('state=present needs one of src (a file), content (a string) or directory=true')
        if p['src'] is not None:
            if not os.path.exists(p['src']):
                raise ArchiveError("src: '%s' does not exist" % p['src'])
            if not os.path.isfile(p['src']):
                raise ArchiveError(
                    "src: '%s' is not a regular file (directories are uploaded by "
                    "ncloud.archive.archive_sync)" % p['src']
                )
            if not os.access(p['src'], os.R_OK):
                raise ArchiveError("src: '%s' is not readable" % p['src'])
        delete_at, delete_after = _options.retention(p)
        return dict(
            overwrite=p['overwrite'],
            delete_after=delete_after,
            delete_at=delete_at,
            metadata=_options.metadata(p),
            purge_metadata=p['purge_metadata'],
            content_type=p['content_type'] or (_plan.DIRECTORY_TYPE if p['directory'] else None),
        )

    def local(self):
        p = self.params
        if p['directory']:
            return _hash.Local(data=b'')
        if p['content'] is not None:
            return _hash.Local(data=p['content'].encode('utf-8'))
        return _hash.Local(p['src'])

    def present(self):
        desired = self.desired()
        remote, segments = self.observe()
        local = self.local()
        limits = self.client.limits()
        if local.size > limits['max_file_size']:
            raise ArchiveError(
                'src is %d bytes, more than the %d bytes this server accepts in one '
                'object: upload it with ncloud.archive.archive_slo' % (local.size, limits['max_file_size'])
            )
        plan = _plan.plan_object(self.container, self.name, remote, segments, local, desired, time.time())
        outcome = dict(after=plan.after)
        if plan.changed and not self.check_mode:

            def put(headers, content_type):
                self.put(local, headers, content_type)
                self.moved += local.size

            def post(headers):
                if remote['is_slo']:
                    _objects.post_manifest(self.client, self.container, self.name, headers, segments)
                else:
                    self.client.post_object(self.container, self.name, headers)

            outcome = _plan.dispatch(
                plan.actions,
                {'put': put, 'delete_segments': self.delete_segments, 'post': post},
            )
            outcome['after'] = self.client.head_object(self.container, self.name)
        return self.result(plan, outcome)

    def delete_segments(self, paths):
        """The handler of ('delete_segments', paths): deletes them; the outcome counts them."""
        return dict(segments_deleted=self.client.delete_paths(paths))

    def put(self, local, headers, content_type):
        try:
            if local.path is not None:
                _transfer.put_file(
                    self.client, self.container, self.name, local.path, content_type, headers, md5=local.md5()
                )
            else:
                self.client.put_object(
                    self.container,
                    self.name,
                    local.data.decode('utf-8'),
                    content_length=local.size,
                    etag=local.md5(),
                    content_type=content_type,
                    headers=headers,
                )
        except ArchiveError as exc:
            raise self.client.quota_hint(exc, self.container) from exc

    # --- downloaded -----------------------------------------------------------------
    def check_dest(self):
        dest = self.params['dest']
        if os.path.islink(dest):
            raise ArchiveError("dest: '%s' is a symlink; give the path of a regular file" % dest)
        if os.path.isdir(dest):
            raise ArchiveError(
                "dest: '%s' is a directory; give the path of the file to write, "
                "for example '%s'" % (dest, os.path.join(dest, os.path.basename(self.params['name'])))
            )
        parent = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(parent):
            raise ArchiveError("dest: directory '%s' does not exist" % parent)
        if os.path.exists(dest) and not os.path.isfile(dest):
            raise ArchiveError("dest: '%s' exists and is not a regular file" % dest)

    def downloaded(self):
        p = self.params
        dest = p['dest']
        self.check_dest()
        remote, segments = self.observe()
        if remote is None:
            raise ArchiveError('%s does not exist: nothing to download' % self.what)
        exists = os.path.exists(dest)
        directory = os.path.dirname(os.path.abspath(dest))
        stale = _tree.stale_temps_of(directory, os.path.basename(dest))
        plan = _plan.plan_download(remote, segments, _hash.Local(dest) if exists else None, p['overwrite'], stale)
        if plan.changed and not self.check_mode:

            def download():
                self.download(remote, segments, dest)
                self.moved += os.path.getsize(dest)

            # The temp files killed runs left go first, then the download.
            _plan.dispatch(
                plan.actions,
                {'remove_temp': lambda name: _tree.remove_stale_temps(directory, [name]), 'download': download},
            )
        # File attributes: Ansible's own check, which keeps to check mode itself.
        file_args = self.module.load_file_common_arguments(p, path=dest)
        outcome = dict(after=remote, existed=exists)
        if (exists or plan.changed) and not (self.check_mode and not exists):
            if self.module.set_fs_attributes_if_different(file_args, plan.changed) and not plan.changed:
                outcome.update(changed=True, changed_reason='file attributes differ')
        return self.result(plan, outcome)

    def download(self, facts, segments, dest):
        fetch = self.download_segments if _transfer.parallel_download_possible(segments) else self.download_stream
        _done, retried = _objects.fetch_verified(lambda: fetch(facts, dest, segments), self.what, dest)
        if retried:
            self.module.warn(retried)

    def download_stream(self, facts, dest, segments):
        """One GET of the whole object, checked against its md5 or its segments' md5s."""
        verifier = _transfer.SegmentVerifier(
            facts['bytes'], etag=None if segments else facts['etag'], segments=segments
        )
        headers, body = self.client.get_object(self.container, self.name, _transfer.CHUNK)
        if _swift.strip_etag(headers.get('etag')) != facts['etag']:
            raise ArchiveError(CHANGED_WHILE_READ)
        self.client.call('GET ' + self.what, _transfer.download_to, dest, body, verifier)

    def download_segments(self, facts, dest, segments):
        """A large object's segments on O(threads) connections, each checked against the
        manifest (SLO) or the listing (DLO)."""
        if not _swift.segments_agree(facts['etag'], facts['bytes'], segments):
            raise ArchiveError(CHANGED_WHILE_READ)
        _transfer.download_segments(dest, self.client, segments, self.params['threads'])

    # --- absent ---------------------------------------------------------------------
    def absent(self):
        remote, segments = self.observe()
        plan = _plan.plan_object_absent(remote, segments)
        outcome = dict(after=None)
        if plan.changed and not self.check_mode:
            outcome.update(
                _plan.dispatch(
                    plan.actions,
                    {
                        'delete_slo': lambda: dict(segments_deleted=self.client.delete_slo(self.container, self.name)),
                        'delete': lambda: self.client.delete_object(self.container, self.name),
                        'delete_segments': self.delete_segments,
                    },
                )
            )
        return self.result(plan, outcome)


def main():
    ArchiveObject()()


if __name__ == '__main__':
    main()
