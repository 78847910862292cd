# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Swift protocol details: names, metadata, ACLs, listings, facts, bulk responses.

Internal use only: this file is not a public API of the collection. Plain Python: no
Ansible, no HTTP; everything here is a pure function of its arguments.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
from urllib.parse import quote, unquote, urlsplit

from ansible_collections.ncloud.archive.plugins.module_utils._errors import (
    DEFAULT_LIMITS,
    ArchiveError,
)

CONTAINER_NAME_MAX_BYTES = 256
DOT_SEGMENTS = ('.', '..')
_META_KEY_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9-]*$')


def _utf8(value):
    return value.encode('utf-8', 'surrogatepass')


def validate_container_name(name, option='name'):
    """A container name Swift accepts: 1-256 bytes of UTF-8, no '/', no NUL, not '.' or '..'."""
    if not isinstance(name, str) or not name:
        raise ArchiveError('%s: a container name must be a non-empty string' % option)
    _check_text(name, option)
    if name in DOT_SEGMENTS:
        # The URL .../AUTH_x/. or /.. is normalised to the account or above it.
        raise ArchiveError(
            "%s: %r cannot be a container name: HTTP clients resolve '.' and '..' "
            "as paths, so the request would reach the account; choose another name" % (option, name)
        )
    if '/' in name:
        raise ArchiveError(
            "%s: container name %r must not contain '/' (Swift reads it as a path);"
            " put the part after '/' into the object name instead" % (option, name)
        )
    if len(_utf8(name)) > CONTAINER_NAME_MAX_BYTES:
        raise ArchiveError(
            '%s: container name is %d bytes of UTF-8, the limit is %d'
            % (option, len(_utf8(name)), CONTAINER_NAME_MAX_BYTES)
        )
    return name


def validate_object_name(name, option='name', limits=None):
    """An object name Swift accepts: 1-1024 bytes of UTF-8 (or the cluster's limit), no NUL."""
    limit = (limits or DEFAULT_LIMITS)['max_object_name_length']
    if not isinstance(name, str) or not name:
        raise ArchiveError('%s: an object name must be a non-empty string' % option)
    _check_text(name, option)
    if len(_utf8(name)) > limit:
        raise ArchiveError('%s: object name is %d bytes of UTF-8, the limit is %d' % (option, len(_utf8(name)), limit))
    check_dot_segments(name, option)
    return name


def check_dot_segments(name, option):
    """Refuse a name (or prefix) with a '.' or '..' segment between slashes.

    swiftclient quotes names but leaves '.' and '..' alone, and requests/urllib3 remove dot
    segments before sending: 'c/../victim' would reach the container 'victim'.
    """
    if any(part in DOT_SEGMENTS for part in name.split('/')):
        raise ArchiveError(
            "%s: %r has a '.' or '..' path segment, which HTTP clients resolve "
            "before sending (the request would reach another object or "
            "container); remove it from the name" % (option, name)
        )
    return name


def check_header_value(value, option):
    """A value sent as an HTTP header (ACL, content type): no line breaks, no NUL."""
    if value is not None and any(c in value for c in '\r\n\x00'):
        # The value is not repeated: it may be a key.
        raise ArchiveError('%s must not contain line breaks or NUL: it is sent as an HTTP header' % option)
    return value


def _check_text(value, option):
    if '\x00' in value:
        raise ArchiveError('%s: %r contains a NUL character, which Swift rejects' % (option, value))
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise ArchiveError('%s: %r is not valid UTF-8 text' % (option, value)) from None


# --- metadata ------------------------------------------------------------------------


