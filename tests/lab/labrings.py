"""Swift's devices (a tmpfs directory per lab) and its rings (one replica, tiny part power).

Part of the lab (tests/lab/lab.py assembles it); standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil

from labcommon import (
    OWNER_SUFFIX,
    RING_PART_POWER,
    SHM,
    SHM_PREFIX,
    say,
)


class RingsMixin:
    """The Lab's methods for this part (see lab.py)."""

    def default_devices(self):
        # tmpfs: no ext4 xattr size limit, and fast. Unique per lab dir; gone after a reboot
        # (recreated empty by `up`).
        if os.path.isdir(SHM) and os.access(SHM, os.W_OK):
            digest = hashlib.sha1(self.dir.encode()).hexdigest()[:12]
            return os.path.join(SHM, '%s%s-%s' % (SHM_PREFIX, self.user, digest))
        return os.path.join(self.dir, 'devices')

    def prune_orphaned_devices(self):
        """Delete the tmpfs data of labs whose directory is gone (a deleted clone, for one:
        `make test` stops its lab but keeps the data for the next `up`, which never comes).
        They are known by the `<devices>.owner` file `ensure_devices` writes beside them;
        data without one (from a lab older than that file) is left alone."""
        if not os.path.isdir(SHM):
            return
        mine = self.state['devices'] + OWNER_SUFFIX
        for name in sorted(os.listdir(SHM)):
            path = os.path.join(SHM, name)
            if not (name.startswith(SHM_PREFIX + self.user + '-') and name.endswith(OWNER_SUFFIX)) or path == mine:
                continue
            try:
                with open(path, encoding='utf-8') as handle:
                    owner = handle.read().strip()
            except OSError:
                continue
            if owner and not os.path.exists(os.path.join(owner, 'state.json')):
                devices = path[: -len(OWNER_SUFFIX)]
                shutil.rmtree(devices, ignore_errors=True)
                os.unlink(path)
                say('deleted %s: the Swift data of the lab at %s, which is gone' % (devices, owner))

    def ensure_devices(self):
        device = os.path.join(self.state['devices'], 'd1')
        os.makedirs(device, exist_ok=True)
        if self.state['devices'].startswith(SHM + os.sep):
            # Beside the devices, not in them: Swift's daemons list that directory.
            owner = self.state['devices'] + OWNER_SUFFIX
            if not os.path.exists(owner):
                with open(owner, 'w', encoding='utf-8') as handle:
                    handle.write(self.dir + '\n')
        link = os.path.join(self.dir, 'devices')
        if self.state['devices'] != link and not os.path.islink(link):
            os.symlink(self.state['devices'], link)

    def ensure_rings(self):
        rings = [
            (kind, port)
            for kind, port in (('account', 6202), ('container', 6201), ('object', 6200))
            if not os.path.exists(os.path.join(self.swift_dir, '%s.ring.gz' % kind))
        ]
        if not rings:
            if self.state.get('ring_part_power') != RING_PART_POWER:
                say(
                    'warning: the rings were built by an older lab (part power 8): its container updater uses '
                    'about a core. `tests/lab/lab clean` (deletes the lab\'s data) and `up` '
                    'rebuild them with %d.' % RING_PART_POWER
                )
            return
        say('building rings: %s' % ', '.join(ring[0] for ring in rings))
        script = (
            'import sys\n'
            'from swift.common.ring import RingBuilder\n'
            'swift_dir = sys.argv[1]\n'
            'for arg in sys.argv[3:]:\n'
            '    kind, port = arg.split(":")\n'
            '    builder = RingBuilder(int(sys.argv[2]), 1, 1)\n'
            '    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),\n'
            '                     "replication_ip": "127.0.0.1", "replication_port": int(port),\n'
            '                     "device": "d1", "weight": 1.0, "meta": ""})\n'
            '    builder.rebalance()\n'
            '    builder.save("%s/%s.builder" % (swift_dir, kind))\n'
            '    builder.get_ring().save("%s/%s.ring.gz" % (swift_dir, kind))\n'
        )
        self.run(
            [self.venv_python(), '-c', script, self.swift_dir, str(RING_PART_POWER)] + ['%s:%d' % r for r in rings],
            os.path.join(self.log_dir, 'rings.log'),
            env=self.server_env(),
        )
        self.state['ring_part_power'] = RING_PART_POWER
        self.save_state()
