"""The lab's MariaDB: a private data dir, listening on loopback only."""

import getpass
import os
import shutil

from tripleo_ffu_lab import procs

NAME = 'mariadb'


def _paths(lab):
    return lab.path('mariadb', 'data'), os.path.join(lab.run_dir,
                                                     'mysqld.sock')


def _client(lab):
    _, socket = _paths(lab)
    return ['mariadb', '--no-defaults', '--socket=' + socket,
            '--user=' + getpass.getuser()]


def start(lab, port):
    """Start MariaDB (initialising its data dir the first time)."""
    if procs.running_pid(lab, NAME):
        return False
    datadir, socket = _paths(lab)
    user = ['--user=' + getpass.getuser()]
    if not os.path.isdir(os.path.join(datadir, 'mysql')):
        shutil.rmtree(datadir, ignore_errors=True)
        os.makedirs(datadir, mode=0o700)
        procs.run(['mariadb-install-db', '--no-defaults',
                   '--datadir=' + datadir, '--skip-test-db',
                   '--auth-root-authentication-method=socket'] + user,
                  'initialising the MariaDB data dir ' + datadir)
    proc = procs.start(lab, NAME, [
        '/usr/sbin/mariadbd', '--no-defaults', '--datadir=' + datadir,
        '--socket=' + socket, '--port=%d' % port,
        '--bind-address=127.0.0.1', '--skip-name-resolve',
        '--pid-file=' + os.path.join(lab.run_dir, 'mariadbd.pid'),
        # Heat commits each resource's state: without an fsync per
        # commit (the log is flushed each second; a killed mariadbd loses
        # nothing, only a crash of the machine would), and with Heat's
        # tables in memory, a large stack's update waits less on the disk.
        '--innodb-flush-log-at-trx-commit=2',
        '--innodb-buffer-pool-size=256M', '--max-connections=500',
        '--character-set-server=utf8mb4'] + user)
    procs.wait_until(lambda: procs.port_probe(port), 60,
                     'MariaDB on 127.0.0.1:%d' % port, lab, NAME, proc)
    return True


def create_database(lab, name, user, password):
    """Create the database and its user; safe to call again."""
    sql = ("CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4;\n"
           "CREATE USER IF NOT EXISTS '{user}'@'127.0.0.1' "
           "IDENTIFIED BY '{password}';\n"
           "ALTER USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}';\n"
           "GRANT ALL PRIVILEGES ON {db}.* TO '{user}'@'127.0.0.1';\n"
           ).format(db=name, user=user, password=password)
    # The password goes through stdin, never through a command line.
    procs.run(_client(lab), 'creating the %s database' % name, input=sql)


def query(lab, sql, what):
    """The rows (tuples of text) a query returns, through the socket."""
    out = procs.run(_client(lab) + ['--batch', '--skip-column-names'],
                    what, input=sql)
    return [tuple(line.split('\t')) for line in out.splitlines() if line]


def stop(lab):
    return procs.stop(lab, NAME, timeout=30)
