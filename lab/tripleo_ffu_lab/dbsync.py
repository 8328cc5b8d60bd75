"""The journal of the overcloud's database syncs, and what it must say.

Every db-sync stand-in (bin/lab-db: nova-manage, cinder-manage,
glance-manage, heat-manage, neutron-db-manage, gnocchi-upgrade,
aodh-dbsync, keystone-manage) appends one JSON line per schema it syncs:
the time, the node, the command, the database and the release it synced
to (the release of the service's package on that node then). A cluster's
controllers share one journal, next to the cluster's cib.json (one
Galera, one journal); a node without a cluster keeps its own, in its
tree's var/lib/mysql.

Standard library only: bin/lab-db loads it on a node with the system's
python3.
"""

import fcntl
import json
import os
import time

JOURNAL = 'db-sync.journal'
# What a sync prints when no database runs on its node (pymysql's error).
CANT_CONNECT = ("(pymysql.err.OperationalError) (2003, \"Can't connect to "
                "MySQL server on 'localhost' ([Errno 111] Connection "
                "refused)\")")
# The releases an FFU syncs through, in order.
RELEASES = ('newton', 'ocata', 'pike', 'queens')


def journal_path(root, cib=None):
    """The journal of a node (its tree root); cib: the real path of the
    cluster's CIB it links to, if any."""
    if cib:
        return os.path.join(os.path.dirname(cib), JOURNAL)
    return os.path.join(root, 'var/lib/mysql', JOURNAL)


def append(path, node, command, database, release):
    """One sync in the journal at path (under its flock: three nodes may
    write at once)."""
    entry = {'time': time.strftime('%Y-%m-%dT%H:%M:%S'), 'node': node,
             'command': command, 'database': database, 'release': release}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'a') as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        try:
            out.write(json.dumps(entry, sort_keys=True) + '\n')
        finally:
            fcntl.flock(out, fcntl.LOCK_UN)
    return entry


def synced(root, journal, node, command, database, release):
    """A sync of database to release on the node at root: its schema file
    (var/lib/mysql/<database>.schema) and a line in the journal."""
    schema = os.path.join(root, 'var/lib/mysql/%s.schema' % database)
    os.makedirs(os.path.dirname(schema), exist_ok=True)
    with open(schema, 'w') as out:
        out.write('%s\n' % release)
    return append(journal, node, command, database, release)


def database_runs(root):
    """Whether a node (its tree root) has the database running: newton's
    mariadb, or a queens mysql container or galera bundle replica."""
    try:
        with open(os.path.join(root, 'run/services/mariadb')) as source:
            if source.read().strip() == 'running':
                return True
    except FileNotFoundError:
        pass
    containers = os.path.join(root, 'var/lib/lab/containers')
    names = os.listdir(containers) if os.path.isdir(containers) else []
    return any(name == 'mysql' or name.startswith('galera-bundle-docker-')
               for name in names)


def read(path):
    """The journal's entries, oldest first ([] when there is none)."""
    try:
        with open(path) as source:
            return [json.loads(line) for line in source if line.strip()]
    except FileNotFoundError:
        return []


def problems(entries, bootstrap, expected=None):
    """Why the journal's syncs are not what an FFU must leave ([] when
    they are): each database synced once per release, on the bootstrap
    node, in release order. expected: {database: [releases]} that must
    each have their sync (what THT's tasks sync; None: no check of what
    is missing)."""
    found, seen, last = [], {}, {}
    for entry in entries:
        database, release = entry['database'], entry['release']
        if entry['node'] != bootstrap:
            found.append('%s synced on %s, not on the bootstrap node %s (%s)'
                         % (database, entry['node'], bootstrap,
                            entry['command']))
        seen[database, release] = seen.get((database, release), 0) + 1
        order = RELEASES.index(release) if release in RELEASES else -1
        if order < 0:
            found.append('%s synced at %s, no release of an FFU'
                         % (database, release))
        elif order < last.get(database, (-1, None))[0]:
            found.append('%s synced at %s after %s' % (
                database, release, last[database][1]))
        if order >= last.get(database, (-1, None))[0]:
            last[database] = (order, release)
    for (database, release), count in sorted(seen.items()):
        if count > 1:
            found.append('%s synced %d times at %s'
                         % (database, count, release))
    for database, releases in sorted((expected or {}).items()):
        for release in releases:
            if (database, release) not in seen:
                found.append('%s never synced at %s' % (database, release))
    return found
