#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: archive_sync
short_description: Upload a directory tree to NAVER Cloud Archive Storage, or restore one from it
version_added: 0.1.0
description:
  - With O(mode=upload), makes the objects under O(prefix) in O(container) hold the files of
    the local directory O(path) (C(path/<rel>) becomes C(<prefix><rel>)), with an
    C(application/directory) marker object for every directory. Files at or above
    O(slo_threshold) become Static Large Objects, segmented, resumed and cleaned up exactly as
    M(ncloud.archive.archive_slo) does it. Each file's mtime is recorded in
    C(X-Object-Meta-Mtime), as the C(swift) CLI records it.
  - With O(mode=download), restores the objects under O(prefix) into O(path) (created when
    missing) byte for byte. Every file is md5-verified while it streams (an SLO segment by
    segment, in parallel), written to a temporary file beside its place, synced and renamed,
    so no half-written file ever takes a file's name. Its mtime is restored from
    C(X-Object-Meta-Mtime) when the object has one. Markers become directories.
  - The temporary files are named C(.<name>.<8 hex digits>.part) and locked while they are
    written. Those that a killed run left are removed by the next O(mode=download) run
    (RV(temps_removed)); no O(mode=upload) run uploads such a file (RV(skipped_paths)).
  - An object name that would leave O(path) or cannot be a file name (a leading C(/), C(.)
    or C(..) components, empty components as in C(a//b), NUL) fails the task, naming the
    object, before anything is written. So does a local symlink, or a directory, where a
    file must go.
  - Idempotent in both directions. Identity comes from one listing of the prefix. A plain
    object is identical when its size and the listing's md5 equal the local file's (files are
    hashed on O(threads) threads); an SLO by its manifest (its recorded size and mtime, else
    the md5 of every segment). Swift 2.15.1's listings do not say which objects are SLOs, so
    a listed object of a file's size is HEADed when the listing cannot decide, that is a file
    at or above O(slo_threshold) before hashing it, a smaller one when its md5 differs from
    the listed one. A re-run over unchanged small files sends only the listing.
  - An object that an upload replaces or O(delete_extra) deletes is HEADed first, from every
    replica, so that an SLO is deleted with its segments, after its replacement is in place.
  - Dynamic Large Objects (C(X-Object-Manifest), as the C(swift) CLI 3.x, C(swift upload
    --use-dlo) and rclone write large files) are restored and compared segment by segment
    like SLOs (their segments listed under their prefix), and deleted or replaced with their
    segments; this module writes SLOs only.
  - Uses only features of Swift 2.15.1 (Pike).
options:
  mode:
    description:
      - V(upload) copies the local tree to the container, V(download) the container's objects
        to the local tree.
      - V(verify) is the restore drill. It reads the objects under O(prefix) (as of O(as_of),
        or a O(sample) of them) and checks them, writing nothing anywhere. A plain object's
        bytes must have the md5 of its ETag, and the object must carry the mtime that
        archive_sync, the C(swift) CLI and rclone record on every file (one without it was
        written over the backup by another client). An SLO's or a DLO's segments must all be
        there, hold the bytes whose md5 the manifest (or the DLO's listing) names, and expire
        no earlier than the manifest. The task fails listing each object that would not
        restore (RV(damaged)). A DLO whose segment was deleted reads as a shorter object,
        which only a copy elsewhere could tell.
    type: str
    choices: [upload, download, verify]
    default: upload
  path:
    description:
      - The local directory. With O(mode=upload) it must exist; with O(mode=download) it is
        created when missing (its parent must exist).
      - Required with O(mode=upload) and O(mode=download); O(mode=verify) takes none.
    type: path
  container:
    description:
      - The container. With O(mode=upload) it is created when missing, as C(swift upload)
        does (without metadata or ACLs; set those with M(ncloud.archive.archive_container)).
        With O(mode=download) it must exist.
    type: str
    required: true
  prefix:
    description:
      - The part of the container the tree maps to, for example C(backups/web01/). Object
        C(<prefix><rel>) is file C(path/<rel>). Empty maps the whole container.
      - With O(directory_markers=true) and a prefix ending in C(/), the prefix gets a marker too.
    type: str
    default: ''
  include:
    description:
      - Only files whose path relative to O(path) matches one of these shell patterns (in
        both directions), for example C(*.log) or C(db/*). C(*) also matches C(/).
      - Directories are not filtered by it (their markers are kept).
    type: list
    elements: str
  exclude:
    description:
      - Files and directories whose relative path matches one of these patterns are left
        alone in both directions. They are not uploaded, not downloaded, never deleted by
        O(delete_extra). An excluded directory excludes everything below it.
    type: list
    elements: str
    default: []
  directory_markers:
    description:
      - With O(mode=upload), create a zero-byte C(application/directory) object C(<rel>/) for
        every directory, so that empty directories are archived too (as NAVER Cloud's
        guide does).
    type: bool
    default: true
  slo_threshold:
    description:
      - Files of this size or more are uploaded as Static Large Objects. With O(mode=download),
        large objects of this size or more are fetched one at a time, each with its segments
        on O(threads) connections.
      - Bytes, or a number with a unit, for example C(1GiB), C(1 GiB), C(1GB) or C(512MiB).
        MB and MiB both mean 2**20 bytes (KB and KiB 2**10, GB and GiB 2**30), as in Ansible's
        C(human_to_bytes). The default is 1 GiB.
    type: raw
    default: 1073741824
  delete_extra:
    description:
      - With O(mode=upload), delete the objects under O(prefix) that have no local file or
        directory (SLOs with their segments), last.
      - With O(mode=download), delete the local files under O(path) that have no object.
        B(This is destructive) for the local tree; directories are kept.
      - What O(include) and O(exclude) leave out is never deleted.
    type: bool
    default: false
  metadata:
    description:
      - User metadata to give every uploaded object (O(mode=upload)). The key C(mtime) is
        reserved for the file's modification time.
    type: dict
  delete_after:
    description:
      - With O(mode=upload), have Swift delete each object this run writes this many seconds
        after the run (C(X-Delete-At), now plus O(delete_after), one time for the whole run) -
        files, directory markers, and an SLO's manifest B(and every segment).
      - The expiry is set once, when an object is written, as NAVER's government cloud
        requires; an object a run finds identical keeps the expiry it has (none, or the one a
        run gave it when it wrote it). For archives that simply expire, such as logs.
      - Mutually exclusive with O(delete_at).
    type: int
  delete_at:
    description:
      - With O(mode=upload), when Swift deletes each object this run writes (files, markers,
        an SLO's manifest and segments), as epoch seconds or an ISO 8601 date and time (UTC
        unless it says otherwise), for example C(2027-06-30T00:00:00Z). Set once, when an
        object is written, as for O(delete_after).
    type: str
  history:
    description:
      - With O(mode=upload), keep every version that the run replaces or deletes (by
        O(delete_extra)) under O(prefix); before it is replaced, Swift copies it on the server
        into O(history_container) as C(<name>/<created>) (its C(last_modified), UTC, for
        example C(nightly/a.txt/20261204T223000.123450Z)); no data passes through the host. An
        SLO's or a DLO's manifest is copied, not its data; its segments are no longer deleted
        when it is replaced or deleted, they expire with the kept version.
      - Each kept version gets, once, when it is copied, the C(X-Delete-At) that the
        retention policy gives the time it was live; Swift deletes it then. Nothing lists
        history to prune it. A version that the policy never keeps is not copied.
      - A run with history deletes no segment that a kept version may use (the stale-segment
        clean-up of O(stale_segment_age) is off).
      - Restore a tree as it was with O(mode=download) and O(as_of).
      - The history container can be deleted by anyone who holds the credentials, as Archive
        Storage has no object lock. Keep a copy under a second account against that.
    type: dict
    suboptions:
      keep:
        description:
          - How many daily, weekly and monthly states to keep, as restic's C(forget
            --keep-daily) does. A state is the tree as it was at 00:00 UTC (of each day, of
            each Monday, of each 1st of a month).
          - "The keys are V(days), V(weeks) and V(months), whole numbers 0 or more, for
            example C(keep: {days: 7, weeks: 4, months: 12})."
          - Each version gets the expiry of the latest point it covers, plus that window; a
            version that covers none of them (replaced before the next midnight) is not kept
            unless O(history.within) keeps it.
        type: dict
      within:
        description:
          - Also keep every version replaced less than this many seconds ago, so that any
            state of that time restores.
        type: int
  history_container:
    description:
      - The container that holds the kept versions (O(history)) and that O(as_of) restores
        from. The default is C(<container>_history). It is created when a version is first
        kept.
    type: str
  as_of:
    description:
      - With O(mode=download), restore the tree as it was at this time instead of as it is
        (with O(mode=verify), verify that state),
        each path's live object when it was created by then, else its version kept in
        O(history_container) that was live then. Paths that did not exist then are not
        restored (and, with O(delete_extra), removed locally).
      - Epoch seconds, or an ISO 8601 date and time (UTC unless it says otherwise), for
        example C(2026-12-01T03:00:00Z).
    type: str
  sample:
    description:
      - With O(mode=verify), read only this fraction of the bytes under O(prefix), a
        different part each day (the objects in the order of their names' md5, the window
        moving on by one fraction a day), so that a nightly drill with V(0.1) has read every
        object after ten nights. By default everything is read.
      - A number above 0 and at most 1.
    type: float
  bulk_upload:
    description:
      - With O(mode=upload), send new small files (of up to 1 MiB, that no object has yet,
        such as a first upload's) in tar archives that Swift extracts (C(extract-archive)),
        up to 1000 files or 2 MiB an archive, O(threads) archives at a time (8 at most),
        when the server's C(/info) lists C(bulk_upload) and at least 8 files would go.
        Each file's recorded mtime and content type go in its archive entry; the md5 and
        size of every file are checked with one listing afterwards, and a file that is not
        stored as sent goes again on its own.
      - Names that are not printable ASCII always go one by one.
      - V(false) sends every file on its own.
    type: bool
    default: true
  max_threads:
    description:
      - The most requests that the transfers of single objects (the files of a tree, their
        HEADs, copies into history, the objects a restore or a drill reads) keep in flight.
        They start with O(threads) and double while that raises the number of objects done
        per second, up to this; on a long link, where each request waits for its round trip,
        more requests in flight go faster, on a short one the server decides and they stay at
        O(threads). A throttled answer (429, 498, 503) stops the growth and halves them.
      - Never fewer than O(threads); V(1) (or the value of O(threads)) keeps them at
        O(threads). SLO segments, bulk archives and the md5s of local files always use
        O(threads).
    type: int
    default: 32
  follow_symlinks:
    description:
      - With O(mode=upload), upload what symlinks point to. By default symlinks are skipped
        and listed in RV(skipped_paths).
    type: bool
    default: false
  compare:
    description:
      - How an uploaded file is found identical (O(mode=upload)). V(checksum) compares md5s
        (an SLO's recorded size and mtime first). V(size_and_mtime) follows C(aws s3 sync),
        equal size and a local mtime not newer than the object's last change mean identical;
        nothing is hashed.
    type: str
    choices: [checksum, size_and_mtime]
    default: checksum
extends_documentation_fragment:
  - ncloud.archive.archive
  - ncloud.archive.archive.attributes
  - ncloud.archive.archive.transfer
  - ncloud.archive.archive.slo_writing
seealso:
  - module: ncloud.archive.archive_slo
    description: One large file as a Static Large Object, with the same segment rules.
  - module: ncloud.archive.archive_object
    description: One object per task (upload, download, delete).
  - module: ncloud.archive.archive_info
    description: What a prefix holds, without changing it.
notes:
  - One listing of the prefix tells what is there, so a run with nothing to do makes a few
    requests whatever the size of the tree (plus one HEAD and one manifest GET per SLO).
  - Many hosts archive in parallel when each has its own O(prefix).
author:
  - ncloud.archive developers (@ncloud)
"""

EXAMPLES = r"""
- name: Archive /srv/data every night; only what changed moves
  ncloud.archive.archive_sync:
    path: /srv/data
    container: backups
    prefix: "{{ inventory_hostname }}/data/"

- name: Mirror it exactly, deleting objects of files that are gone, without the caches
  ncloud.archive.archive_sync:
    path: /srv/data
    container: backups
    prefix: "{{ inventory_hostname }}/data/"
    exclude: ["cache", "*.tmp"]
    delete_extra: true

- name: Restore it on another host
  ncloud.archive.archive_sync:
    mode: download
    path: /srv/restore/data
    container: backups
    prefix: web01/data/

- name: Archive every night, keeping 7 daily, 4 weekly and 12 monthly states
  ncloud.archive.archive_sync:
    path: /srv/data
    container: backups
    prefix: "{{ inventory_hostname }}/data/"
    delete_extra: true
    history:
      keep: {days: 7, weeks: 4, months: 12}

- name: Restore the tree as it was last Tuesday night, from the versions kept
  ncloud.archive.archive_sync:
    mode: download
    path: /srv/restore/data
    container: backups
    prefix: web01/data/
    as_of: "2026-12-01T03:00:00Z"

- name: See what a restore would change, without changing anything
  ncloud.archive.archive_sync:
    mode: download
    path: /srv/data
    container: backups
    prefix: web01/data/
  check_mode: true
  diff: true
"""

RETURN = r"""
changed_reason:
  description: Why the task changed something (or would, in check mode), or why it did not,
    for example C(12 uploaded, 2 markers created, 1 deleted) or C(all 1000 identical).
  returned: always
  type: str
  sample: 12 uploaded, 2 markers created
container_created:
  description: Whether the container was missing and was created (in check mode, would be).
  returned: when O(mode=upload)
  type: bool
  sample: false
delete_at:
  description: The C(X-Delete-At) (epoch seconds) that this run gives the objects it writes
    (O(delete_after) or O(delete_at)); in check mode, would give.
  returned: when O(mode=upload) and O(delete_after) or O(delete_at) is given
  type: int
  sample: 1796245200
history:
  description:
    - The versions kept in history (O(history)), in check mode those that would be; empty
      when the run replaced or deleted nothing.
  returned: when O(mode=upload) and O(history) is given
  type: list
  elements: dict
  sample: [{"name": "web01/data/a.txt", "version": "web01/data/a.txt/20261203T030012.402190Z", "delete_at": 1798761600}]
  contains:
    name:
      description: The object whose version was kept.
      type: str
    version:
      description: The name of the kept version in RV(history_container).
      type: str
    delete_at:
      description: Its C(X-Delete-At), epoch seconds, from the retention policy (in check
        mode computed at the time of the check).
      type: int
history_container:
  description: The container of the kept versions.
  returned: when O(mode=upload) and O(history) is given
  type: str
  sample: backups_history
from_history:
  description: With O(as_of), the names of RV(downloaded) whose version came from
    O(history_container) (the others are live objects).
  returned: when O(mode=download) and O(as_of) is given
  type: list
  elements: str
  sample: ["web01/data/a.txt"]
segments_deleted:
  description:
    - Segments deleted because a small file replaced the large object (SLO, or DLO under a
      segment prefix) that held them; in check mode, those that would be. They are read
      from every replica before planning, and deleted once the file's PUT replaced them.
    - The segments that a large file's new SLO no longer uses are cleaned up as
      M(ncloud.archive.archive_slo) does, and not counted here.
  returned: when O(mode=upload)
  type: int
  sample: 0
verified:
  description: With O(mode=verify), the names of the objects read and found intact.
  returned: when O(mode=verify)
  type: list
  elements: str
  sample: ["web01/data/a.txt"]
damaged:
  description:
    - With O(mode=verify), the objects that would not restore, each with what is wrong
      (also returned by the failed task).
  returned: when O(mode=verify)
  type: list
  elements: dict
  sample:
    - name: web01/data/db.tar
      problems:
        - segment '/backups_segments/web01/data/db.tar/slo/1733281200.000000/2200000/1048576/00000001'
          is missing
  contains:
    name:
      description: The object.
      type: str
    problems:
      description: What is wrong with it.
      type: list
      elements: str
summary:
  description: How many entries moved, were identical, were created as markers (upload) or
    directories (download), were deleted, and were skipped; with O(mode=verify), how many
    objects there are, were verified and were damaged, and the bytes read of the total.
  returned: always
  type: dict
  sample: {"uploaded": 12, "identical": 988, "markers": 20, "deleted": 0, "skipped": 1}
  contains:
    uploaded:
      description: Files uploaded (O(mode=upload)).
      type: int
      sample: 12
    downloaded:
      description: Files downloaded (O(mode=download); in place of C(uploaded)).
      type: int
      sample: 3
    identical:
      description: Files and markers that were already identical.
      type: int
      sample: 988
    markers:
      description: Directory markers created (upload) or directories created (download).
      type: int
      sample: 20
    deleted:
      description: Objects (upload) or local files (download) deleted.
      type: int
      sample: 0
    skipped:
      description: Local entries left alone (symlinks, special files), as listed in
        RV(skipped_paths).
      type: int
      sample: 1
    objects:
      description: Objects under the prefix, markers aside (O(mode=verify)).
      type: int
      sample: 1000
    verified:
      description: Objects read and found intact (O(mode=verify)).
      type: int
      sample: 100
    damaged:
      description: Objects that would not restore (O(mode=verify)).
      type: int
      sample: 0
    bytes_read:
      description: Bytes read (O(mode=verify)).
      type: int
      sample: 104857600
    bytes_total:
      description: Bytes of all the objects under the prefix (O(mode=verify)).
      type: int
      sample: 1048576000
uploaded:
  description: Object names uploaded, in check mode those that would be.
  returned: when O(mode=upload)
  type: list
  elements: str
  sample: ["web01/data/a.txt"]
slo:
  description: The names of RV(uploaded) that were uploaded as Static Large Objects.
  returned: when O(mode=upload)
  type: list
  elements: str
  sample: ["web01/data/db.tar"]
downloaded:
  description: Object names downloaded, in check mode those that would be.
  returned: when O(mode=download)
  type: list
  elements: str
  sample: ["web01/data/a.txt", "web01/data/docs/b c.txt"]
markers:
  description: Directory marker objects created (upload), or the markers whose directories were
    created (download).
  returned: when O(mode=upload) or O(mode=download)
  type: list
  elements: str
  sample: ["web01/data/empty/"]
deleted:
  description: Object names (upload) or relative local paths (download) deleted.
  returned: when O(mode=upload) or O(mode=download)
  type: list
  elements: str
  sample: ["web01/data/old.txt"]
skipped_paths:
  description:
    - Relative local paths left alone with O(mode=upload), each with the reason
      (C(symlink), C(not a regular file), C(the temporary file of a download)).
    - Named so, not C(skipped), which Ansible reserves (a task returning it is reported as
      skipped); it was C(skipped) before version 0.2.0.
  returned: when O(mode=upload) or O(mode=download)
  type: list
  elements: str
  sample: ["link-to-etc (symlink)"]
temps_removed:
  description:
    - Relative local paths of temporary files (C(.<name>.<8 hex digits>.part)) that a killed
      or interrupted download left under O(path), removed (in check mode, that would be).
    - A temporary file that a running download still writes (it holds a lock on it) is left alone.
  returned: when O(mode=download)
  type: list
  elements: str
  sample: ["db/.base.tar.3f9a01c2.part"]
elapsed:
  description:
    - Seconds the task's work took on the host it ran on (walking the tree, the listing,
      hashing, planning and, unless in check mode, the transfers and deletions), rounded to
      the millisecond.
    - In check mode, the time of the planning alone.
  returned: always
  type: float
  sample: 63.518
bytes_per_second:
  description:
    - The bytes this run moved divided by RV(elapsed), as a whole number. With O(mode=upload),
      the bytes of the files uploaded (of an SLO, the segments uploaded; segments reused from
      an earlier run moved nothing); with O(mode=download), the bytes of the files written.
      Identical files, directory markers and deletions move nothing.
    - V(0) when nothing moved, and always in check mode. With O(mode=verify) too, as a drill
      writes nothing; RV(summary.bytes_read) counts what it read.
  returned: always
  type: int
  sample: 52428800
"""

import os
import time

from ansible_collections.ncloud.archive.plugins.module_utils import (
    _hash,
    _history,
    _objects,
    _options,
    _plan,
    _retention,
    _slo,
    _swift,
    _transfer,
    _tree,
)
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule

CHANGED_WHILE_READ = 'the object changed while it was being read; run the task again'


class ArchiveSync(ArchiveModule):
    transfer = True
    argument_spec = dict(
        mode=dict(type='str', default='upload', choices=['upload', 'download', 'verify']),
        path=dict(type='path'),
        container=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
        include=dict(type='list', elements='str'),
        exclude=dict(type='list', elements='str', default=[]),
        directory_markers=dict(type='bool', default=True),
        slo_threshold=dict(type='raw', default=1073741824),
        delete_extra=dict(type='bool', default=False),
        metadata=dict(type='dict'),
        follow_symlinks=dict(type='bool', default=False),
        compare=dict(type='str', default='checksum', choices=['checksum', 'size_and_mtime']),
        history=dict(type='dict', options=dict(keep=dict(type='dict'), within=dict(type='int'))),
        history_container=dict(type='str'),
        as_of=dict(type='str'),
        sample=dict(type='float'),
        bulk_upload=dict(type='bool', default=True),
        max_threads=dict(type='int', default=32),
        **_options.spec('transfer', 'slo_writing', 'retention'),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        mutually_exclusive=_options.exclusive('retention'),
        required_if=[('mode', 'upload', ['path']), ('mode', 'download', ['path'])],
    )

    def run(self):
        p = self.params
        self.sources = {}
        self.container = _swift.validate_container_name(p['container'], 'container')
        self.segment_container = _swift.validate_container_name(
            p['segment_container'] or '%s_segments' % self.container, 'segment_container'
        )
        self.prefix = p['prefix']
        if self.prefix:
            _swift.validate_object_name(self.prefix, 'prefix')
        self.slo_threshold = self.size_option('slo_threshold')
        self.requested_size = self.size_option('segment_size')
        _options.threads(p)
        _options.at_least(p, 'max_threads', 1)
        _options.slo_writing(p)
        delete_at, delete_after = _options.retention(p)
        if p['mode'] != 'upload' and (delete_at is not None or delete_after is not None):
            raise ArchiveError('delete_after and delete_at apply to mode=upload: leave them out of a download')
        # One expiry for everything this run writes, set once when each object is written.
        self.expiry = _swift.plan_expiry(None, delete_at, delete_after, time.time(), rewritten=True) or None
        if self.slo_threshold < 1:
            raise ArchiveError('slo_threshold must be at least 1, not %d' % self.slo_threshold)
        self.history_container = _history.container_for(self.container, p['history_container'])
        self.policy = None
        if p['history'] is not None:
            if p['mode'] != 'upload':
                raise ArchiveError(
                    'history applies to mode=upload; to restore a tree as it was, give as_of with mode=download'
                )
            self.policy = _retention.parse_policy(p['history']['keep'], p['history']['within'], 'history')
        self.as_of = None
        if p['as_of'] is not None:
            if p['mode'] == 'upload':
                raise ArchiveError('as_of applies to mode=download and mode=verify: leave it out of an upload')
            self.as_of = _history.parse_moment(p['as_of'], 'as_of')
        if p['sample'] is not None:
            if p['mode'] != 'verify':
                raise ArchiveError('sample applies to mode=verify: leave it out of an %s' % p['mode'])
            if not 0 < p['sample'] <= 1:
                raise ArchiveError(
                    'sample: %r is not a fraction; give a number above 0 and at most 1, such as 0.1' % p['sample']
                )
        if p['mode'] == 'verify':
            if p['path'] is not None or p['delete_extra']:
                raise ArchiveError('mode=verify reads the archive only: leave path and delete_extra out')
            return self.verify()
        if p['mode'] == 'upload':
            return self.upload()
        return self.download()

    def selected_name(self, name):
        """Whether an object under the prefix is one the filters select."""
        rel = name[len(self.prefix) :].rstrip('/')
        return bool(rel) and _tree.selected(
            rel, self.params['include'] if not name.endswith('/') else None, self.params['exclude']
        )

    def listing(self, missing_ok=False):
        """{name: entry} of the prefix; None for a missing container when ``missing_ok``."""
        entries = self.client.list_container(self.container, prefix=self.prefix or None)
        if entries is None:
            if missing_ok:
                return None
            raise ArchiveError(
                "container '%s' does not exist: create it with ncloud.archive.archive_container" % self.container
            )
        return dict((e['name'], e) for e in entries if 'name' in e)

    def observe_listed(self, pairs, listing):
        """What identity needs of the listed objects whose size is a local file's, for
        ``pairs`` of (object name, Local): ({name: (facts, segments)}, {path: md5}).

        Swift 2.15.1's listings cannot tell an SLO from a plain object (no ``slo_etag``; an
        SLO's ``hash`` is its manifest's md5 and ``bytes`` its data's size), so only a HEAD
        can: files at or above slo_threshold are HEADed first (hashing them whole would be
        wasted on an SLO), smaller ones hashed first and HEADed only when their md5 is not
        the listed one. A no-op run of small files sends no request beyond the listing.
        """
        same = [
            (name, local)
            for name, local in pairs
            if name in listing and _plan.listing_size(listing[name]) == local.size
        ]
        first = [
            name for name, local in same if local.size >= self.slo_threshold or _swift.listing_says_slo(listing[name])
        ]
        # A DLO lists as its zero-byte manifest: a listed empty object where a file is not empty.
        first += [
            name
            for name, local in pairs
            if name in listing
            and _plan.listing_size(listing[name]) == 0 < local.size
            and not _plan.is_marker(_plan.listed_facts(listing[name]))
        ]
        remote = self.observe(first)
        rest = [(name, local) for name, local in same if name not in remote]
        hashes = _transfer.md5_files([local.path for _name, local in rest], self.params['threads'])
        remote.update(
            self.observe(
                [name for name, local in rest if hashes[local.path] != _swift.strip_etag(listing[name].get('hash'))]
            )
        )
        return remote, hashes

    def observe(self, names, newest=False):
        """{name: (facts, segments)} of objects, HEADed (and a large object's segments read)
        on the pool; (None, None) for one that is gone."""
        names = list(names)
        found = self.each(lambda worker, name: _objects.observe(worker, *self.source(name), newest=newest), names)
        return dict(zip(names, found))

    def each(self, work, items):
        """``work(worker, item)`` for every item, on a pool of single-object requests: from
        ``threads`` in flight up to ``max_threads`` while that goes faster (_transfer.run_pool)."""
        return _transfer.run_pool(self.client, work, items, self.params['threads'], self.params['max_threads'])

    def result(self, plan, outcome):
        """The task's result: the plan's prediction (a tree run that completes does what it
        predicted; one that does not fails), with ``outcome`` laid over it."""
        return dict(
            dict(plan.returns, **outcome),
            changed=plan.changed,
            changed_reason=plan.reason,
            **self.diff(plan.before, plan.after),
        )

    # --- upload ---------------------------------------------------------------------
    def upload(self):
        p = self.params
        root = p['path']
        if not os.path.isdir(root):
            raise ArchiveError(
                "path: '%s' is not a directory%s" % (root, '' if os.path.exists(root) else ' (it does not exist)')
            )
        metadata = _options.metadata(p, reserved=('mtime',)) or {}
        tree = _tree.Tree(root, p['include'], p['exclude'], p['follow_symlinks'])
        files = []
        for rel, info in sorted(tree.files.items()):
            name = _swift.validate_object_name(self.prefix + rel, "path: the file '%s'" % rel)
            files.append(
                {
                    'name': name,
                    'rel': rel,
                    'local': _hash.Local(tree.path(rel), size=info.st_size, mtime=info.st_mtime),
                    'large': info.st_size >= self.slo_threshold,
                }
            )
        dir_names = [self.prefix + rel + '/' for rel in tree.dirs]
        for name in dir_names:
            _swift.validate_object_name(name, "path: the directory '%s'" % name[len(self.prefix) :])
        if self.prefix.endswith('/'):
            dir_names.insert(0, self.prefix)
        # Like `swift upload`, an upload creates its container when it is missing (and the
        # segment container, as SloWriter does): check mode predicts it.
        listing = self.listing(missing_ok=True)
        create_container = listing is None
        listing = listing or {}
        names = [f['name'] for f in files]
        remote, hashes = {}, {}
        if p['compare'] == 'checksum':
            remote, hashes = self.observe_listed([(f['name'], f['local']) for f in files], listing)
        wanted = set(names) | set(dir_names)
        plan = _plan.plan_sync_upload(
            dir_names if p['directory_markers'] else [],
            files,
            listing,
            remote,
            hashes,
            dict(
                compare=p['compare'],
                delete_extra=p['delete_extra'],
                wanted=wanted,
                deletable=set(name for name in listing if self.selected_name(name)),
                skipped=['%s (%s)' % (rel, why) for rel, why in tree.skipped.items()],
                create_container=create_container,
                expiry=self.expiry,
            ),
        )
        # What the small files replace, read from every replica (the listing cannot tell a
        # large object): its segments go after the PUT, an action of the plan.
        replaced = [name for name in _plan.replaced_by_files(plan) if name not in remote]
        found = self.observe(replaced, newest=True)
        plan = _plan.plan_replaced_segments(plan, dict(remote, **found))
        if self.policy is not None:
            plan = self.plan_history(plan, listing, found)
        outcome = {}
        if plan.changed and not self.check_mode:
            outcome = self.apply_upload(plan, metadata)
        return self.result(plan, outcome)

    def plan_history(self, plan, listing, found):
        """``plan`` with the versions it replaces or deletes kept in history. What each one
        is (its expiry; an SLO's or a DLO's segments) is read from every replica, as for a
        deletion; the history container is looked at only when there is a version to keep."""
        names = _plan.versions_to_keep(plan, listing)
        found = dict(found, **self.observe([n for n in names if n not in found], newest=True))
        exists = bool(names) and self.client.head_container(self.history_container) is not None
        return _plan.plan_history(
            plan, listing, found, self.policy, time.time(), dict(container=self.history_container, exists=exists)
        )

    def apply_upload(self, plan, metadata):
        actions = _plan.grouped(
            plan.actions,
            (
                'create_container',
                'create_history_container',
                'keep_version',
                'marker',
                'put_file',
                'slo',
                'delete_listed',
                'delete_replaced',
                'expire_replaced',
            ),
        )
        if actions['create_container']:
            self.client.put_container(self.container)
        if actions['create_history_container']:
            self.client.put_container(self.history_container)
        self.keep_versions(actions['keep_version'])
        # What a version kept in history had in segments: {name: X-Delete-At or 0}.
        kept = dict((name, expiry) for name, _version, _delete_at, expiry in actions['keep_version'])
        headers = dict(_swift.object_metadata_headers(metadata), **_swift.expiry_headers(self.expiry))
        # New small files in tar archives, when the server extracts them (bulk_upload).
        bulked = self.bulk_upload([item for (item,) in actions['put_file']], headers)
        # Markers and small files go on the pool together, each as (kind, item).
        small = [('marker',) + a for a in actions['marker']] + [
            ('put',) + a for a in actions['put_file'] if a[0]['name'] not in bulked
        ]
        large = actions['slo']
        extra = [a[0] for a in actions['delete_listed']]
        replaced_segments = dict(actions['delete_replaced'])
        expiring_segments = dict((name, (paths, expiry)) for name, paths, expiry in actions['expire_replaced'])

        def put(worker, action):
            kind, item = action
            if kind == 'marker':
                worker.put_object(
                    self.container,
                    item,
                    '',
                    content_length=0,
                    etag=_plan.EMPTY_MD5,
                    content_type=_plan.DIRECTORY_TYPE,
                    headers=headers,
                )
                return 0
            _transfer.put_file(
                worker,
                self.container,
                item['name'],
                item['local'].path,
                _plan.guess_type(item['name']),
                dict(headers, **{'X-Object-Meta-Mtime': item['local'].mtime}),
            )
            # The large object this file replaced: its segments, once nothing uses them, go,
            # or, when history keeps it, expire with the kept version.
            paths, expiry = expiring_segments.get(item['name'], ((), 0))
            for path in paths if expiry else ():
                _transfer.post_expiry(worker, path, expiry)
            return worker.delete_paths(replaced_segments.get(item['name'], []))

        done = 0
        try:
            deleted = sum(self.each(put, small))
            done = len(small) + len(bulked)
            self.moved += sum(item['local'].size for (item,) in actions['put_file'] if item['name'] not in bulked)
            for item, reason in large:
                self.moved += self.upload_slo(item, reason, metadata, kept)
                done += 1
        except _transfer.PoolError as exc:
            raise self.partial(
                self.client.quota_hint(exc, self.container),
                len(exc.done) + len(bulked),
                len(small) + len(large) + len(bulked),
            ) from exc
        except ArchiveError as exc:
            raise self.partial(exc, done, len(small) + len(large) + len(bulked)) from exc
        self.delete_objects(extra, kept)
        return dict(segments_deleted=deleted)

    def bulk_upload(self, items, headers):
        """Send the new small files (not listed: nothing to replace, no version to keep) in
        tar archives that Swift extracts, when the server offers ``bulk_upload`` and there are
        enough of them (_swift.BULK_MIN_FILES); then read one listing of the prefix and keep
        only the files stored with the md5 and size that were sent. Returns the set of their
        names; every other file goes one by one, as without bulk upload (a member that
        failed, or that the listing does not show yet, is sent again that way)."""
        p = self.params
        limits = self.client.limits()
        chosen = [
            item
            for item in items
            if not item.get('listed')
            and item['local'].size <= _swift.BULK_FILE_MAX
            and _swift.bulk_name_ok(item['name'])
        ]
        if not p['bulk_upload'] or not limits['bulk_upload'] or len(chosen) < _swift.BULK_MIN_FILES:
            return set()
        jobs = [
            [
                dict(
                    name=item['name'],
                    path=item['local'].path,
                    mtime=item['local'].mtime,
                    content_type=_plan.guess_type(item['name']),
                )
                for item in archive
            ]
            for archive in _swift.bulk_archives(
                [dict(item, size=item['local'].size) for item in chosen], limits['bulk_max_failed_extractions']
            )
        ]
        sent, failed = {}, {}
        for job_sent, job_failed in _transfer.run_pool(
            self.client,
            lambda worker, job: _transfer.bulk_put(worker, self.container, job, headers),
            jobs,
            min(p['threads'], _swift.BULK_THREADS),
        ):
            sent.update(job_sent)
            failed.update(job_failed)
        listing = self.listing()
        stored = set(
            name
            for name, md5 in sent.items()
            if name not in failed and name in listing and _swift.strip_etag(listing[name].get('hash')) == md5
        )
        self.moved += sum(item['local'].size for item in chosen if item['name'] in stored)
        return stored

    def keep_versions(self, copies):
        """Copy the versions to keep into history, on the server, before anything replaces
        or deletes them; a copy that fails fails the run before any change."""

        def copy(worker, action):
            name, version, delete_at, _segment_expiry = action
            worker.copy_object(self.history_container, version, self.container, name, _swift.expiry_headers(delete_at))

        try:
            self.each(copy, copies)
        except _transfer.PoolError as exc:
            raise ArchiveError(
                '%s (%d of the %d versions to keep were copied into history; nothing was replaced '
                'or deleted; a re-run copies them again)' % (exc.message, len(exc.done), len(copies)),
                exc.status,
                exc.transaction_id,
            ) from exc

    def delete_objects(self, entries, kept=None):
        """Delete listed objects, a large one with its segments. What each one is, is read
        from every replica first (the listing cannot tell an SLO); a directory marker is known.
        An SLO goes with ``multipart-manifest=delete``; a DLO's segments after its manifest, as
        ``swift delete`` does. A large object whose version history keeps (``kept``: {name:
        the segments' X-Delete-At, or 0 to leave theirs}) loses its manifest only; its
        segments expire with the kept version."""
        kept = kept or {}
        unknown = [e['name'] for e in entries if not _plan.is_marker(_plan.listed_facts(e))]
        found = self.observe(unknown, newest=True)
        slos = [
            name
            for name, (facts, _segments) in found.items()
            if facts is not None and facts['is_slo'] and name not in kept
        ]
        for name in slos:
            self.client.delete_slo(self.container, name)
        self.client.delete_paths('/%s/%s' % (self.container, e['name']) for e in entries if e['name'] not in slos)
        self.client.delete_paths(
            s['name']
            for name, (facts, segments) in found.items()
            if facts is not None and not facts['is_slo'] and name not in kept
            for s in _swift.deletable_segments(facts, segments)
        )
        expiring = [
            (s['name'], kept[name])
            for name, (facts, segments) in found.items()
            if facts is not None and kept.get(name)
            for s in _swift.deletable_segments(facts, segments)
        ]
        self.each(lambda worker, pair: _transfer.post_expiry(worker, *pair), expiring)

    def partial(self, exc, done, total, mode='upload'):
        """The error of a run that stopped part way: how much was complete, that nothing was
        deleted, and that a re-run moves only what is still missing."""
        if mode == 'upload':
            complete, rerun = 'uploads of this run were complete', 'sends'
        else:
            complete, rerun = 'downloads of this run were complete, each file whole', 'fetches'
        error = ArchiveError(
            '%s (%d of the %d %s; nothing was deleted; a re-run %s only what is still missing)'
            % (exc.message, done, total, complete, rerun),
            exc.status,
            exc.transaction_id,
        )
        error.__cause__ = exc
        return error

    def upload_slo(self, item, reason, metadata, kept):
        """Write one large file as an SLO; returns the bytes of the segments uploaded."""
        p = self.params
        local = item['local']
        before, segments = None, []
        writer = _slo.SloWriter(
            self.client,
            self.deadline,
            self.container,
            item['name'],
            local,
            dict(
                segment_container=self.segment_container,
                threads=p['threads'],
                on_failure='keep',
                stale_segment_age=p['stale_segment_age'],
                timeout=p['timeout'],
                history=self.policy is not None,
                history_expiry=kept.get(item['name']),
                history_container=self.history_container,
            ),
        )
        if reason != 'absent':
            # Observed again, not taken from the plan: the small files went first, and the
            # object may have changed since (another writer); SloWriter resumes from now.
            before, segments = writer.observe()
        if before is None:
            reason = 'absent'
        segment_size = _swift.choose_segment_size(local.size, self.client.limits(), self.requested_size)
        plan = writer.plan(
            before,
            segments,
            reason,
            segment_size,
            dict(metadata, mtime=local.mtime),
            _plan.guess_type(item['name']),
            self.expiry,
        )
        writer.apply(plan)
        return _plan.upload_bytes(plan)

    # --- download -------------------------------------------------------------------
    def download(self):
        p = self.params
        root = p['path']
        if os.path.islink(root):
            raise ArchiveError("path: '%s' is a symlink; give the real directory" % root)
        if os.path.exists(root) and not os.path.isdir(root):
            raise ArchiveError("path: '%s' exists and is not a directory" % root)
        if not os.path.isdir(os.path.dirname(os.path.abspath(root))):
            raise ArchiveError("path: the parent directory of '%s' does not exist" % root)
        listing = self.listing()
        if self.as_of is not None:
            listing = self.listing_as_of(listing)
        entries, files, dirs = [], {}, set()
        for name in sorted(listing):
            entry = listing[name]
            if name == self.prefix:
                continue  # the prefix's own marker: path itself
            rel = _tree.restore_rel(name, self.prefix)
            directory = rel.endswith('/') or _plan.is_marker(_plan.listed_facts(entry))
            if not _tree.selected(rel.rstrip('/'), None if directory else p['include'], p['exclude']):
                continue
            if rel.endswith('/') and not _plan.is_marker(_plan.listed_facts(entry)) and _plan.listing_size(entry) != 0:
                raise ArchiveError(
                    "object '%s' cannot be restored under path: its name ends with "
                    "'/' but it holds %d bytes, and a file name cannot end with '/'; "
                    "nothing was written" % (name, _plan.listing_size(entry))
                )
            entries.append(
                {
                    'name': name,
                    'rel': rel.rstrip('/') + '/' if directory else rel,
                    'entry': entry,
                    'directory': directory,
                }
            )
        self.check_conflicts(entries)
        for item in entries:
            _tree.check_target(root, item['rel'], item['directory'])
        stale = []
        if os.path.isdir(root):
            tree = _tree.Tree(root, p['include'], p['exclude'])
            stale = [rel for rel in tree.temps if not _tree.temp_in_use(tree.path(rel))]
            files = dict(
                (rel, _hash.Local(tree.path(rel), size=info.st_size, mtime=info.st_mtime))
                for rel, info in tree.files.items()
            )
            dirs = set(tree.dirs)
        wanted = [i for i in entries if not i['directory'] and i['rel'] in files]
        remote, hashes = self.observe_listed([(i['name'], files[i['rel']]) for i in wanted], listing)
        desired = dict(delete_extra=p['delete_extra'], skipped=[], stale_temps=stale)
        if self.as_of is not None:
            desired['from_history'] = set(self.sources)
        plan = _plan.plan_sync_download(entries, files, dirs, remote, hashes, desired)
        outcome = {}
        if plan.changed and not self.check_mode:
            outcome = self.apply_download(plan, root, remote)
        return self.result(plan, outcome)

    def listing_as_of(self, live):
        """{name: entry} of the prefix as it was at as_of: each path's live object when it
        was created by then, else its version kept in history that was live then (whose
        history object is noted in ``self.sources``)."""
        entries = self.client.list_container(self.history_container, prefix=self.prefix or None) or []
        state = _history.live_at(live, _history.versions(entries), self.as_of)
        for name, (_entry, version) in state.items():
            if version is not None:
                self.sources[name] = (self.history_container, version)
        return dict((name, entry) for name, (entry, _version) in state.items())

    def source(self, name):
        """(container, object) that holds what is restored as ``name``: the object itself,
        or, with as_of, a version in history."""
        return self.sources.get(name, (self.container, name))

    def check_conflicts(self, entries):
        """Two objects that need one path as a file and as a directory (``a`` and ``a/b``)."""
        files = dict((i['rel'], i['name']) for i in entries if not i['directory'])
        for item in entries:
            parts = item['rel'].rstrip('/').split('/')
            for depth in range(1, len(parts) + (1 if item['directory'] else 0)):
                parent = '/'.join(parts[:depth])
                if parent in files:
                    raise ArchiveError(
                        "objects '%s' and '%s' cannot both be restored: the first "
                        "needs '%s' as a file, the second as a directory; nothing "
                        "was written" % (files[parent], item['name'], parent)
                    )

    def apply_download(self, plan, root, remote):
        os.makedirs(root, exist_ok=True)
        actions = _plan.grouped(plan.actions, ('remove_temp', 'mkdir', 'get', 'remove'))
        _tree.remove_stale_temps(root, [rel for (rel,) in actions['remove_temp']])
        for (rel,) in actions['mkdir']:
            os.makedirs(os.path.join(root, *rel.split('/')), exist_ok=True)
        gets = [item for (item,) in actions['get']]
        # Large objects one after the other, each an SLO's segments on the threads; the rest
        # on the pool (an SLO among them streams through its one GET, checked per segment).
        large = [i for i in gets if self.likely_large(i, remote)]
        plain = [i for i in gets if not self.likely_large(i, remote)]
        done = 0
        try:
            self.moved += sum(self.each(lambda worker, item: self.get(worker, item, root, False), plain))
            done = len(plain)
            for item in large:
                self.moved += self.get(self.client, item, root, True)
                done += 1
        except ArchiveError as exc:
            done = len(exc.done) if isinstance(exc, _transfer.PoolError) else done
            raise self.partial(exc, done, len(gets), 'download') from exc
        # The files were synced one by one; their renames last once their directories are.
        for directory in sorted(set(os.path.dirname(os.path.join(root, *i['rel'].split('/'))) for i in plain)):
            _transfer.sync_directory(directory)
        for (rel,) in actions['remove']:
            os.remove(os.path.join(root, *rel.split('/')))
        return {}

    def likely_large(self, item, remote):
        """Whether a listed object is known to be an SLO or a DLO, or large enough to be one."""
        return _swift.is_large(remote.get(item['name'], (None, None))[0]) or self.listed_large(item['entry'])

    def listed_large(self, entry):
        """Whether a listing entry shows an SLO (Swift 2.19 and later), or is large enough to
        be one."""
        return _swift.listing_says_slo(entry) or _plan.listing_size(entry) >= self.slo_threshold

    def get(self, worker, item, root, parallel):
        """One object to its file: verified while it streams, written to a temp file beside it,
        synced and renamed; then its recorded mtime. Damaged bytes are fetched once more.
        Returns the bytes written."""
        dest = os.path.join(root, *item['rel'].split('/'))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        name = item['name']
        what = "object '%s' in container '%s'" % (name, self.container)
        (mtime, size), retried = _objects.fetch_verified(lambda: self.fetch(worker, item, dest, parallel), what, dest)
        if retried:
            self.module.warn(retried)
        if mtime is not None:
            os.utime(dest, (time.time(), mtime))
        return size

    def fetch(self, worker, item, dest, parallel):
        """Download an object to ``dest``; returns (the mtime it records or None, its size).

        One GET. A plain object is checked against the listing's md5 and size. When the
        answer says SLO (``X-Static-Large-Object``; Swift 2.15.1's listing cannot), the
        manifest is read and the data checked segment by segment: from this GET's body, or,
        with ``parallel`` and segments that md5s can check, by GETting them on the threads.
        """
        name, entry = item['name'], item['entry']
        headers, body = worker.get_object(*self.source(name), chunk_size=_transfer.CHUNK)
        etag, size = _swift.strip_etag(headers.get('etag')), _swift.to_int(headers.get('content-length'))
        segments = None
        if _swift.is_slo(headers) or _swift.dlo_manifest(headers):
            segments = self.segments_of(worker, name, headers)
            checkable = all(_hash.md5_comparable(s) for s in segments)
            if checkable and not _swift.segments_agree(etag, size, segments):
                body.close()
                raise ArchiveError(CHANGED_WHILE_READ)
            if size is None:  # a DLO of more segments than a listing page
                size = sum(s['bytes'] for s in segments)
                parallel = True
            if parallel and _transfer.parallel_download_possible(segments):
                body.close()
                _transfer.download_segments(dest, worker, segments, self.params['threads'])
                return _mtime(headers.get('x-object-meta-mtime')), size
        elif etag != _swift.strip_etag(entry.get('hash')) or size != entry.get('bytes'):
            body.close()
            raise ArchiveError(CHANGED_WHILE_READ)
        verifier = _transfer.SegmentVerifier(size, etag=None if segments else etag, segments=segments)
        # The directory is synced once for all its files (apply_download).
        worker.call('GET ' + name, _transfer.download_to, dest, body, verifier, False)
        return _mtime(headers.get('x-object-meta-mtime')), size

    # --- verify (the restore drill) -------------------------------------------------------
    def verify(self):
        """Read the objects under the prefix (as of ``as_of``; a ``sample`` of them) and check
        them, writing nothing: a plain object's bytes against its ETag and its recorded
        mtime; a large object's manifest against its segments, each segment there, not
        expiring before the manifest, its bytes those the manifest (or the DLO listing)
        names. Fails listing every object that would not restore."""
        p = self.params
        listing = self.listing()
        if self.as_of is not None:
            listing = self.listing_as_of(listing)
        sizes = dict(
            (name, _plan.listing_size(entry))
            for name, entry in listing.items()
            if name != self.prefix
            and not name.endswith('/')
            and not _plan.is_marker(_plan.listed_facts(entry))
            and self.selected_name(name)
        )
        fraction = 1.0 if p['sample'] is None else p['sample']
        chosen = sorted(_plan.verify_sample(sizes, fraction, int(time.time() // 86400)))
        # One GET for each object the listing shows as plain; a HEAD (and the manifest or the
        # segment listing) first only for those it shows as large, or when the GET says so.
        suspects = self.observe([n for n in chosen if self.listed_large(listing[n])])
        to_get = [
            n
            for n in chosen
            if n not in suspects or (suspects[n][0] is not None and not _swift.is_large(suspects[n][0]))
        ]
        outcomes = dict(
            zip(to_get, self.each(lambda worker, name: self.verify_plain(worker, name, listing[name]), to_get))
        )
        drill = Drill()
        for name in chosen:
            problems, read, observed = outcomes.get(name, (None, 0, suspects.get(name)))
            if observed is None:
                drill.add(name, problems, read)
                continue
            facts, segments = observed
            if facts is None:
                drill.add(name, [GONE], 0)
            elif not _swift.is_large(facts):
                drill.add(name, ['it changed while it was verified (it is no longer a large object): verify again'], 0)
            else:
                drill.add(name, *self.verify_large(facts, segments))
        return self.verify_result(drill, sizes, chosen, fraction)

    def verify_plain(self, worker, name, entry):
        """(problems, bytes read, None) of an object the listing shows as plain, in one GET:
        its bytes' md5 against its ETag (and the listing's), and the mtime archive_sync, the
        swift CLI and rclone record on every file (an object without it was written by
        another client: a raw PUT that replaced it). When the answer says SLO or DLO (Swift
        2.15.1's listing cannot tell an SLO), its body is left unread and (None, 0, its facts
        and segments) returned, for verify_large."""
        container, source = self.source(name)
        found = worker.find_object(container, source, chunk_size=_transfer.CHUNK)
        if found is None:
            return [GONE], 0, None
        headers, body = found
        if _swift.is_slo(headers) or _swift.dlo_manifest(headers):
            body.close()
            facts = _swift.object_facts(container, source, headers)
            return None, 0, (facts, _objects.segments(worker, container, source, facts))
        digest, size = _read_md5(body)
        etag = _swift.strip_etag(headers.get('etag'))
        problems = []
        if digest != etag:
            problems.append('its %d bytes have md5 %s, its ETag says %s: damaged in storage' % (size, digest, etag))
        elif etag != _swift.strip_etag(entry.get('hash')):
            problems.append(
                'it changed while it was verified (ETag %s, listed %s): verify again' % (etag, entry.get('hash'))
            )
        if 'x-object-meta-mtime' not in headers:
            problems.append(
                'it has no recorded mtime (X-Object-Meta-Mtime), which archive_sync, the swift CLI '
                'and rclone write on every file: another client wrote it over the backup'
            )
        return problems, size, None

    def verify_large(self, facts, segments):
        """(problems, bytes read) of an SLO or a DLO: the manifest against its segments, then
        each segment (on the threads): there, expiring no earlier than the manifest, and
        holding the bytes whose md5 the manifest (or the DLO's listing) names."""
        problems = []
        if not segments:
            return ['its manifest names no segment'], 0
        if not _swift.segments_agree(facts["etag"], facts["bytes"], segments):
            problems.append("its manifest's ETag and size do not match its segments")
        own = facts.get('delete_at')

        def check(worker, segment):
            # One GET: its answer's headers carry the segment's X-Delete-At, as a HEAD's would.
            container, name = _swift.split_segment_path(segment['name'])
            found = worker.find_object(container, name, chunk_size=_transfer.CHUNK)
            if found is None:
                return ["segment '%s' is missing" % segment['name']], 0
            headers, body = found
            issues = []
            expires = _swift.object_facts(container, name, headers).get('delete_at')
            if expires and (not own or expires < own):
                issues.append(
                    "segment '%s' expires at %d, before its manifest (%s)"
                    % (segment['name'], expires, own if own else 'which never expires')
                )
            digest, size = _read_md5(body)
            if digest != _swift.strip_etag(segment.get('hash')) or size != segment.get('bytes'):
                issues.append(
                    "segment '%s' holds %d bytes of md5 %s, the manifest says %s bytes of md5 %s"
                    % (segment['name'], size, digest, segment.get('bytes'), segment.get('hash'))
                )
            return issues, size

        read = 0
        for issues, size in _transfer.run_pool(self.client, check, list(segments), self.params['threads']):
            problems += issues
            read += size
        return problems, read

    def verify_result(self, drill, sizes, chosen, fraction):
        total = sum(sizes.values())
        summary = {
            'objects': len(sizes),
            'verified': len(drill.verified),
            'damaged': len(drill.damaged),
            'bytes_read': drill.bytes_read,
            'bytes_total': total,
        }
        sampled = '' if fraction >= 1 else ' (a sample of %d of %d objects)' % (len(chosen), len(sizes))
        result = dict(
            changed=False,
            verified=drill.verified,
            damaged=sorted(drill.damaged, key=lambda d: d['name']),
            summary=summary,
        )
        if not drill.damaged:
            return dict(result, changed_reason='all %d verified%s' % (len(drill.verified), sampled))
        shown = '; '.join('%s: %s' % (d['name'], ', '.join(d['problems'])) for d in result['damaged'][:20])
        more = '' if len(drill.damaged) <= 20 else '; and %d more (see damaged)' % (len(drill.damaged) - 20)
        raise ArchiveError(
            '%d of the %d objects verified%s would not restore: %s%s'
            % (len(drill.damaged), len(chosen), sampled, shown, more),
            details=dict(
                (key, value)
                for key, value in dict(result, changed_reason='%d damaged' % len(drill.damaged)).items()
                if key != 'changed'
            ),
        )

    def segments_of(self, worker, name, headers):
        """The segments of the large object a GET answered: an SLO's manifest, a DLO's listing."""
        container, name = self.source(name)
        return _objects.segments(worker, container, name, _swift.object_facts(container, name, headers))


GONE = 'it is listed but does not exist (deleted meanwhile, or expired)'


class Drill:
    """What a verify run found: the names that read back intact, the objects that did not
    (each with why), the bytes read."""

    def __init__(self):
        self.verified, self.damaged, self.bytes_read = [], [], 0

    def add(self, name, problems, read):
        self.bytes_read += read
        if problems:
            self.damaged.append({'name': name, 'problems': problems})
        else:
            self.verified.append(name)


def _read_md5(body):
    """(md5 hex, bytes) of a GET's body, read to its end."""
    digest, size = _swift.new_md5(), 0
    for chunk in body:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _mtime(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def main():
    ArchiveSync()()


if __name__ == '__main__':
    main()
