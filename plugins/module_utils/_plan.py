# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planning layer: observed facts and the desired state in, a Plan out.

Internal use only: this file is not a public API of the collection. No Ansible, no HTTP, no
file access (a local file's md5s come from _hash.Local when identity asks for them): the
modules observe (HEAD, listing, manifest, local files), plan here, then apply the plan's
actions unless in check mode. Check mode returns the same plan, so it predicts what the real
run reports. It also holds the one identity rule, "local equals remote", that every module
uses.
"""

from __future__ import annotations

import mimetypes
import types

from ansible_collections.ncloud.archive.plugins.module_utils import _hash, _history, _retention, _swift, _tree
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
DIRECTORY_TYPE = 'application/directory'


# What each kind of action carries, in order: the one list of what a plan can ask for. A
# module carries out each kind it plans with one handler (dispatch, grouped).
ACTION_KINDS = {
    # containers (archive_container, archive_sync)
    'create': ('headers',),
    'update': ('headers',),
    'empty': (),
    'delete': (),
    'create_container': (),
    # objects (archive_object, archive_slo)
    'put': ('headers', 'content_type'),
    'post': ('headers',),
    'delete_slo': (),
    'delete_segments': ('paths',),
    'expire_segments': ('paths', 'expiry'),
    'download': (),
    'remove_temp': ('name',),
    # one SLO (_slo.SloWriter)
    'upload': ('jobs', 'expiry'),
    'manifest': ('write',),
    'cleanup': ('keep',),
    # trees (archive_sync): upload
    'marker': ('name',),
    'put_file': ('item',),
    'delete_replaced': ('name', 'paths'),
    'slo': ('item', 'reason'),
    'delete_listed': ('entry',),
    'create_history_container': (),
    'keep_version': ('name', 'version', 'delete_at', 'segment_expiry'),
    'expire_replaced': ('name', 'paths', 'expiry'),
    # trees (archive_sync): download
    'mkdir': ('rel',),
    'get': ('item',),
    'remove': ('rel',),
}


class Action(tuple):
    """One step of a plan: its kind (a key of ACTION_KINDS), then that kind's arguments. A
    tuple, so that plans compare and print as data; an unknown kind or a wrong number of
    arguments raises when the plan is built, before anything is done."""

    __slots__ = ()

    def __new__(cls, kind, *args):
        fields = ACTION_KINDS.get(kind)
        if fields is None or len(fields) != len(args):
            raise ArchiveError(
                'internal error: a plan asked for %r with %d argument(s); known: %s'
                % (kind, len(args), ', '.join('%s(%s)' % (k, ', '.join(v)) for k, v in sorted(ACTION_KINDS.items())))
            )
        return tuple.__new__(cls, (kind,) + args)

    @property
    def kind(self):
        return self[0]

    @property
    def args(self):
        return self[1:]


class Plan:
    """What a task does: ``actions`` turn ``before`` into ``after``. Immutable once built.

    ``actions`` is a tuple of Action; the module that made the plan carries them out with
    dispatch() or grouped(), which return what happened (an outcome: a dict of the counts and
    names that differ from the prediction). ``returns`` holds the counts and name lists that
    the module returns, predicted; the module's one ``result(plan, outcome)`` lays the
    outcome over them.
    """

    __slots__ = ('reason', 'before', 'after', 'actions', 'changed', 'returns')

    def __init__(self, reason, before=None, after=None, actions=(), changed=None, **returns):
        actions = tuple(Action(*action) for action in actions)
        for attribute, value in (
            ('reason', reason),
            ('before', before),
            ('after', after),
            ('actions', actions),
            ('changed', bool(actions) if changed is None else changed),
            ('returns', types.MappingProxyType(returns)),
        ):
            object.__setattr__(self, attribute, value)

    def __setattr__(self, attribute, value):
        raise AttributeError('a Plan is immutable: %s cannot be set' % attribute)

    def __repr__(self):
        return 'Plan(%r, changed=%r, actions=%r)' % (self.reason, self.changed, self.actions)


def dispatch(actions, handlers):
    """Carry out ``actions`` in order, each as ``handlers[kind](*args)``; returns the outcome:
    the dicts the handlers returned, merged (numbers add up). An action that no handler knows
    is a bug of the planner or the module: it raises before anything is done."""
    actions = [Action(*action) for action in actions]
    grouped(actions, handlers)
    outcome = {}
    for action in actions:
        merge(outcome, handlers[action.kind](*action.args))
    return outcome


def merge(outcome, update):
    """Lay ``update`` over ``outcome`` when it is a dict (what a handler returns otherwise is
    not an outcome): numbers add up, the rest replaces."""
    for key, value in (update if isinstance(update, dict) else {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(outcome.get(key), int):
            value += outcome[key]
        outcome[key] = value
    return outcome


def grouped(actions, kinds):
    """{kind: [args tuple, ...]} of ``actions`` in their order, for a module that carries out
    each kind as a batch (a pool of uploads); every kind of ``kinds`` is a key. An action of
    another kind raises, as in dispatch()."""
    actions = [Action(*action) for action in actions]
    unknown = sorted(set(action.kind for action in actions) - set(kinds))
    if unknown:
        raise ArchiveError('internal error: the plan has action(s) %s that nothing carries out' % ', '.join(unknown))
    found = dict((kind, []) for kind in kinds)
    for action in actions:
        found[action.kind].append(action.args)
    return found


# --- identity ----------------------------------------------------------------------------


def identical(remote, local, segments=None, quick=False):
    """Whether ``local`` holds the data of the object ``remote`` (facts, or None).

    A plain object by its ETag (the md5 of its bytes). An SLO by its manifest's ``segments``,
    a DLO by its listed ones: the file cut at their sizes gives their md5s (as
    ``swift upload --skip-identical`` decides). With ``quick``, a large object whose recorded
    ``mtime`` and size equal the file's counts as identical without hashing (as rsync does).
    """
    if remote is None or remote['bytes'] != local.size:
        return False
    if _swift.is_large(remote):
        if quick and local.mtime is not None and remote['metadata'].get('mtime') == local.mtime:
            return True
        return local.path is not None and segments is not None and local.matches_segments(segments)
    return local.md5() == remote['etag']


def listed_facts(entry):
    """The facts a listing entry of a plain object gives (its hash is the md5 of its bytes;
    a listing names no container and no metadata)."""
    return _swift.facts_of_object(
        None,
        entry.get('name'),
        _swift.strip_etag(entry.get('hash')),
        entry.get('bytes'),
        _swift.listing_content_type(entry),
        {},
    )


MARKER_TYPES = _swift.DIRECTORY_TYPES


def is_marker(facts):
    """Whether an object is a directory marker (empty, ``application/directory``)."""
    return (
        facts is not None
        and facts['bytes'] == 0
        and (facts.get('content_type') or '').split(';')[0].strip() in MARKER_TYPES
    )


def guess_type(name):
    return mimetypes.guess_type(name)[0] or 'application/octet-stream'


# --- containers ----------------------------------------------------------------------


def plan_container(name, before, keys, desired):
    """archive_container. ``desired``: state, metadata (normalised, None: unmanaged),
    purge_metadata, read_acl and write_acl (normalised, None: unmanaged), quotas
    ({quota_bytes, quota_count}), temp_url_keys ({option: value or None}), force, and with
    force the paths of the segments that its large objects keep in other containers
    (``segments``). ``keys`` are the container's current temp URL keys."""
    if desired['state'] == 'absent':
        if before is None:
            return Plan('container already absent')
        count = before['object_count'] or 0
        if count and not desired['force']:
            raise ArchiveError(
                "container '%s' still holds %d object(s): set force=true to "
                "delete them with the container" % (name, count)
            )
        segments = sorted(desired.get('segments') or ())
        actions = ([('empty',)] if desired['force'] else []) + [('delete',)]
        returns = dict(deleted_objects=count)
        if desired['force']:
            # The large objects' segments in other containers go after their manifests.
            actions[1:1] = [('delete_segments', segments)] if segments else []
            returns.update(segments_deleted=len(segments))
        return Plan('container present', before, None, actions, **returns)

    current = before or {'metadata': {}, 'read_acl': '', 'write_acl': ''}
    read_acl, write_acl = desired['read_acl'], desired['write_acl']
    to_set, to_remove, meta_after = _swift.plan_metadata(
        current['metadata'], desired['metadata'], desired['purge_metadata']
    )
    changes = (
        ('metadata differs', _swift.container_metadata_headers(to_set, to_remove)),
        ('ACL differs', _swift.acl_headers(current['read_acl'], current['write_acl'], read_acl, write_acl)),
        ('quota differs', _swift.quota_headers(current, desired['quotas'])),
        ('temp URL key differs', _swift.temp_url_key_headers(keys, desired['temp_url_keys'])),
    )
    headers = {}
    for _reason, part in changes:
        headers.update(part)
    after = dict(before or dict(_swift.container_facts(name, {}), object_count=0, bytes=0))
    after.update(
        metadata=meta_after,
        read_acl=current['read_acl'] if read_acl is None else read_acl,
        write_acl=current['write_acl'] if write_acl is None else write_acl,
    )
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
    return Plan(' and '.join(r for r, part in changes if part), before, after, [('update', headers)])


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
        before['metadata'] if before else {}, desired['metadata'], desired['purge_metadata']
    )

    if reason:
        content_type = content_type or guess_type(name)
        headers = _swift.object_metadata_headers(meta_after)
        expiry = None
        if desired['delete_at']:
            expiry = desired['delete_at']
            headers['X-Delete-At'] = str(expiry)
        elif desired['delete_after']:
            # Absolute, computed here: Swift 2.15.1 turns X-Delete-After into a time on each
            # replica (fixed in 2.15.2), so replicas could disagree on when it expires.
            expiry = int(now) + desired['delete_after']
            headers['X-Delete-At'] = str(expiry)
        after = _swift.facts_of_object(
            container, name, local.md5(), local.size, content_type, meta_after, delete_at=expiry
        )
        actions = [('put', headers, content_type)]
        returns = {}
        paths = [s['name'] for s in _swift.deletable_segments(before, segments)]
        if paths:
            actions.append(('delete_segments', paths))
            returns.update(segments_deleted=len(paths))
        return Plan(reason, before, after, actions, **returns)

    expiry = _swift.plan_expiry(
        before.get('delete_at'), desired['delete_at'], desired['delete_after'], now, rewritten=False
    )
    changes, after = _converge(before, meta_after, content_type, expiry)
    if not changes:
        return Plan('identical' if overwrite != 'never' else 'present, overwrite=never', before, before)
    # An expiry the task does not manage is repeated (a POST would drop it); always absolute.
    headers = _swift.object_post_headers(
        meta_after, content_type, before.get('delete_at') if expiry is None else expiry
    )
    if before.get('dlo_manifest'):  # a POST without it turns a DLO into an empty plain object
        headers['X-Object-Manifest'] = _swift.dlo_manifest_header(before)
    return Plan(' and '.join(changes), before, after, [('post', headers)])