def normalize_metadata(metadata, option='metadata', limits=None):
    """Check user metadata against Swift's limits; return it with lower-case keys.

    Swift stores metadata keys case-insensitively (as HTTP headers), so keys are compared
    lower-cased. Underscores are refused: HTTP servers turn them into '-' or drop them.
    """
    limits = limits or DEFAULT_LIMITS
    if metadata is None:
        return None
    normalized = {}
    overall = 0
    for key, value in metadata.items():
        key = str(key).strip()
        if not _META_KEY_RE.match(key):
            raise ArchiveError(
                "%s: key %r may contain only letters, digits and '-' (no '_', spaces"
                " or other characters: HTTP turns them into something else)" % (option, key)
            )
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            raise ArchiveError(
                '%s: the value of %r must be a string or a number, not %s' % (option, key, type(value).__name__)
            )
        value = str(value)
        if '\r' in value or '\n' in value:
            raise ArchiveError('%s: the value of %r must not contain line breaks' % (option, key))
        _check_text(value, option)
        if len(_utf8(key)) > limits['max_meta_name_length']:
            raise ArchiveError('%s: key %r is longer than %d bytes' % (option, key, limits['max_meta_name_length']))
        if len(_utf8(value)) > limits['max_meta_value_length']:
            raise ArchiveError(
                '%s: the value of %r is longer than %d bytes' % (option, key, limits['max_meta_value_length'])
            )
        lower = key.lower()
        if lower in normalized:
            raise ArchiveError('%s: key %r is given twice (keys are case-insensitive)' % (option, key))
        normalized[lower] = value
        overall += len(_utf8(lower)) + len(_utf8(value))
    if len(normalized) > limits['max_meta_count']:
        raise ArchiveError(
            '%s: %d items, Swift allows at most %d' % (option, len(normalized), limits['max_meta_count'])
        )
    if overall > limits['max_meta_overall_size']:
        raise ArchiveError(
            '%s: %d bytes of keys and values, Swift allows at most %d in total'
            % (option, overall, limits['max_meta_overall_size'])
        )
    return normalized


# Metadata keys with a meaning to Swift's middleware: quotas (container_quotas) and the keys
# that sign temporary URLs (tempurl). They have options of their own; the keys are secrets.
QUOTA_META = {'quota_bytes': 'quota-bytes', 'quota_count': 'quota-count'}
TEMP_URL_KEY_META = {'temp_url_key': 'temp-url-key', 'temp_url_key_2': 'temp-url-key-2'}
SETTINGS_META = frozenset(QUOTA_META.values()) | frozenset(TEMP_URL_KEY_META.values())


def metadata_from_headers(headers, kind):
    """User metadata (lower-case keys) of a HEAD response; ``kind`` is 'account', 'container'
    or 'object'. Account and container quotas and temp URL keys are not user metadata (and
    the keys must never be shown)."""
    prefix = 'x-%s-meta-' % kind
    meta = dict((k[len(prefix) :].lower(), v) for k, v in headers.items() if k.lower().startswith(prefix))
    if kind != 'object':
        meta = dict((k, v) for k, v in meta.items() if k not in SETTINGS_META)
    return meta


def temp_url_keys(headers, kind):
    """{option: value} of the temp URL keys a container or account HEAD shows its owner."""
    prefix = 'x-%s-meta-' % kind
    lower = dict((k.lower(), v) for k, v in headers.items())
    return dict((option, lower[prefix + key]) for option, key in TEMP_URL_KEY_META.items() if lower.get(prefix + key))


def plan_metadata(current, desired, purge):
    """The metadata to set and the keys to remove to go from ``current`` to ``desired``.

    ``desired`` None means "not managed". Without ``purge`` keys not in ``desired`` stay.
    Returns (to_set, to_remove, after).
    """
    current = current or {}
    if desired is None:
        return {}, [], dict(current)
    to_set = dict((k, v) for k, v in desired.items() if current.get(k) != v)
    to_remove = sorted(k for k in current if k not in desired) if purge else []
    after = dict(current)
    after.update(desired)
    for key in to_remove:
        del after[key]
    return to_set, to_remove, after


def container_metadata_headers(to_set, to_remove):
    headers = dict(('X-Container-Meta-%s' % k, v) for k, v in to_set.items())
    headers.update(('X-Remove-Container-Meta-%s' % k, 'x') for k in to_remove)
    return headers


def object_metadata_headers(metadata):
    return dict(('X-Object-Meta-%s' % k, v) for k, v in (metadata or {}).items())


def object_post_headers(metadata, content_type, delete_at):
    """Headers of an object POST, which replaces all user metadata and the expiry.

    Swift drops an expiry that a POST does not repeat, so an existing one is sent again. An
    expiry is always the absolute ``X-Delete-At``: Swift 2.15.1 computes ``X-Delete-After``
    on each replica (fixed in 2.15.2).
    """
    headers = object_metadata_headers(metadata)
    if content_type:
        headers['Content-Type'] = content_type
    if delete_at:
        headers['X-Delete-At'] = str(delete_at)
    return headers


# --- temporary URLs ------------------------------------------------------------------


