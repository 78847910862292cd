# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Object I/O that every module shares: observing an object (a HEAD, then an SLO's manifest
or a DLO's segment listing), POSTing to an SLO's manifest safely, and the verified download
with its one retry. The facts they return have the one shape _swift.facts_of_object builds.

Internal use only: this file is not a public API of the collection. It does not import
Ansible; it works on a _client.Client (or a pool worker, which is one).
"""

from __future__ import annotations

from ansible_collections.ncloud.archive.plugins.module_utils import _swift, _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


def observe(client, container, name, newest=False):
    """(facts, segments) of an object: an SLO's manifest, a DLO's segments listing, [] for a
    plain one; (None, None) when there is none. ``newest``: read from every replica (reads
    that decide a deletion)."""
    facts = client.head_object(container, name, newest=newest)
    if facts is None:
        return None, None
    return facts, segments(client, container, name, facts, newest=newest)


def segments(client, container, name, facts, newest=False):
    """The segments of the object ``facts`` describe (from a HEAD or a GET answer): an SLO's
    manifest, a DLO's segments listing, [] for a plain one."""
    if facts['is_slo']:
        return client.get_manifest(container, name, newest=newest) or []
    if facts.get('dlo_manifest'):
        return dlo_segments(client, container, name, facts)
    return []


def dlo_segments(client, container, name, facts):
    """The segments of the DLO ``facts`` describes, listed from its manifest's container and
    prefix (name order). Its size is theirs: Swift answers none for a DLO of more segments
    than a listing page."""
    segment_container, prefix = _swift.dlo_parts(facts)
    entries = client.list_container(segment_container, prefix=prefix) or []
    segments = _swift.dlo_segments(segment_container, entries, '/%s/%s' % (container, name))
    if facts['bytes'] is None:  # what Swift gives a DLO whose listing fits one page
        facts['bytes'] = sum(s['bytes'] for s in segments)
        facts['etag'] = _swift.slo_etag([s['hash'] for s in segments])
    return segments


def post_manifest(client, container, name, headers, segments):
    """POST metadata, content type or expiry to an SLO's manifest, then make sure it still is
    one: on Swift 2.15.1 (fixed in 2.15.2) a POST shortly after the manifest PUT can reach a
    replica without it and drop ``X-Static-Large-Object``, so that the object reads as its
    manifest's JSON. Read back from every replica; when it is no longer an SLO, PUT the
    manifest (``segments``, as read before) again with the POSTed headers."""
    client.post_object(container, name, headers)
    after = client.head_object(container, name, newest=True)
    if after is not None and not after['is_slo']:
        headers = dict(headers)
        content_type = headers.pop('Content-Type', None) or after['content_type']
        client.put_manifest(container, name, _swift.manifest_put_body(segments), content_type, headers)


def fetch_verified(fetch, what, dest):
    """Run ``fetch()``, a download of ``what`` into ``dest`` that is verified while it
    streams and renamed into place only when whole. Bytes damaged on the way are worth one
    more try: returns (what fetch returned, None) or, after a retry that succeeded, (that,
    why the first try failed), for the module to warn. Every failure says that ``dest`` was
    left as it was."""
    retried = None
    try:
        try:
            return fetch(), retried
        except ArchiveError as exc:
            if not _transfer.is_verify_error(exc):
                raise
            retried = 'the download of %s failed its md5 check (%s) and was retried' % (what, exc.message)
            return fetch(), retried
    except ArchiveError as exc:
        raise ArchiveError(
            "download of %s failed, '%s' was left as it was: %s" % (what, dest, exc.message),
            exc.status,
            exc.transaction_id,
        ) from exc
    except OSError as exc:
        raise ArchiveError("could not write '%s' (left as it was): %s" % (dest, exc)) from exc