def _converge(before, metadata, content_type, expiry):
    """What a POST must change of an object whose data stays: (changes, after).

    ``metadata`` is all the user metadata it should end with, ``content_type`` None keeps
    the current one, ``expiry`` None keeps the current one (0: none).
    """
    to_set, to_remove, _after = _swift.plan_metadata(before['metadata'], metadata, True)
    current = before.get('delete_at') or 0
    changes = [
        change
        for change, differs in (
            ('metadata differs', to_set or to_remove),
            ('content type differs', content_type and content_type != before['content_type']),
            ('expiry differs' if current else 'expiry not set', expiry is not None and expiry != current),
        )
        if differs
    ]
    after = dict(before, metadata=metadata, content_type=content_type or before['content_type'])
    after.pop('delete_at', None)
    keep = current if expiry is None else expiry
    if keep:
        after['delete_at'] = keep
    return changes, after


def plan_object_absent(before, segments):
    """archive_object state=absent: ('delete',) a plain object, ('delete_slo',) an SLO with
    its segments, ('delete', paths) a DLO's manifest, then its segments (as ``swift delete``)."""
    if before is None:
        return Plan('already absent')
    if before['is_slo']:
        return Plan('present', before, None, [('delete_slo',)], segments_deleted=len(segments or ()))
    paths = [s['name'] for s in _swift.deletable_segments(before, segments)]
    if paths:
        return Plan('present', before, None, [('delete',), ('delete_segments', paths)], segments_deleted=len(paths))
    return Plan('present', before, None, [('delete',)])


