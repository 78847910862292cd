# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing one file as a Static Large Object: the one implementation archive_slo and
archive_sync share.

Internal use only: this file is not a public API of the collection. It does not import
Ansible. ``SloWriter.plan()`` observes the segment container and returns a Plan (check mode
stops there); ``apply()`` uploads what is missing, writes the manifest and deletes what the
clean-up rule allows (docs/design.md, "SLO upload").
"""

from __future__ import annotations

import os
import time

from ansible_collections.ncloud.archive.plugins.module_utils import _history, _objects, _plan, _swift, _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


class SloWriter:
    """Writes ``local`` (a _hash.Local of a file) as the SLO ``container/name``.

    ``options``: segment_container, threads, on_failure ('keep' or 'delete'),
    stale_segment_age (seconds), timeout (the grace a clean-up gets after a failure), and
    history_container (where kept versions are; ``<container>_history`` by default).

    With ``history`` (archive_sync's option) the writer deletes no segment of any version
    but the one it replaces, as a kept manifest may use it: no stale sweep, no finished
    versions. ``history_expiry`` then says what becomes of the replaced version's segments:
    None when that version was not kept (they are deleted), else the X-Delete-At they get
    (0: they keep the expiry they have). Without history, the clean-up still leaves the
    segments that a version kept in the history container uses (not_kept()).
    """

    def __init__(self, client, deadline, container, name, local, options):
        self.client, self.deadline, self.options = client, deadline, options
        self.container, self.name, self.local = container, name, local
        self.segment_container = options['segment_container']
        self.what = "SLO '%s' in container '%s'" % (name, container)

    def segment_path(self, name):
        return '/%s/%s' % (self.segment_container, name)

    def observe(self, newest=False):
        return _objects.observe(self.client, self.container, self.name, newest)

    def versions(self):
        """Listing entries of all versions of this object's segments."""
        return self.client.list_container(self.segment_container, prefix=_swift.versions_prefix(self.name)) or []

    def segment_expiries(self, paths):
        return _transfer.segment_expiries(self.client, paths, self.options['threads'])

    # --- plan ----------------------------------------------------------------------------
    def plan(self, before, segments, reason, segment_size, metadata, content_type, expiry):
        """The Plan of writing the file (read-only): which segments exist already, which are
        to upload, what the clean-up is predicted to delete. Everything apply() needs is in
        the plan's actions; the writer keeps nothing."""
        prefix = _swift.segment_prefix(self.name, self.local.mtime, self.local.size, segment_size)
        # One listing of all versions: the ones of this version may be reused, old ones may
        # be stale.
        versions = self.versions()
        existing = dict((e['name'], e) for e in versions if e['name'].startswith(prefix))
        upload, reused = _plan.slo_jobs(self.local, prefix, segment_size, existing)
        _swift.check_manifest_size(self.segment_container, upload + reused, segment_size, self.client.limits())
        keep = [self.segment_path(j['name']) for j in upload + reused]
        # Reused segments must expire with the new manifest (or not at all), never before it.
        reused_expiries = self.segment_expiries([self.segment_path(j['name']) for j in reused])
        if self.options.get('history'):
            replaced = [] if self.options['history_expiry'] is not None else [s['name'] for s in segments or ()]
            obsolete = sorted(set(replaced) - set(keep))
        else:
            obsolete = _plan.obsolete_segments(
                segments,
                self.segment_container,
                versions,
                self.name,
                keep,
                time.time(),
                self.options['stale_segment_age'],
                prefix,
            )
            obsolete = self.not_kept(obsolete)
        write = dict(
            container=self.container,
            name=self.name,
            segment_container=self.segment_container,
            segment_size=segment_size,
            prefix=prefix,
            metadata=metadata,
            content_type=content_type,
            expiry=expiry,
        )
        found = dict(upload=upload, reused=reused, reused_expiries=reused_expiries, obsolete=obsolete)
        return _plan.plan_slo_upload(before, reason, self.local, write, found)

    # --- apply ---------------------------------------------------------------------------
    def apply(self, plan):
        """Carry out ``plan`` (upload, expire_segments, manifest, cleanup); returns the
        outcome: the object's facts ``after``, the real ``segments`` and ``segments_deleted``."""
        self.ensure_segment_container()
        run = {'uploaded': [], 'uploading': []}

        def upload(jobs, expiry):
            run['uploading'] = jobs
            run['uploaded'] = self.pooled(
                lambda: _transfer.upload_segments(
                    self.client,
                    self.local.path,
                    self.segment_container,
                    jobs,
                    self.options['threads'],
                    headers=_swift.expiry_headers(expiry),
                ),
                jobs,
            )

        def expire_segments(paths, expiry):
            self.pooled(
                lambda: _transfer.set_expiry(self.client, paths, expiry, self.options['threads']), run['uploading']
            )

        def manifest(write):
            jobs = sorted(run['uploaded'] + write['reused'], key=lambda j: j['offset'])
            expected = _swift.slo_etag([j['etag'] for j in jobs])
            # What the manifest PUT replaces, read as late as possible: a concurrent writer's
            # manifest that landed meanwhile is replaced too, and its segments become obsolete.
            replaced = _swift.deletable_segments(*self.observe(newest=True))
            after, after_segments = self.put_manifest(write, jobs, expected, run['uploading'])
            if after is None or after['etag'] != expected:
                self.lost_race(after, after_segments, run['uploading'])
            run.update(after=after, segments=after_segments, replaced=replaced, expected=expected)

        def cleanup(keep):
            if self.options.get('history'):
                return self.expire_replaced(run['replaced'], keep)
            obsolete, markers = self.clean_up(run['replaced'], run['expected'], keep)
            deleted = self.client.delete_paths(obsolete)
            self.client.delete_paths(markers)
            return dict(segments_deleted=deleted)

        outcome = _plan.dispatch(
            plan.actions,
            {'upload': upload, 'expire_segments': expire_segments, 'manifest': manifest, 'cleanup': cleanup},
        )
        outcome.update(after=run['after'], segments=_plan.slo_segment_view(run['segments']))
        return outcome

    def pooled(self, work, jobs):
        """``work()`` (segment uploads or expiry POSTs on the pool); a pool that failed fails
        the upload after on_failure (``jobs``: the segments this run was uploading)."""
        try:
            return work()
        except _transfer.PoolError as exc:
            self.fail(self.client.quota_hint(exc, self.segment_container), len(exc.done), jobs)

    def clean_up(self, replaced, expected, keep):
        """(segment paths, marker paths) to delete now that this run's manifest read back live.

        List the versions; when another one than this run's and the one it replaced is
        there (a concurrent writer's, perhaps one whose read came before this run's PUT and
        who will replace it without knowing), mark this version written. Then read the object
        once more. Still this run's: what it replaced, the versions marked written and the
        stale ones go. Replaced meanwhile: this run deletes what it replaced and its own
        segments, except what the live manifest uses (the other writer may have missed
        them). The listing comes before the last read, so a marker in it belongs to a
        version that was replaced before this run's manifest (docs/design.md, "Concurrent
        writers").
        """
        listing = self.versions()
        prefix = keep['prefix']
        known = set(s['name'] for s in replaced) | set(keep['paths'])
        others = [
            e['name']
            for e in listing
            if _swift.is_segment_of(e['name'], self.name) and self.segment_path(e['name']) not in known
        ]
        marker = _swift.marker_name(prefix)
        if others:
            expires = _swift.expiry_headers(int(time.time()) + _swift.MARKER_TTL)
            self.client.put_object(self.segment_container, marker, b'', headers=expires)
        live = self.client.head_object(self.container, self.name, newest=True)
        if live is not None and live['etag'] == expected:
            obsolete = _plan.obsolete_segments(
                replaced,
                self.segment_container,
                listing,
                self.name,
                keep['paths'],
                time.time(),
                self.options['stale_segment_age'],
                prefix,
            )
            markers = _swift.finished_versions(listing, self.name, prefix)[1]
            return self.not_kept(obsolete), [self.segment_path(m) for m in markers]
        _live, live_segments = self.observe(newest=True)
        used = set(s['name'] for s in live_segments or ())
        obsolete = sorted(known - used)
        mine_used = any(s.startswith(self.segment_path(prefix)) for s in used)
        return obsolete, [self.segment_path(marker)] if others and not mine_used else []

    def not_kept(self, paths):
        """``paths`` (segments to delete) without those that a version of this object kept
        in history uses (archive_sync's ``history``, in ``<container>_history`` or the
        ``history_container`` option): a writer without history must not break one. Looked
        up only when there is something to delete: one listing of the object's versions, and
        each kept large version's manifest (or DLO listing)."""
        if not paths:
            return paths
        history = self.options.get('history_container') or self.container + _history.SUFFIX
        entries = self.client.list_container(history, prefix=self.name + '/') or []
        used = set()
        for entry in entries:
            parsed = _history.split_version(entry.get('name') or '')
            if parsed is None or parsed[0] != self.name:
                continue
            _facts, segments = _objects.observe(self.client, history, entry['name'])
            used.update(s['name'] for s in segments or ())
        return [p for p in paths if p not in used]

    def expire_replaced(self, replaced, keep):
        """History's clean-up: the segments of the replaced version that the new manifest
        does not use get the kept version's expiry (when they have none of their own), or,
        when the version was not kept, are deleted. Nothing else is."""
        expiry = self.options['history_expiry']
        paths = sorted(set(s['name'] for s in replaced) - set(keep['paths']))
        if expiry is None:
            return dict(segments_deleted=self.client.delete_paths(paths))
        if expiry and paths:
            _transfer.set_expiry(self.client, paths, expiry, self.options['threads'])
        return dict(segments_deleted=0)

    def ensure_segment_container(self):
        if self.client.head_container(self.segment_container) is None:
            self.client.put_container(self.segment_container)

    def put_manifest(self, write, jobs, expected, uploading):
        """PUT the manifest of ``jobs`` as ``write`` says (metadata, content type, expiry);
        returns the object read back afterwards (facts, segments).

        A PUT whose answer was lost may have taken effect: the object is read back before the
        run counts as failed, and segments are never deleted while that is unknown.
        """
        headers = _swift.object_metadata_headers(write['metadata'])
        headers.update(_swift.expiry_headers(write['expiry']))
        try:
            self.client.put_manifest(
                self.container,
                self.name,
                _swift.manifest_body(self.segment_container, jobs),
                write['content_type'],
                headers,
            )
        except ArchiveError as exc:
            try:
                after, segments = self.observe(newest=True)
            except ArchiveError as unknown:
                raise ArchiveError(
                    '%s; whether the manifest was written is unknown (%s), so the '
                    'segments were kept' % (exc.message, unknown.message),
                    exc.status,
                    exc.transaction_id,
                ) from exc
            if after is None or after['etag'] != expected:
                self.fail(self.client.quota_hint(exc, self.container), len(uploading), uploading)
            return after, segments
        return self.observe(newest=True)

    def lost_race(self, live, live_segments, uploading):
        """Another writer's manifest replaced this run's: delete what this run uploaded that
        the live manifest does not use, and fail saying so."""
        used = set(s['name'] for s in live_segments or ())
        mine = sorted(set(self.segment_path(j['name']) for j in uploading) - used)
        deleted = self.client.delete_paths(mine)
        raise ArchiveError(
            '%s was replaced by another writer right after this run wrote it: it '
            'now holds %s; the %d segment(s) this run uploaded that it does not use '
            'were deleted. Run the task again to store this file'
            % (self.what, 'ETag %s' % live['etag'] if live else 'nothing', deleted)
        )

    def fail(self, exc, confirmed, jobs):
        """Fail the upload after on_failure; ``confirmed``: how many of the segments this run
        was to upload (``jobs``) Swift acknowledged."""
        if self.options['on_failure'] == 'keep':
            raise ArchiveError(
                '%s; on_failure=keep: the %d segment(s) this run stored were kept, '
                'the next run uploads only what is missing' % (exc.message, confirmed),
                exc.status,
                exc.transaction_id,
            ) from exc
        # Every segment this run may have stored, acknowledged or not (an answer can be lost
        # after Swift stored the segment); the ones never stored are simply not found.
        paths = [self.segment_path(job['name']) for job in jobs]
        with self.deadline.grace(self.options['timeout']):
            try:
                deleted = self.client.delete_paths(paths)
            except ArchiveError as cleanup:
                raise ArchiveError(
                    '%s; on_failure=delete could not delete the segments this run '
                    'may have stored (%s): they are under %s'
                    % (exc.message, cleanup.message, self.segment_path(os.path.dirname(jobs[0]['name']) + '/')),
                    exc.status,
                    exc.transaction_id,
                ) from exc
        raise ArchiveError(
            '%s; on_failure=delete: deleted the %d segment(s) this run had stored' % (exc.message, deleted),
            exc.status,
            exc.transaction_id,
        ) from exc