# The API version segment of a storage URL's path, followed by the account.
_API_VERSION = re.compile(r'/v\d+(\.\d+)?/[^/]+/')


def temp_url_digest(limits):
    """The digest to sign temporary URLs with: sha256 when /info's tempurl section allows it,
    else sha1 (what every tempurl since before Pike accepts)."""
    return 'sha256' if 'sha256' in limits.get('tempurl_digests', ()) else 'sha1'


def temp_url(storage_url, container, name, method, expires, key, digest='sha256'):
    """A signed temporary URL of an object: Swift's tempurl checks an HMAC of the method, the
    expiry and the (unquoted) path, in hex.

    The path Swift checks starts at the API version (``/v1/AUTH_<project>/...``): a storage
    URL behind a gateway prefix (NAVER's API gateway serves ``/swift/v1/...``) keeps the
    prefix in the URL, but the prefix, which the gateway strips, is not signed.
    """
    base = storage_url.rstrip('/')
    path = '%s/%s/%s' % (urlsplit(base).path, container, name)
    version = _API_VERSION.search(path)
    body = '%s\n%d\n%s' % (method, expires, path[version.start() :] if version else path)
    signature = hmac.new(_utf8(key), _utf8(body), getattr(hashlib, digest)).hexdigest()
    return '%s/%s/%s?temp_url_sig=%s&temp_url_expires=%d' % (
        base,
        quote(container, safe=''),
        quote(name),
        signature,
        expires,
    )


# --- retention -----------------------------------------------------------------------

NO_EXPIRY = 'never'