def plan_download(remote, segments, local, overwrite, stale_temps=()):
    """archive_object state=downloaded: ('download',) unless ``local`` (a Local of dest, or
    None when dest does not exist) already holds the object's data; first ('remove_temp',
    name) for each of ``stale_temps``, the temp files of dest that killed runs left."""
    temps = sorted(stale_temps)
    actions = [('remove_temp', name) for name in temps]
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
    if reason is not None:
        actions.append(('download',))
    if temps:
        removed = _tree.temps_removed_reason(temps)
        reason = removed if reason is None else '%s, %s' % (reason, removed)
    return Plan(reason or 'identical', remote, remote, actions, temps_removed=temps)


# --- Static Large Objects --------------------------------------------------------------


def slo_reason(remote, segments, local, checksum):
    """Why the object ``remote`` is not the SLO of ``local``, or None when it is."""
    if remote is None:
        return 'absent'
    if remote.get('dlo_manifest'):
        return 'stored as a Dynamic Large Object'
    if not remote['is_slo']:
        return 'stored as a plain object'
    if remote['bytes'] != local.size:
        return 'content differs'
    return None if identical(remote, local, segments, quick=not checksum) else 'content differs'


def slo_segment_view(segments):
    """The segment list every module returns: name, bytes and the md5 as ``etag``."""
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
    result = dict(
        segments=slo_segment_view(segments),
        segments_expiry_changed=len(stale),
        # The stored SLO's own segment size (its first segment): no /info request.
        segment_size=segments[0]['bytes'] if segments else 0,
    )
    if not changes:
        return Plan('identical', before, before, **result)
    keep = after.get('delete_at') or 0
    actions = []
    if stale:
        actions.append(('expire_segments', stale, keep))
    if changes != ['segment expiry differs']:
        actions.append(('post', _swift.object_post_headers(metadata, content_type, keep)))
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
        if found and found['bytes'] == length and _swift.strip_etag(found['hash']) == local.md5_range(offset, length):
            reused.append(dict(job, etag=_swift.strip_etag(found['hash'])))
        else:
            upload.append(job)
    return upload, reused


