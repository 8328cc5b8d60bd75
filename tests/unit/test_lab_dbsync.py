"""The db part of "nothing left" (plan step 7): from the overcloud's
db-sync journal, each database synced once per release, on the bootstrap
node, in release order."""

from tripleo_ffu_lab import dbsync

BOOTSTRAP = 'overcloud-controller-0'


def _journal(tmp_path, *syncs):
    path = str(tmp_path / 'pacemaker' / dbsync.JOURNAL)
    for node, database, release in syncs:
        dbsync.append(path, node, 'x-manage db sync', database, release)
    return dbsync.read(path)


def test_an_ffus_syncs_leave_nothing(tmp_path):
    entries = _journal(tmp_path, (BOOTSTRAP, 'keystone', 'ocata'),
                       (BOOTSTRAP, 'nova', 'ocata'),
                       (BOOTSTRAP, 'keystone', 'pike'),
                       (BOOTSTRAP, 'keystone', 'queens'))
    assert dbsync.problems(entries, BOOTSTRAP, {
        'keystone': ['ocata', 'pike', 'queens'], 'nova': ['ocata']}) == []
    assert dbsync.problems([], BOOTSTRAP) == []


def test_each_way_the_syncs_can_be_wrong(tmp_path):
    entries = _journal(tmp_path, (BOOTSTRAP, 'keystone', 'pike'),
                       ('overcloud-controller-1', 'glance', 'ocata'),
                       (BOOTSTRAP, 'keystone', 'ocata'),
                       (BOOTSTRAP, 'keystone', 'pike'),
                       (BOOTSTRAP, 'heat', 'newton'),
                       (BOOTSTRAP, 'heat', 'rocky'))
    assert dbsync.problems(entries, BOOTSTRAP, {
        'keystone': ['ocata', 'pike', 'queens'],
        'glance': ['ocata']}) == [
        'glance synced on overcloud-controller-1, not on the bootstrap '
        'node overcloud-controller-0 (x-manage db sync)',
        'keystone synced at ocata after pike',
        'heat synced at rocky, no release of an FFU',
        'keystone synced 2 times at pike',
        'keystone never synced at queens']