def parse_delete_at(value, option='delete_at'):
    """Epoch seconds from epoch seconds or an ISO 8601 date/time (UTC unless it says
    otherwise); 0 for 'never' (remove the expiry); None when not given."""
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() == NO_EXPIRY:
        return 0
    if text.isdigit():
        return int(text)
    try:
        stamp = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise ArchiveError(
            "%s: %r is neither epoch seconds, an ISO 8601 date such as "
            "'2027-06-30T00:00:00Z', nor %r" % (option, value, NO_EXPIRY)
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return int(stamp.timestamp())


def plan_expiry(current, delete_at, delete_after, now, rewritten):
    """The ``X-Delete-At`` an object should end with: epoch seconds, 0 for none, or None when
    the task does not manage it (a PUT then stores none, a POST repeats ``current``).

    ``delete_after`` counts from when the object is written: it sets now + delete_after on a
    (re)write and on an object without expiry, and keeps an existing expiry otherwise, so
    that a re-run changes nothing. ``delete_at`` is absolute.
    """
    if delete_at is not None:
        return delete_at
    if delete_after is not None:
        if current and not rewritten:
            return current
        return int(now) + delete_after
    return None


def expiry_headers(target):
    """Headers that give a PUT or POST the expiry ``target`` (0 or None: none)."""
    return {'X-Delete-At': str(target)} if target else {}


def new_md5():
    """An md5 for ETags, which Swift defines as md5: not a security use, so it also works
    where FIPS mode refuses md5 for security."""
    try:
        return hashlib.md5(usedforsecurity=False)
    except TypeError:  # pragma: no cover - Python < 3.9
        return hashlib.md5()  # nosec - an ETag, not a security use


def md5_hex(data):
    digest = new_md5()
    digest.update(data)
    return digest.hexdigest()


def split_segment_path(path):
    """('container', 'object') of a manifest's '/container/object' segment name."""
    container, _sep, name = path.lstrip('/').partition('/')
    if not container or not name:
        raise ArchiveError('the SLO manifest names a segment without container or object: %r' % path)
    check_dot_segments(path, 'the segment')
    return container, name


# --- ACLs ----------------------------------------------------------------------------


def normalize_acl(acl):
    """Swift stores container ACLs comma-separated without spaces; compare them that way."""
    if acl is None:
        return None
    return ','.join(part.strip() for part in acl.split(',') if part.strip())


def setting_headers(settings):
    """Headers that set, or remove (desired '' or 0), the settings that differ.

    ``settings`` are (header without 'X-', current, desired); desired None means unmanaged.
    """
    headers = {}
    for header, current, desired in settings:
        if desired is None or desired == current:
            continue
        if desired:
            headers['X-%s' % header] = str(desired)
        else:
            headers['X-Remove-%s' % header] = 'x'
    return headers


def acl_headers(current_read, current_write, read_acl, write_acl):
    """Headers that set (or remove, for '') the ACLs that differ. None means unmanaged."""
    return setting_headers(
        (('Container-Read', current_read or '', read_acl), ('Container-Write', current_write or '', write_acl))
    )


# --- facts ---------------------------------------------------------------------------


def to_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def container_facts(name, headers):
    lower = dict((k.lower(), v) for k, v in headers.items())
    facts = {
        'name': name,
        'object_count': to_int(lower.get('x-container-object-count')),
        'bytes': to_int(lower.get('x-container-bytes-used')),
        'metadata': metadata_from_headers(lower, 'container'),
        'read_acl': lower.get('x-container-read', ''),
        'write_acl': lower.get('x-container-write', ''),
    }
    for option, key in QUOTA_META.items():
        facts[option] = to_int(lower.get('x-container-meta-' + key))
    keys = temp_url_keys(lower, 'container')
    for option in TEMP_URL_KEY_META:
        facts[option + '_set'] = option in keys
    return facts


def parse_quota(value, option):
    """A quota option in bytes or objects (a number, sizes already parsed): None (leave it
    alone), 0 (remove it) or a positive number."""
    if value is None:
        return None
    if value < 0:
        raise ArchiveError('%s must be 0 (no quota) or more, not %d' % (option, value))
    return value


def quota_headers(current, desired):
    """Container headers that move the quotas from ``current`` to ``desired`` (both dicts of
    quota_bytes / quota_count; None: unmanaged, 0: none)."""
    return setting_headers(
        ('Container-Meta-%s' % key, current.get(option) or 0, desired.get(option)) for option, key in QUOTA_META.items()
    )


def temp_url_key_headers(current, desired):
    """Container headers that set ('' removes) the temp URL keys that differ."""
    return setting_headers(
        ('Container-Meta-%s' % key, current.get(option, ''), desired.get(option))
        for option, key in TEMP_URL_KEY_META.items()
    )


def strip_etag(etag):
    return (etag or '').strip('"').lower()


def is_slo(headers):
    return str(headers.get('x-static-large-object', '')).lower() == 'true'


def dlo_manifest(headers):
    """(container, prefix) of a Dynamic Large Object's ``X-Object-Manifest``, or None.

    The value is ``<container>/<prefix>``, each part URL-quoted (Swift unquotes them)."""
    value = headers.get('x-object-manifest')
    if not value or '/' not in value:
        return None
    container, prefix = value.split('/', 1)
    return unquote(container), unquote(prefix)


def facts_of_object(container, name, etag, size, content_type, metadata, slo=False, **extra):
    """The one shape of an object's facts, as every module returns it (RETURN ``object``):
    container, name, etag, bytes, content_type, last_modified, metadata, is_slo, and when
    they apply delete_at and dlo_manifest (``extra``, left out when empty)."""
    facts = {
        'container': container,
        'name': name,
        'etag': etag,
        'bytes': size,
        'content_type': content_type,
        'last_modified': extra.pop('last_modified', ''),
        'metadata': metadata,
        'is_slo': slo,
    }
    facts.update((key, value) for key, value in extra.items() if value)
    return facts


def object_facts(container, name, headers):
    """An object's facts from its HEAD (or GET) answer."""
    manifest = dlo_manifest(headers)
    return facts_of_object(
        container,
        name,
        strip_etag(headers.get('etag')),
        to_int(headers.get('content-length')),
        headers.get('content-type', ''),
        metadata_from_headers(headers, 'object'),
        is_slo(headers),
        last_modified=headers.get('last-modified', ''),
        dlo_manifest='%s/%s' % manifest if manifest is not None else None,
        delete_at=to_int(headers['x-delete-at']) if headers.get('x-delete-at') else None,
    )


def object_diff_view(facts):
    """What diff mode shows of an object."""
    if not facts:
        return {}
    return dict((k, facts[k]) for k in ('etag', 'bytes', 'content_type', 'metadata'))


def listing_entry(entry):
    """One item of a container listing as returned to the user."""
    if 'subdir' in entry:
        return {'subdir': entry['subdir']}
    item = {
        'name': entry.get('name'),
        'bytes': entry.get('bytes'),
        'hash': entry.get('hash'),
        'content_type': entry.get('content_type'),
        'last_modified': entry.get('last_modified'),
    }
    if 'slo_etag' in entry:
        item['slo_etag'] = strip_etag(entry['slo_etag'])
    return item


# What the swift CLI takes for a directory marker (the second from older clients).
DIRECTORY_TYPES = ('application/directory', 'text/directory')


def newest_entry(entries, now):
    """The most recently changed object of listing ``entries`` (directory markers and
    subdir entries aside) with its age in whole seconds at ``now``; None when there is none.
    Swift writes ``last_modified`` in one fixed-width form (UTC, microseconds padded in
    2.15.1's ``Timestamp.isoformat``), so the text orders them to the microsecond."""
    found = [
        e
        for e in entries
        if 'name' in e
        and listing_time(e) is not None
        and not (e.get('bytes') == 0 and listing_content_type(e) in DIRECTORY_TYPES)
    ]
    if not found:
        return None
    entry = max(found, key=lambda e: (e['last_modified'], e['name']))
    return {
        'name': entry['name'],
        'bytes': entry.get('bytes'),
        'last_modified': entry['last_modified'],
        'age_seconds': max(int(now - listing_time(entry)), 0),
    }


def listing_content_type(entry):
    """Content type of a listing entry without parameters (older Swift adds ;swift_bytes=)."""
    return (entry.get('content_type') or '').split(';')[0].strip()


def listing_says_slo(entry):
    """Whether a listing entry shows an SLO manifest. Only Swift 2.19 and later say so
    (``slo_etag``); on 2.15.1 (NAVER's) an SLO lists like a plain object of its data's size
    whose ``hash`` is the manifest's md5, and only a HEAD (``X-Static-Large-Object``) tells."""
    return 'slo_etag' in entry


# Sent on reads that decide a deletion: the proxy asks every replica and answers the newest.
NEWEST_HEADERS = {'X-Newest': 'true'}


def parse_manifest(body):
    """Segments of a ``?multipart-manifest=get`` answer: list of {name, bytes, hash}."""
    if isinstance(body, bytes):
        body = body.decode('utf-8')
    try:
        raw = json.loads(body)
    except ValueError:
        raise ArchiveError('the SLO manifest is not valid JSON') from None
    if not isinstance(raw, list):
        raise ArchiveError('the SLO manifest is not a list of segments')
    segments = []
    for item in raw:
        if not isinstance(item, dict) or 'name' not in item or 'bytes' not in item:
            raise ArchiveError('the SLO manifest has an entry without name or bytes: %r' % (item,))
        segment = {'name': item['name'], 'bytes': int(item['bytes']), 'hash': strip_etag(item.get('hash'))}
        if 'range' in item:
            segment['range'] = item['range']
        if item.get('sub_slo'):
            # A nested SLO: its hash is the sub-manifest's ETag, not the md5 of its bytes.
            segment['sub_slo'] = True
        segments.append(segment)
    return segments


# --- listings ------------------------------------------------------------------------


def page_through(fetch, marker=None, limit=None, page_size=10000):
    """All entries of a listing, fetched page by page.

    ``fetch(marker, page_limit)`` returns one page (a list of dicts with 'name' or 'subdir').
    Stops after ``limit`` entries when given, else when a page comes back short.
    """
    entries = []
    while True:
        want = page_size if limit is None else min(page_size, limit - len(entries))
        if want <= 0:
            return entries
        page = fetch(marker, want)
        entries.extend(page)
        if len(page) < want or not page:
            return entries
        last = page[-1]
        marker = last.get('name', last.get('subdir'))


# --- bulk delete ---------------------------------------------------------------------


def bulk_delete_body(paths):
    """Body of a ``?bulk-delete`` request: one URL-quoted ``/container/object`` a line."""
    return '\n'.join(quote(path) for path in paths).encode('utf-8')


class BulkDeleteError(ArchiveError):
    """A bulk delete that did not delete everything: ``deleted`` were, ``retry`` lists the
    paths (as the answer names them) that failed with a server error, when those are all the
    failures (worth another try), else it is empty."""

    def __init__(self, message, deleted, retry):
        super().__init__(message)
        self.deleted = deleted
        self.retry = retry


def parse_bulk_delete(body):
    """(deleted, not_found) of a bulk-delete answer; raises BulkDeleteError if anything failed.

    Swift answers 200 even when the deletion failed: the outcome is only in the body.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    try:
        result = json.loads(body)
    except ValueError:
        raise ArchiveError('bulk delete answered something that is not JSON: %r' % body[:200]) from None
    status = str(result.get('Response Status', ''))
    errors = result.get('Errors') or []
    deleted = int(result.get('Number Deleted', 0))
    if errors or not status.startswith('200'):
        shown = '; '.join('%s: %s' % tuple(e) if isinstance(e, list) and len(e) == 2 else str(e) for e in errors[:5])
        pairs = [e for e in errors if isinstance(e, list) and len(e) == 2]
        transient = (
            bool(errors)
            and len(pairs) == len(errors)
            and all(str(code).startswith(('5', '429')) for _path, code in pairs)
        )
        raise BulkDeleteError(
            'bulk delete failed (%s): %s%s'
            % (
                status,
                shown or result.get('Response Body', ''),
                ' and %d more' % (len(errors) - 5) if len(errors) > 5 else '',
            ),
            deleted,
            [path for path, _code in pairs] if transient else [],
        )
    return deleted, int(result.get('Number Not Found', 0))


# --- bulk upload (extract-archive) -------------------------------------------------------

# New small files go to a server with ``bulk_upload`` in tar archives (``?extract-archive=tar``):
# files of up to BULK_FILE_MAX bytes, archives of up to BULK_ARCHIVE_BYTES and
# BULK_ARCHIVE_FILES, and only when at least BULK_MIN_FILES would go (fewer are as fast one
# by one). Each archive is built in memory: BULK_THREADS of them at a time at most.
BULK_FILE_MAX = 1024 * 1024
BULK_ARCHIVE_BYTES = 2 * 1024 * 1024
BULK_ARCHIVE_FILES = 1000
BULK_MIN_FILES = 8
BULK_THREADS = 8


def bulk_archives(items, failed_limit):
    """``items`` (dicts with name and size), in order, as the lists that go in one archive
    each: at most BULK_ARCHIVE_BYTES (one larger file alone), BULK_ARCHIVE_FILES, and fewer
    files than the server's ``max_failed_extractions`` (it stops reading an archive after
    that many failures)."""
    limit = max(1, min(BULK_ARCHIVE_FILES, failed_limit))
    archives, current, size = [], [], 0
    for item in items:
        if current and (len(current) >= limit or size + item['size'] > BULK_ARCHIVE_BYTES):
            archives.append(current)
            current, size = [], 0
        current.append(item)
        size += item['size']
    if current:
        archives.append(current)
    return archives


def bulk_member_headers(mtime, content_type):
    """The pax headers of a tar member that Swift's extract-archive (2.15.1's bulk.py,
    pax_key_to_swift_header) turns into the object's headers: its mtime as
    ``X-Object-Meta-Mtime`` and its content type."""
    return {'SCHILY.xattr.user.meta.mtime': mtime, 'SCHILY.xattr.user.mime_type': content_type}


def bulk_name_ok(name):
    """Whether an object name may go in an archive: printable ASCII. Swift 2.15.1 runs on
    Python 2, whose tar reader decodes other names in ways the lab (Python 3) cannot show;
    such files go one by one."""
    return all(32 < ord(char) < 127 for char in name)


def parse_bulk_extract(body, container):
    """(created, failed) of an extract-archive answer: the number of objects created and
    the object names (in ``container``) that failed, each with its status. Swift answers
    200 whatever happened: the outcome is only in the body. An answer that says the archive
    itself was refused raises."""
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    try:
        result = json.loads(body.strip() or '{}')
    except ValueError:
        raise ArchiveError('bulk upload answered something that is not JSON: %r' % body[:200]) from None
    failed = {}
    for entry in result.get('Errors') or []:
        if isinstance(entry, list) and len(entry) == 2:
            path = unquote(str(entry[0])).lstrip('/')
            failed[path.split('/', 1)[1] if path.startswith(container + '/') else path] = str(entry[1])
    created = int(result.get('Number Files Created', 0) or 0)
    status = str(result.get('Response Status', ''))
    if not failed and not status.startswith(('200', '201')):
        raise ArchiveError(
            'bulk upload (extract-archive) into container %r failed (%s): %s'
            % (container, status, result.get('Response Body', ''))
        )
    return created, failed


# --- Static Large Objects ------------------------------------------------------------

MIB = 1024 * 1024
DEFAULT_SEGMENT_SIZE = 64 * MIB


def source_mtime(mtime):
    """The file's mtime as the ``swift`` CLI records it in ``X-Object-Meta-Mtime``."""
    return '%f' % mtime