def obsolete_segments(replaced_segments, segment_container, listing, name, keep, now, max_age, own_prefix):
    """Segment paths to delete once a new manifest (its segments under ``own_prefix``) is
    live: those the replaced manifest references, and this object's segments in ``listing``
    (entries of the segment container) of versions marked written (finished, and replaced
    since) or older than ``max_age`` (left by failed or killed runs), except ``keep``. Younger
    unmarked segments may belong to a concurrent upload and stay."""
    names = set(_swift.stale_segments(listing, name, now, max_age))
    names.update(_swift.finished_versions(listing, name, own_prefix)[0])
    paths = set('/%s/%s' % (segment_container, n) for n in names)
    paths.update(s['name'] for s in replaced_segments or ())
    return sorted(paths - set(keep))


def plan_slo_upload(before, reason, local, write, found):
    """An SLO to (re)write: ('upload', jobs, expiry), ('expire_segments', paths, expiry) of
    reused segments whose expiry differs, ('manifest', write), ('cleanup', keep).

    ``write``: container, name, segment_container, segment_size, prefix (this version's
    segment prefix), metadata, content_type, expiry. ``found`` (what the segment listing
    gave): upload and reused (segment jobs), reused_expiries ({path: X-Delete-At or 0}),
    obsolete (the segment paths the clean-up is predicted to delete).
    """
    path = '/%s/%%s' % write['segment_container']
    upload, reused, expiry = found['upload'], found['reused'], write['expiry']
    stale = sorted(p for p, value in found['reused_expiries'].items() if value != (expiry or 0))
    after = _swift.facts_of_object(
        write['container'],
        write['name'],
        '',
        local.size,
        write['content_type'],
        write['metadata'],
        slo=True,
        delete_at=expiry,
    )
    jobs = sorted(upload + reused, key=lambda j: j['offset'])
    actions = [('upload', upload, expiry)]
    if stale:
        actions.append(('expire_segments', stale, expiry or 0))
    actions += [
        ('manifest', dict(write, reused=reused, uploading=upload)),
        ('cleanup', dict(prefix=write['prefix'], paths=[path % j['name'] for j in jobs])),
    ]
    return Plan(
        reason,
        before,
        after,
        actions,
        segment_size=write['segment_size'],
        segments_uploaded=len(upload),
        segments_reused=len(reused),
        segments_deleted=len(found['obsolete']),
        segments_expiry_changed=len(stale),
        segments=[{'name': path % j['name'], 'bytes': j['bytes'], 'etag': j.get('etag', '')} for j in jobs],
    )


