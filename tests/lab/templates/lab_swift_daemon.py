"""Run a Swift server or daemon with the lab's swift.conf (copied into the lab dir).

The WSGI servers take the hash path and the storage policies from `swift_dir`, but every
Swift process reads its constraints (`[swift-constraints]`) from /etc/swift/swift.conf when
swift.common.constraints is imported, and the daemons (updaters) read all of swift.conf from
there. Usage: python lab_swift_daemon.py MODULE CONF_FILE [-v]
"""

import importlib
import os
import sys

from swift.common import constraints, utils


def main():
    module, conf_file = sys.argv[1], sys.argv[2]
    utils.set_swift_dir(os.path.dirname(os.path.abspath(conf_file)))
    constraints.reload_constraints()
    sys.argv = [module] + sys.argv[2:]
    return importlib.import_module(module).main()


if __name__ == '__main__':
    sys.exit(main())
