# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planning layer: observed facts and the desired state in, a Plan out.

Internal use only: this file is not a public API of the collection. No Ansible, no HTTP: the
modules observe (HEAD, listing, manifest, local files), plan here, then apply the plan's
actions unless in check mode. Check mode returns the same plan, so it predicts what the real
run reports. It also holds the one identity rule, "local equals remote", that every module
uses.
"""

from __future__ import annotations

import mimetypes
import os

from ansible_collections.ncloud.archive.plugins.module_utils import _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

CHUNK = 1024 * 1024
EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
DIRECTORY_TYPE = 'application/directory'


class Plan:
    """What a task does: ``actions`` turn ``before`` into ``after``.

    Each action is a tuple whose first item names it (``'put'``, ``'post'``, ...); the module
    that made the plan applies them. ``result`` holds the counts and name lists that the
    module returns, predicted; a real run may replace them with what happened.
    """

    def __init__(self, reason, before=None, after=None, actions=(), changed=None, **result):
        self.reason = reason
        self.before = before
        self.after = after
        self.actions = list(actions)
        self.changed = bool(self.actions) if changed is None else changed
        self.result = result

    def __repr__(self):
        return 'Plan(%r, changed=%r, actions=%r)' % (self.reason, self.changed, self.actions)


# --- local facts -------------------------------------------------------------------------

def md5_file(path, offset=0, length=None):
    """md5 hex digest of ``length`` bytes of ``path`` from ``offset`` (to the end if None)."""
    digest = _swift.new_md5()
    with open(path, 'rb') as handle:
        handle.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return digest.hexdigest()


def md5_comparable(segment):
    """Whether a manifest entry's hash is the md5 of its bytes: not for a byte range of a
    segment or a nested SLO (whose hash is its own manifest's ETag)."""
    return 'range' not in segment and not segment.get('sub_slo') and bool(segment.get('hash'))


def file_matches_segments(path, segments):
    """Whether the file, cut at the segments' sizes, gives the segments' md5s.

    ``segments`` is a parsed SLO manifest (dicts with ``bytes`` and ``hash``). Reads the file
    once, stops at the first slice that differs.
    """
    if os.path.getsize(path) != sum(s['bytes'] for s in segments):
        return False
    offset = 0
    for segment in segments:
        if not md5_comparable(segment) or md5_file(path, offset, segment['bytes']) != segment['hash']:
            return False
        offset += segment['bytes']
    return True


class Local:
    """Local data to compare with an object: a file (``path``) or bytes (``data``).

    The md5 is computed at most once, when identity needs it (or given, when known).
    """

    def __init__(self, path=None, data=None, md5=None, size=None, mtime=None):
        self.path = path
        self.data = data
        self._md5 = md5
        if data is not None:
            self.size = len(data)
        elif size is not None:
            self.size = size
        else:
            stat = os.stat(path)
            self.size = stat.st_size
            mtime = stat.st_mtime if mtime is None else mtime
        self.mtime = None if mtime is None else _swift.source_mtime(mtime)

    def md5(self):
        if self._md5 is None:
            self._md5 = _swift.md5_hex(self.data) if self.data is not None else md5_file(self.path)
        return self._md5


def identical(remote, local, segments=None, quick=False):
    """Whether ``local`` holds the data of the object ``remote`` (facts, or None).

    A plain object by its ETag (the md5 of its bytes). An SLO by its manifest's ``segments``:
    the file cut at their sizes gives their md5s. With ``quick``, an SLO whose recorded
    ``mtime`` and size equal the file's counts as identical without hashing (as rsync does).
    """
    if remote is None or remote['bytes'] != local.size:
        return False
    if remote.get('is_slo'):
        if quick and local.mtime is not None and remote['metadata'].get('mtime') == local.mtime:
            return True
        return local.path is not None and segments is not None and \
            file_matches_segments(local.path, segments)
    return local.md5() == remote['etag']


def listed_facts(entry):
    """The facts a listing entry of a plain object gives (its hash is the md5 of its bytes)."""
    return {'name': entry.get('name'), 'bytes': entry.get('bytes'), 'is_slo': False,
            'etag': _swift.strip_etag(entry.get('hash')), 'metadata': {},
            'content_type': _swift.listing_content_type(entry)}


def is_marker(facts):
    """Whether an object is a directory marker (empty, ``application/directory``)."""
    return facts is not None and facts['bytes'] == 0 and \
        (facts.get('content_type') or '').split(';')[0].strip() == DIRECTORY_TYPE


def guess_type(name):
    return mimetypes.guess_type(name)[0] or 'application/octet-stream'


# --- containers ----------------------------------------------------------------------

def plan_container(name, before, keys, desired):
    """archive_container. ``desired``: state, metadata (normalised, None: unmanaged),
    purge_metadata, read_acl and write_acl (normalised, None: unmanaged), quotas
    ({quota_bytes, quota_count}), temp_url_keys ({option: value or None}), force.
    ``keys`` are the container's current temp URL keys."""
    if desired['state'] == 'absent':
        if before is None:
            return Plan('container already absent')
        count = before['object_count'] or 0
        if count and not desired['force']:
            raise ArchiveError("container '%s' still holds %d object(s): set force=true to "
                               "delete them with the container" % (name, count))
        actions = ([('empty',)] if desired['force'] else []) + [('delete',)]
        return Plan('container present', before, None, actions, deleted_objects=count)

    current = before or {'metadata': {}, 'read_acl': '', 'write_acl': ''}
    read_acl, write_acl = desired['read_acl'], desired['write_acl']
    to_set, to_remove, meta_after = _swift.plan_metadata(
        current['metadata'], desired['metadata'], desired['purge_metadata'])
    changes = (
        ('metadata differs', _swift.container_metadata_headers(to_set, to_remove)),
        ('ACL differs', _swift.acl_headers(current['read_acl'], current['write_acl'],
                                           read_acl, write_acl)),
        ('quota differs', _swift.quota_headers(current, desired['quotas'])),
        ('temp URL key differs', _swift.temp_url_key_headers(keys, desired['temp_url_keys'])),
    )
    headers = {}
    for _reason, part in changes:
        headers.update(part)
    after = dict(before or {'name': name, 'object_count': 0, 'bytes': 0, 'quota_bytes': None,
                            'quota_count': None, 'temp_url_key_set': False,
                            'temp_url_key_2_set': False})
    after.update(metadata=meta_after,
                 read_acl=current['read_acl'] if read_acl is None else read_acl,
                 write_acl=current['write_acl'] if write_acl is None else write_acl)
    for option, want in desired['quotas'].items():
        if want is not None:
            after[option] = want or None
    for option, value in desired['temp_url_keys'].items():
        if value is not None:
            after[option + '_set'] = bool(value)
    if before is None:
        return Plan('container absent', None, after, [('create', headers)])
    if not headers:
        return Plan('container present with the same settings', before, before)
    return Plan(' and '.join(r for r, part in changes if part), before, after,
                [('update', headers)])


# --- single objects ----------------------------------------------------------------------

def plan_object(container, name, before, segments, local, desired, now):
    """archive_object state=present. ``local`` is a Local; ``segments`` the manifest when
    ``before`` is an SLO. ``desired``: overwrite, metadata, purge_metadata, content_type (the
    option's, or application/directory for a marker), delete_at (parsed), delete_after.

    Actions: ('put', headers, content_type) then ('delete_segments', paths) of a replaced
    SLO; or ('post', headers) when only metadata, content type or expiry differ.
    """
    overwrite = desired['overwrite']
    if before is None:
        reason = 'absent'
    elif overwrite == 'always':
        reason = 'overwrite=always'
    elif overwrite == 'never' or identical(before, local, segments):
        reason = None
    else:
        reason = 'content differs'
    content_type = desired['content_type']
    _to_set, _to_remove, meta_after = _swift.plan_metadata(
        before['metadata'] if before else {}, desired['metadata'], desired['purge_metadata'])

    if reason:
        content_type = content_type or guess_type(name)
        headers = _swift.object_metadata_headers(meta_after)
        expiry = None
        if desired['delete_at']:
            expiry = desired['delete_at']
            headers['X-Delete-At'] = str(expiry)
        elif desired['delete_after']:
            expiry = int(now) + desired['delete_after']
            headers['X-Delete-After'] = str(desired['delete_after'])
        after = {'container': container, 'name': name, 'etag': local.md5(), 'bytes': local.size,
                 'content_type': content_type, 'last_modified': '', 'metadata': meta_after,
                 'is_slo': False}
        if expiry:
            after['delete_at'] = expiry
        actions = [('put', headers, content_type)]
        result = {}
        if before is not None and before['is_slo']:
            paths = [s['name'] for s in segments or ()]
            actions.append(('delete_segments', paths))
            result['segments_deleted'] = len(paths)
        return Plan(reason, before, after, actions, **result)

    expiry = _swift.plan_expiry(before.get('delete_at'), desired['delete_at'],
                                desired['delete_after'], now, rewritten=False)
    changes, after = _converge(before, meta_after, content_type, expiry)
    if not changes:
        return Plan('identical' if overwrite != 'never' else 'present, overwrite=never',
                    before, before)
    if desired['delete_at'] is not None:  # absolute, or 0: none
        headers = _swift.object_post_headers(meta_after, content_type, desired['delete_at'], None)
    else:  # an existing expiry is repeated; delete_after counts on the server's clock
        headers = _swift.object_post_headers(meta_after, content_type, before.get('delete_at'),
                                             desired['delete_after'])
    return Plan(' and '.join(changes), before, after, [('post', headers)])


def _converge(before, metadata, content_type, expiry):
    """What a POST must change of an object whose data stays: (changes, after).

    ``metadata`` is all the user metadata it should end with, ``content_type`` None keeps
    the current one, ``expiry`` None keeps the current one (0: none).
    """
    to_set, to_remove, _after = _swift.plan_metadata(before['metadata'], metadata, True)
    current = before.get('delete_at') or 0
    changes = [change for change, differs in (
        ('metadata differs', to_set or to_remove),
        ('content type differs', content_type and content_type != before['content_type']),
        ('expiry differs' if current else 'expiry not set',
         expiry is not None and expiry != current)) if differs]
    after = dict(before, metadata=metadata, content_type=content_type or before['content_type'])
    after.pop('delete_at', None)
    keep = current if expiry is None else expiry
    if keep:
        after['delete_at'] = keep
    return changes, after


def plan_object_absent(before, segments):
    """archive_object state=absent: ('delete',) a plain object, ('delete_slo',) an SLO with
    its segments."""
    if before is None:
        return Plan('already absent')
    if before['is_slo']:
        return Plan('present', before, None, [('delete_slo',)],
                    segments_deleted=len(segments or ()))
    return Plan('present', before, None, [('delete',)])


def plan_download(remote, segments, local, overwrite):
    """archive_object state=downloaded: ('download',) unless ``local`` (a Local of dest, or
    None when dest does not exist) already holds the object's data."""
    if local is None:
        reason = 'dest absent'
    elif overwrite == 'never':
        reason = None
    elif overwrite == 'always':
        reason = 'overwrite=always'
    elif identical(remote, local, segments):
        reason = None
    else:
        reason = 'content differs'
    if reason is None:
        return Plan('identical', remote, remote)
    return Plan(reason, remote, remote, [('download',)])


# --- Static Large Objects --------------------------------------------------------------

def slo_reason(remote, segments, local, checksum):
    """Why the object ``remote`` is not the SLO of ``local``, or None when it is."""
    if remote is None:
        return 'absent'
    if not remote['is_slo']:
        return 'stored as a plain object'
    if remote['bytes'] != local.size:
        return 'content differs'
    return None if identical(remote, local, segments, quick=not checksum) else 'content differs'


def slo_segment_view(segments):
    """The segment list archive_slo returns: name, bytes and the md5 as ``etag``."""
    return [{'name': s['name'], 'bytes': s['bytes'], 'etag': s['hash']} for s in segments]


def plan_slo_converge(before, segments, metadata, content_type, expiry, segment_expiries):
    """An identical SLO: ('expire_segments', paths, expiry) for the segments whose expiry is
    not the manifest's, ('post', headers) for what differs of metadata, content type and
    expiry. ``expiry`` None: not managed; ``segment_expiries``: {path: expiry} when managed."""
    stale = []
    if expiry is not None:
        stale = sorted(path for path, value in segment_expiries.items() if value != expiry)
    changes, after = _converge(before, metadata, content_type, expiry)
    if stale:
        changes.append('segment expiry differs')
    result = dict(segments=slo_segment_view(segments), segments_expiry_changed=len(stale),
                  # The stored SLO's own segment size (its first segment): no /info request.
                  segment_size=segments[0]['bytes'] if segments else 0)
    if not changes:
        return Plan('identical', before, before, **result)
    keep = after.get('delete_at') or 0
    actions = []
    if stale:
        actions.append(('expire_segments', stale, keep))
    if changes != ['segment expiry differs']:
        actions.append(('post', _swift.object_post_headers(metadata, content_type, keep, None)))
    return Plan(' and '.join(changes), before, after, actions, **result)


def slo_jobs(local, prefix, segment_size, existing):
    """(to upload, reused): the slices of ``local`` as segment jobs (name, offset, bytes).
    A segment already in ``existing`` ({name: listing entry}) with this slice's size and md5
    is reused (``etag`` set); the others are to upload."""
    upload, reused = [], []
    for index, offset, length in _swift.slices(local.size, segment_size):
        name = _swift.segment_name(prefix, index)
        job = {'name': name, 'offset': offset, 'bytes': length}
        found = existing.get(name)
        if found and found['bytes'] == length and \
                _swift.strip_etag(found['hash']) == md5_file(local.path, offset, length):
            reused.append(dict(job, etag=_swift.strip_etag(found['hash'])))
        else:
            upload.append(job)
    return upload, reused


def obsolete_segments(replaced_segments, segment_container, listing, name, keep, now, max_age):
    """Segment paths to delete once a new manifest is live: those the replaced manifest
    references, and this object's segments in ``listing`` (entries of the segment container)
    older than ``max_age`` (left by failed or killed runs), except ``keep``. Younger
    unreferenced segments may belong to a concurrent upload and stay."""
    paths = set('/%s/%s' % (segment_container, n)
                for n in _swift.stale_segments(listing, name, now, max_age))
    paths.update(s['name'] for s in replaced_segments or ())
    return sorted(paths - set(keep))


def plan_slo_upload(container, name, before, reason, local, upload, reused, segment_container,
                    metadata, content_type, expiry, reused_expiries, obsolete):
    """An SLO to (re)write: ('upload', jobs), ('expire_segments', paths, expiry) of reused
    segments whose expiry differs, ('manifest',), ('cleanup',). ``obsolete`` are the segment
    paths the clean-up is predicted to delete."""
    path = '/%s/%%s' % segment_container
    stale = sorted(p for p, value in reused_expiries.items() if value != (expiry or 0))
    after = {'container': container, 'name': name, 'etag': '', 'bytes': local.size,
             'content_type': content_type, 'last_modified': '', 'metadata': metadata,
             'is_slo': True}
    if expiry:
        after['delete_at'] = expiry
    jobs = sorted(upload + reused, key=lambda j: j['offset'])
    actions = [('upload', upload)]
    if stale:
        actions.append(('expire_segments', stale, expiry or 0))
    actions += [('manifest',), ('cleanup',)]
    return Plan(reason, before, after, actions, segments_uploaded=len(upload),
                segments_reused=len(reused), segments_deleted=len(obsolete),
                segments_expiry_changed=len(stale),
                segments=[{'name': path % j['name'], 'bytes': j['bytes'], 'etag': j.get('etag', '')}
                          for j in jobs])


def plan_slo_absent(container, before, segments):
    """archive_slo state=absent: ('delete_slo',) with its segments."""
    if before is None:
        return Plan('already absent', segments=[], segments_deleted=0)
    if not before['is_slo']:
        raise ArchiveError("SLO '%s' in container '%s' is a plain object, not an SLO: delete it "
                           "with ncloud.archive.archive_object" % (before['name'], container))
    return Plan('present', before, None, [('delete_slo',)],
                segments=slo_segment_view(segments), segments_deleted=len(segments))


# --- batches of objects ------------------------------------------------------------------

def plan_batch(items, listing, remote_slos, hashes, desired):
    """archive_object ``files``: ('upload', items) and ('delete', listing entries).

    ``items`` are {name, src, directory}; ``listing`` {name: entry} of the prefix;
    ``remote_slos`` {name: (facts, segments)} of listed entries that may be SLOs;
    ``hashes`` {src: md5} of files whose listed plain object has their size. ``desired``:
    overwrite, delete_extra, keep."""
    overwrite = desired['overwrite']
    upload, identical_count = [], 0
    for item in items:
        entry = listing.get(item['name'])
        if entry is not None and (overwrite == 'never' or (
                overwrite == 'different' and _batch_identical(item, entry, remote_slos, hashes))):
            identical_count += 1
            continue
        facts, segments = remote_slos.get(item['name'], (None, None))
        upload.append(dict(item, md5=hashes.get(item['src']),
                           replaced_segments=[s['name'] for s in segments or ()]
                           if facts and facts['is_slo'] else []))
    extra = []
    if desired['delete_extra']:
        wanted = set(i['name'] for i in items) | set(desired['keep'])
        extra = sorted(n for n in listing if n not in wanted)
        for name in extra:
            # Put there by another tool; a request would reach another object.
            _swift.check_dot_segments(name, 'delete_extra: the object to delete')
    summary = {
        'uploaded': sum(1 for i in upload if not i['directory']),
        'markers_created': sum(1 for i in upload if i['directory']),
        'identical': identical_count,
        'deleted': len(extra),
    }
    parts = ['%d %s' % (summary[key], label) for key, label in (
        ('uploaded', 'uploaded'), ('markers_created', 'markers created'), ('deleted', 'deleted'))
        if summary[key]]
    names = set(i['name'] for i in items)
    actions = []
    if upload:
        actions.append(('upload', upload))
    if extra:
        actions.append(('delete', [listing[n] for n in extra]))
    return Plan(', '.join(parts) if parts else 'all %d identical' % summary['identical'],
                {'objects': sorted(listing)},
                {'objects': sorted((set(listing) | names) - set(extra))},
                actions, summary=summary, uploaded=[i['name'] for i in upload], deleted=extra)


def _batch_identical(item, entry, remote_slos, hashes):
    if item['directory']:
        return entry.get('bytes') == 0 and _swift.listing_content_type(entry) == DIRECTORY_TYPE
    if item['name'] in remote_slos:
        facts, segments = remote_slos[item['name']]
        return identical(facts, Local(item['src']), segments)
    if item['src'] not in hashes:
        return False
    return identical(listed_facts(entry), Local(item['src'], md5=hashes[item['src']]))