def upload_bytes(plan):
    """Bytes of the segments a plan uploads (reused ones move nothing)."""
    return sum(job['bytes'] for action in plan.actions if action.kind == 'upload' for job in action.args[0])


def plan_slo_absent(container, before, segments):
    """archive_slo state=absent: ('delete_slo',) with its segments."""
    if before is None:
        return Plan('already absent', segments=[], segments_deleted=0)
    if not before['is_slo']:
        raise ArchiveError(
            "SLO '%s' in container '%s' is a plain object, not an SLO: delete it "
            "with ncloud.archive.archive_object" % (before['name'], container)
        )
    return Plan(
        'present', before, None, [('delete_slo',)], segments=slo_segment_view(segments), segments_deleted=len(segments)
    )


# --- trees (archive_sync) ----------------------------------------------------------------


def listing_size(entry):
    """The data size of a listed object (an SLO's listed ``bytes`` is its data's size: the
    container server folds the manifest's ``swift_bytes`` into it in every Swift version)."""
    return entry.get('bytes')


def _listed_identical(entry, local, remote, hashes, quick_mtime=False):
    """Identity of a local file and a listed object: by size and local mtime not newer than
    the object (``quick_mtime``, as ``aws s3 sync``), else an SLO by its manifest (its recorded
    mtime first) and a plain object by the listing's md5."""
    if entry['name'] in remote and not quick_mtime:
        facts, segments = remote[entry['name']]
        if facts is not None and not _swift.is_large(facts) and local.path in hashes:
            local = _hash.Local(local.path, md5=hashes[local.path], size=local.size)
        return identical(facts, local, segments, quick=True)
    if listing_size(entry) != local.size:
        return False
    if quick_mtime:
        stored = _swift.listing_time(entry)
        return stored is not None and float(local.mtime) <= stored
    if local.path not in hashes:
        return False
    return identical(listed_facts(entry), _hash.Local(local.path, md5=hashes[local.path], size=local.size))