def segment_prefix(name, mtime, size, segment_size):
    """Where one version of a file's segments live: the ``swift`` CLI's naming scheme.

    ``mtime`` is the string of ``source_mtime()``.

    A CLI-started upload of the same file version can therefore be resumed, and a re-run
    finds the segments an interrupted run left.
    """
    return '%s/slo/%s/%d/%d/' % (name, mtime, size, segment_size)


def segment_name(prefix, index):
    return '%s%08d' % (prefix, index)


def versions_prefix(name):
    """Prefix under which all versions of ``name``'s segments live."""
    return '%s/slo/' % name


_SEGMENT_TAIL_RE = re.compile(r'^[0-9.]+/[0-9]+/[0-9]+/[0-9]{8}$')

# A version's "written" marker: a zero-byte object beside its segments, PUT by the run that
# wrote the version once its manifest read back live. It tells a later writer of the name
# that these segments are a finished version, not an upload still under way (docs/design.md,
# "Concurrent writers"). It expires by itself a day later, so a version deleted by a
# deleter that does not know of markers leaves none for long.
WRITTEN_MARKER = 'written'
MARKER_TTL = 86400
_MARKER_TAIL_RE = re.compile(r'^[0-9.]+/[0-9]+/[0-9]+/%s$' % WRITTEN_MARKER)


