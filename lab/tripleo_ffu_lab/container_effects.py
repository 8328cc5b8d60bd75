"""What a queens container does on a lab node besides running (bin/lab-node's
`paunch apply` calls `start` for each container it starts).

* A command behind `/usr/bin/bootstrap_host_exec SERVICE` (the
  container's own, else its kolla config's) does its work on the
  bootstrap node only (bootstrap_node.json's hieradata); elsewhere the
  container runs and exits 0, as THT's wrapper does.
* `*_init_bundle` (puppet's bundle profile): the bundle in the cluster,
  from the bootstrap node (bundles.py).
* A db-sync container: its schema at queens (var/lib/mysql/<db>.schema)
  and the sync in the overcloud's db-sync journal (dbsync.py), which
  needs the database running here.

Standard library only: bin/lab-node loads it on a node.
"""

import json
import os
import shlex

try:
    from tripleo_ffu_lab import bundles
    from tripleo_ffu_lab import cluster
    from tripleo_ffu_lab import dbsync
except ImportError:  # bin/lab-node, from the package's directory
    import bundles
    import cluster
    import dbsync

BOOTSTRAP_EXEC = '/usr/bin/bootstrap_host_exec'
BOOTSTRAP_HIERA = 'etc/puppet/hieradata/bootstrap_node.json'
KOLLA_CONFIGS = 'var/lib/kolla/config_files'
# The schema each of THT 8.4's db-sync containers syncs: the manage
# command after bootstrap_host_exec, or for kolla_start (keystone,
# glance) the image's KOLLA_BOOTSTRAP sync, or the kolla config's
# command (gnocchi-upgrade).
DB_SYNCS = {
    'aodh_db_sync': 'aodh', 'cinder_api_db_sync': 'cinder',
    'glance_api_db_sync': 'glance', 'gnocchi_db_sync': 'gnocchi',
    'heat_engine_db_sync': 'heat', 'keystone_db_sync': 'keystone',
    'neutron_db_sync': 'ovs_neutron', 'nova_api_db_sync': 'nova_api',
    'nova_db_sync': 'nova', 'panko_db_sync': 'panko',
}
# The release of the containers' images.
RELEASE = 'queens'


def command(root, name, config):
    """The words the container runs: its command, else its kolla
    config's ([] when neither is known)."""
    words = config.get('command')
    if words is None:
        try:
            with open(os.path.join(root, KOLLA_CONFIGS,
                                   name + '.json')) as source:
                words = json.load(source).get('command')
        except (OSError, ValueError):
            words = None
    if isinstance(words, str):
        words = shlex.split(words)
    return list(words or [])


def is_bootstrap(root, node):
    try:
        with open(os.path.join(root, BOOTSTRAP_HIERA)) as source:
            return json.load(source).get('bootstrap_nodeid') == node
    except (OSError, ValueError):
        return False


def start(root, node, name, config):
    """The container's effects on the node `node` (tree root); raises
    cluster.Error with what the container would print when it fails."""
    bootstrap = is_bootstrap(root, node)
    if command(root, name, config)[:1] == [BOOTSTRAP_EXEC] and \
            not bootstrap:
        return
    cib = cluster.cib_path(root)
    if name in bundles.BUNDLES:
        if cib is None:
            raise cluster.Error('Error: cluster is not currently running '
                                'on this node')
        if bootstrap:
            with cluster.locked(cib) as state:
                bundles.create(state, node, name, config.get('image'))
    if name in DB_SYNCS:
        if not dbsync.database_runs(root):
            raise cluster.Error(dbsync.CANT_CONNECT)
        dbsync.synced(root, dbsync.journal_path(root, cib), node,
                      'container %s' % name, DB_SYNCS[name], RELEASE)