def plan_sync_upload(markers, files, listing, remote, hashes, desired):
    """archive_sync mode=upload; ``desired['create_container']``: the container is missing
    and is created first (('create_container',)).

    ``markers``: object names of the directory markers to have; ``files``: dicts with name,
    path, local (a Local) and large (at or above slo_threshold); ``listing``: {name: entry}
    of the prefix; ``remote``: {name: (facts, segments)} of the listed objects that were
    HEADed (the listing could not tell what they are); ``hashes``: {path: md5} of files
    hashed because a listed object has their size.
    ``desired``: compare, delete_extra, wanted (names never deleted: every local file and
    directory marker), deletable (the listed names the filters select), skipped ({rel: why}),
    expiry (the X-Delete-At of every object the run writes, or None).

    Actions: ('marker', name), ('put_file', file), ('slo', file, reason), then
    ('delete_listed', entry).
    """
    quick = desired['compare'] == 'size_and_mtime'
    actions, uploaded, slos, identical_names, created = [], [], [], [], []
    for name in markers:
        entry = listing.get(name)
        if entry is not None and listing_size(entry) == 0 and _swift.listing_content_type(entry) == DIRECTORY_TYPE:
            identical_names.append(name)
        else:
            actions.append(('marker', name))
            created.append(name)
    for item in files:
        entry = listing.get(item['name'])
        if entry is not None and _listed_identical(entry, item['local'], remote, hashes, quick):
            identical_names.append(item['name'])
            continue
        uploaded.append(item['name'])
        if item['large']:
            facts = remote.get(item['name'], (None, None))[0]
            reason = (
                'absent'
                if entry is None
                else (slo_reason(facts, None, item['local'], True) if facts is not None else 'content differs')
            )
            actions.append(('slo', item, reason))
            slos.append(item['name'])
        else:
            actions.append(('put_file', dict(item, listed=entry is not None)))
    deleted = []
    if desired['delete_extra']:
        wanted = desired['wanted']
        for name in sorted(listing):
            if name not in wanted and name in desired['deletable']:
                _swift.check_dot_segments(name, 'delete_extra: the object to delete')
                deleted.append(name)
                actions.append(('delete_listed', listing[name]))
    summary = _sync_summary('uploaded', uploaded, identical_names, created, deleted, desired['skipped'])
    added = [n for n in uploaded + created if n not in listing]
    replaced = [n for n in uploaded if n in listing]
    reason = _sync_reason(summary, 'uploaded')
    if desired.get('create_container'):
        actions.insert(0, ('create_container',))
        reason = 'container created; ' + reason
    return _tree_plan(
        reason,
        actions,
        dict(replaced=replaced, added=added, deleted=deleted, skipped=desired['skipped']),
        dict(summary=summary, uploaded=uploaded, slo=slos, markers=created),
        container_created=bool(desired.get('create_container')),
        segments_deleted=0,
        **({'delete_at': desired['expiry']} if desired.get('expiry') else {}),
    )


def replaced_by_files(plan):
    """Names of the objects that the plan's small files replace (('put_file', item) of a
    listed name): what is to be read before planning their segments' deletion."""
    return [item['name'] for (item,) in grouped(plan.actions, ACTION_KINDS)['put_file'] if item.get('listed')]


def plan_replaced_segments(plan, found):
    """``plan`` (of plan_sync_upload) with ('delete_replaced', name, paths) for each object
    a small file replaces that is a large one: its segments go once the file's PUT replaced
    it. ``found``: {name: (facts, segments)} of replaced_by_files(plan), read from every
    replica. Returns a new Plan; ``segments_deleted`` counts them."""
    added = []
    for name in replaced_by_files(plan):
        paths = [s['name'] for s in _swift.deletable_segments(*found.get(name, (None, None)))]
        if paths:
            added.append(('delete_replaced', name, paths))
    return Plan(
        plan.reason,
        plan.before,
        plan.after,
        plan.actions + tuple(added),
        plan.changed,
        **dict(plan.returns, segments_deleted=sum(len(paths) for _kind, _name, paths in added)),
    )


def versions_to_keep(plan, listing):
    """Names of the listed objects that ``plan`` (of plan_sync_upload) replaces or deletes:
    the versions that history keeps."""
    replaced = [n for n in list(plan.returns['uploaded']) + list(plan.returns['markers']) if n in listing]
    return sorted(set(replaced) | set(plan.returns['deleted']))