def marker_name(prefix):
    """The written marker of the version whose segments are under ``prefix``."""
    return prefix + WRITTEN_MARKER


def finished_versions(entries, name, own_prefix):
    """(segments, markers): names of the listed segments of ``name``'s versions that carry a
    written marker, and those markers; the version under ``own_prefix`` is not among them."""
    prefix = versions_prefix(name)
    marked = set()
    for entry in entries:
        entry_name = entry.get('name') or ''
        if entry_name.startswith(prefix) and _MARKER_TAIL_RE.match(entry_name[len(prefix) :]):
            marked.add(entry_name[: -len(WRITTEN_MARKER)])
    marked.discard(own_prefix)
    segments = [
        e['name']
        for e in entries
        if is_segment_of(e.get('name') or '', name) and e['name'].rsplit('/', 1)[0] + '/' in marked
    ]
    return segments, sorted(marker_name(p) for p in marked)


def is_segment_of(segment, name):
    """Whether ``segment`` (an object name) is named like one of ``name``'s SLO segments."""
    prefix = versions_prefix(name)
    return segment.startswith(prefix) and bool(_SEGMENT_TAIL_RE.match(segment[len(prefix) :]))


def listing_time(entry):
    """A listing entry's ``last_modified`` (UTC, ISO 8601 without zone) as epoch seconds, or
    None when it is missing or unreadable."""
    value = entry.get('last_modified') or ''
    try:
        stamp = datetime.datetime.strptime(value[:19], '%Y-%m-%dT%H:%M:%S')
    except ValueError:
        return None
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