def plan_history(plan, listing, found, policy, now, history):
    """``plan`` (of plan_sync_upload, with its replaced segments) with history: before an
    object under the prefix is replaced or deleted, its version is copied into the history
    container (('keep_version', name, version, delete_at, segment_expiry), first of all, on
    the server), with the X-Delete-At that the retention ``policy`` gives the time it
    covered, from its listed ``last_modified`` to ``now`` (no later than the object's own
    expiry). A version the policy never keeps is not copied.

    The segments of a kept SLO or DLO are never deleted by the run: they get the version's
    expiry once nothing live uses them, where they would have been deleted. So a
    ('delete_replaced', name, paths) of a kept version becomes ('expire_replaced', name,
    paths, expiry); the expiry (``segment_expiry``) is 0 when the object had one of its own
    (its segments have it too, set when they were written, and an expiry is set only once).

    ``found``: {name: (facts, segments)} of versions_to_keep(); ``history``: container (its
    name) and exists (whether it exists). Returns a new Plan; ``history`` (returned) lists
    {name, version, delete_at} of every copy.
    """
    copies = []
    for name in versions_to_keep(plan, listing):
        created = _history.listed_time(listing[name])
        own = (found.get(name, (None, None))[0] or {}).get('delete_at')
        expiry = _retention.delete_at(policy, created, now) if created is not None else None
        if expiry is not None and own:
            expiry = min(expiry, own)
        if expiry is None or expiry <= now:
            continue
        version = _history.version_name(name, created)
        _swift.validate_object_name(version, "history: the version of '%s'" % name)
        copies.append({'name': name, 'version': version, 'delete_at': int(expiry), 'own': bool(own)})
    kept = dict((c['name'], c) for c in copies)
    actions = [a for a in plan.actions if a.kind == 'create_container']
    if copies and not history['exists']:
        actions.append(('create_history_container',))
    actions += [
        ('keep_version', c['name'], c['version'], c['delete_at'], 0 if c['own'] else c['delete_at']) for c in copies
    ]
    dropped = 0
    for action in plan.actions:
        if action.kind == 'create_container':
            continue
        if action.kind == 'delete_replaced' and action.args[0] in kept:
            copy = kept[action.args[0]]
            dropped += len(action.args[1])
            action = ('expire_replaced', copy['name'], action.args[1], 0 if copy['own'] else copy['delete_at'])
        actions.append(action)
    reason = plan.reason
    after = plan.after
    if copies:
        reason += ', %d version%s kept in history' % (len(copies), '' if len(copies) == 1 else 's')
        # The diff shows where each replaced or deleted version goes.
        after = dict(after or {}, kept_in_history=['%s/%s' % (history['container'], c['version']) for c in copies])
    return Plan(
        reason,
        plan.before,
        after,
        actions,
        plan.changed,
        **dict(
            plan.returns,
            history=[dict((k, c[k]) for k in ('name', 'version', 'delete_at')) for c in copies],
            history_container=history['container'],
            segments_deleted=plan.returns['segments_deleted'] - dropped,
        ),
    )


def plan_sync_download(entries, local_files, local_dirs, remote, hashes, desired):
    """archive_sync mode=download.

    ``entries``: dicts with name, rel ('a/b', or 'a/b/' for a directory), entry (the listing
    entry) and directory; ``local_files``: {rel: Local} of the regular files under path;
    ``local_dirs``: set of the directories there; ``remote`` and ``hashes`` as for upload
    (hashes keyed by local path). ``desired``: delete_extra, skipped, stale_temps (the
    relative paths of temp files that killed downloads left: nobody writes them), and, for
    a restore as of a time, from_history (the names whose version comes from history,
    returned as ``from_history`` when downloaded).

    Actions: ('remove_temp', rel), ('mkdir', rel), ('get', entry), then ('remove', rel).
    """
    temps = sorted(desired.get('stale_temps', ()))
    actions = [('remove_temp', rel) for rel in temps]
    downloaded, created, identical_names = [], [], []
    wanted = set()
    for item in entries:
        if item['directory']:
            rel = item['rel'].rstrip('/')
            wanted.add(rel)
            if rel in local_dirs:
                identical_names.append(item['name'])
            else:
                actions.append(('mkdir', rel))
                created.append(item['name'])
            continue
        wanted.add(item['rel'])
        local = local_files.get(item['rel'])
        if local is not None and _listed_identical(item['entry'], local, remote, hashes):
            identical_names.append(item['name'])
            continue
        actions.append(('get', item))
        downloaded.append(item['name'])
    deleted = []
    if desired['delete_extra']:
        for rel in sorted(local_files):
            if rel not in wanted:
                deleted.append(rel)
                actions.append(('remove', rel))
    summary = _sync_summary('downloaded', downloaded, identical_names, created, deleted, desired['skipped'])
    moved, made = set(downloaded), set(created)
    replaced = [i['rel'] for i in entries if i['name'] in moved and i['rel'] in local_files]
    added = [i['rel'] for i in entries if (i['name'] in moved and i['rel'] not in local_files) or i['name'] in made]
    reason = _sync_reason(summary, 'downloaded')
    if temps:
        removed = _tree.temps_removed_reason(temps)
        reason = removed if reason.startswith('all ') else '%s, %s' % (reason, removed)
    return _tree_plan(
        reason,
        actions,
        dict(replaced=replaced, added=added, deleted=deleted, skipped=desired['skipped'], temps=temps),
        dict(summary=summary, downloaded=downloaded, markers=created),
        temps_removed=temps,
        **(
            {'from_history': [n for n in downloaded if n in desired['from_history']]}
            if 'from_history' in desired
            else {}
        ),
    )


def verify_sample(sizes, fraction, day):
    """The names a restore drill reads today: a ``fraction`` of the bytes, a different part
    each ``day`` (days since the epoch), so that ceil(1 / fraction) drills in a row read
    everything.

    ``sizes``: {name: bytes}. The objects are laid along a circle of their total size, in the
    order of their names' md5 (a fixed order that spreads a directory over the circle; an
    empty object counts as one byte); the window of ``fraction`` of the circle starts where
    yesterday's ended, and the objects that start inside it are read: on average ``fraction``
    of the bytes, one object more or less.
    """
    if fraction >= 1 or not sizes:
        return set(sizes)
    order = sorted(sizes, key=lambda name: (_swift.md5_hex(name.encode('utf-8')), name))
    weights = [max(sizes[name], 1) for name in order]
    total = sum(weights)
    width = fraction * total
    start = (day * width) % total
    chosen, offset = set(), 0
    for name, weight in zip(order, weights):
        if (offset - start) % total < width:
            chosen.add(name)
        offset += weight
    return chosen


def _tree_plan(reason, actions, paths, names, **returns):
    """The Plan of a tree run. ``paths``: replaced, added, deleted and skipped (and the
    temp files it removes); ``names``: the summary and the name lists of the direction.
    The diff's before holds what is replaced and deleted, its after what is added and
    replaced."""
    replaced = sorted(paths['replaced'])
    return Plan(
        reason,
        {'replaced': replaced, 'deleted': paths['deleted'] + paths.get('temps', [])},
        {'added': sorted(paths['added']), 'replaced': replaced},
        actions,
        deleted=paths['deleted'],
        skipped_paths=sorted(paths['skipped']),
        **dict(names, **returns),
    )


def _sync_summary(moved, moved_names, identical_names, created, deleted, skipped):
    """The counts a tree run returns as ``summary``; ``moved`` names the direction."""
    return {
        moved: len(moved_names),
        'identical': len(identical_names),
        'markers': len(created),
        'deleted': len(deleted),
        'skipped': len(skipped),
    }


def _sync_reason(summary, moved):
    parts = [
        '%d %s' % (summary[key], label)
        for key, label in (
            (moved, moved),
            ('markers', 'markers created' if moved == 'uploaded' else 'directories created'),
            ('deleted', 'deleted'),
        )
        if summary[key]
    ]
    return ', '.join(parts) if parts else 'all %d identical' % summary['identical']