def stale_segments(entries, name, now, max_age):
    """Names of the listed segments of ``name`` last modified more than ``max_age`` seconds
    before ``now``: left by runs that failed or were killed long ago. Younger ones may belong
    to an upload that is still running elsewhere."""
    stale = []
    for entry in entries:
        segment = entry.get('name')
        modified = listing_time(entry)
        if segment and modified is not None and is_segment_of(segment, name) and now - modified > max_age:
            stale.append(segment)
    return stale


def segment_count(size, segment_size):
    return max(1, -(-size // segment_size))


def choose_segment_size(size, limits, requested=None):
    """The segment size to use; raises ArchiveError when ``requested`` cannot work.

    Without a request: the smallest power-of-two MiB size >= 64 MiB that keeps the number of
    segments within the server's ``max_manifest_segments``.
    """
    max_segments = limits['slo_max_manifest_segments']
    minimum = max(limits['slo_min_segment_size'], 1)
    smallest = max(-(-size // max_segments), minimum)
    if requested is not None:
        if requested < minimum:
            raise ArchiveError('segment_size must be at least %d bytes on this server' % minimum)
        if requested > limits['max_file_size']:
            raise ArchiveError(
                'segment_size must be at most %d bytes (the largest object this '
                'server accepts)' % limits['max_file_size']
            )
        if segment_count(size, requested) > max_segments:
            raise ArchiveError(
                'segment_size %d would need %d segments, this server allows %d: use '
                'segment_size %d or more' % (requested, segment_count(size, requested), max_segments, smallest)
            )
        return requested
    segment_size = DEFAULT_SEGMENT_SIZE
    while segment_count(size, segment_size) > max_segments:
        segment_size *= 2
    return segment_size


def slices(size, segment_size):
    """(index, offset, length) of each segment of a file of ``size`` bytes; one for an empty file."""
    if size == 0:
        return [(0, 0, 0)]
    return [(i, offset, min(segment_size, size - offset)) for i, offset in enumerate(range(0, size, segment_size))]


def manifest_body(segment_container, segments):
    """The JSON of a manifest PUT: ``segments`` are dicts with name, etag and bytes."""
    return json.dumps(
        [
            {'path': '/%s/%s' % (segment_container, s['name']), 'etag': s['etag'], 'size_bytes': s['bytes']}
            for s in segments
        ]
    )


def dlo_segments(container, entries, manifest_name=None):
    """A DLO's segments from the listing of its manifest's container and prefix, in name
    order (the order Swift joins them), in the shape of a parsed SLO manifest. The manifest
    itself, were it under its own prefix, is no segment."""
    return [
        {'name': '/%s/%s' % (container, e['name']), 'bytes': int(e['bytes']), 'hash': strip_etag(e.get('hash'))}
        for e in entries
        if 'name' in e and '/%s/%s' % (container, e['name']) != manifest_name
    ]


def dlo_parts(facts):
    """(container, prefix) of the DLO ``facts`` describes (its ``dlo_manifest``, unquoted)."""
    container, prefix = facts['dlo_manifest'].split('/', 1)
    return container, prefix


def dlo_manifest_header(facts):
    """The ``X-Object-Manifest`` value that keeps the DLO ``facts`` describes a DLO."""
    container, prefix = dlo_parts(facts)
    return '%s/%s' % (quote(container, safe=''), quote(prefix))


def is_large(facts):
    """Whether an object's data lives in segments: an SLO or a DLO."""
    return bool(facts) and bool(facts.get('is_slo') or facts.get('dlo_manifest'))


def deletable_segments(facts, segments):
    """The segments (as given) that go when the large object ``facts`` is deleted or
    replaced: all of an SLO's; a DLO's only under a non-empty prefix (an empty one is its
    whole container, which may hold anything)."""
    if not is_large(facts) or not segments:
        return []
    if facts.get('dlo_manifest') and not dlo_parts(facts)[1]:
        return []
    return list(segments)


def segments_agree(etag, size, segments):
    """Whether a large object's ETag and size (a HEAD's or a GET's) are those of ``segments``:
    Swift gives an SLO, and a DLO of fewer segments than its listing limit, the md5 of its
    segments' md5s. A DLO of more answers no size (None): only its segments can tell."""
    if size is None:
        return True
    return slo_etag([s['hash'] for s in segments]) == etag and sum(s['bytes'] for s in segments) == size


def manifest_size(segment_container, segments):
    """Bytes of the manifest PUT of ``segments`` (dicts with name and bytes), whatever their
    md5s turn out to be: the server refuses one above its ``slo.max_manifest_size``."""
    return len(manifest_body(segment_container, [dict(s, etag='0' * 32) for s in segments]))


def check_manifest_size(segment_container, segments, segment_size, limits):
    """Fail before the first segment goes up when the manifest would be too large for the
    server (a 413 after every segment was stored, otherwise)."""
    size, limit = manifest_size(segment_container, segments), limits['slo_max_manifest_size']
    if size > limit:
        raise ArchiveError(
            'the manifest of %d segments would be %d bytes, more than the %d bytes this server '
            'accepts (slo max_manifest_size): use a segment_size of at least %d, or a shorter '
            'name; nothing was uploaded' % (len(segments), size, limit, segment_size * -(-size // limit))
        )


def manifest_put_body(segments):
    """The JSON of a manifest PUT that stores again the parsed manifest ``segments``."""
    entries = []
    for s in segments:
        entry = {'path': s['name'], 'etag': s['hash'] or None, 'size_bytes': s['bytes']}
        if 'range' in s:
            entry['range'] = s['range']
        entries.append(entry)
    return json.dumps(entries)


def slo_etag(etags):
    """The ETag Swift gives an SLO: md5 of its segments' md5s, concatenated."""
    return md5_hex(''.join(etags).encode('ascii'))
