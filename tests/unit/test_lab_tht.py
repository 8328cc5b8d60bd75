"""THT stable/queens for the lab: the sdist fetched once (pip mocked at
the subprocess boundary), and the deploy steps rendered from the real
cached sdist as THT renders them."""

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
from unittest import mock

import pytest
import yaml

from tripleo_ffu_lab import overcloud
from tripleo_ffu_lab import procs
from tripleo_ffu_lab import tht


def _fake_sdist(path):
    """A tarball shaped like the sdist, with the template fetch checks."""
    with tarfile.open(path, 'w:gz') as archive:
        data = b'{% include "deploy-steps.j2" %}\n'
        info = tarfile.TarInfo(tht.NAME + '/' + tht.POST_TEMPLATE)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with open(path, 'rb') as source:
        return hashlib.sha256(source.read()).hexdigest()


class Pip:
    """subprocess.run of the fetch: venv, pip install, pip download (which
    saves the sdist into its -d directory)."""

    def __init__(self, tmp_path, fail=None):
        self.calls = []
        self.fail = fail
        self.sdist = str(tmp_path / 'made.tar.gz')
        self.sha = _fake_sdist(self.sdist)

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        if self.fail and self.fail in argv:
            return subprocess.CompletedProcess(
                argv, 1, '', 'WARNING: Location x is ignored\nERROR: No '
                'matching distribution found for tripleo-heat-templates\n')
        if 'download' in argv:
            shutil.copyfile(self.sdist, os.path.join(
                argv[argv.index('-d') + 1], tht.SDIST))
        return subprocess.CompletedProcess(argv, 0, '', '')


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(tht.CACHE_ENV, raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert tht.cache_dir() == str(tmp_path / 'xdg' / 'tripleo-ffu' / 'tht')
    monkeypatch.delenv('XDG_CACHE_HOME')
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    assert tht.cache_dir() == str(tmp_path / 'home' / '.cache' /
                                  'tripleo-ffu' / 'tht')
    monkeypatch.setenv(tht.CACHE_ENV, str(tmp_path / 'mine'))
    assert tht.cache_dir() == str(tmp_path / 'mine')


def test_fetch_runs_pip_once_then_uses_the_cache(tmp_path):
    pip = Pip(tmp_path)
    cache = str(tmp_path / 'cache')
    with mock.patch.object(tht, 'SDIST_SHA256', pip.sha), \
            mock.patch.object(tht.subprocess, 'run', pip):
        tree = tht.fetch(cache)
        assert tht.fetch(cache) == tree
    assert tree == os.path.join(cache, tht.NAME)
    assert os.path.isfile(os.path.join(tree, tht.POST_TEMPLATE))
    assert [call[1:3] for call in pip.calls] == [
        ['-m', 'venv'], ['install', '-q'], ['download', '-q']]
    download = pip.calls[2]
    for option in ('--no-deps', '--no-build-isolation',
                   'tripleo-heat-templates==' + tht.VERSION):
        assert option in download
    assert download[download.index('--no-binary') + 1] == ':all:'
    assert 'setuptools<61' in pip.calls[1]
    # The throwaway virtualenv and download dir are gone, the sdist kept.
    assert sorted(os.listdir(cache)) == ['.lock', tht.NAME, tht.SDIST]
    assert not os.path.exists(pip.calls[0][-1])


def test_fetch_extracts_an_sdist_put_in_the_cache_without_pip(tmp_path):
    pip = Pip(tmp_path)
    cache = tmp_path / 'cache'
    cache.mkdir()
    shutil.copyfile(pip.sdist, str(cache / tht.SDIST))
    with mock.patch.object(tht, 'SDIST_SHA256', pip.sha), \
            mock.patch.object(tht.subprocess, 'run', pip):
        assert tht.fetch(str(cache)) == str(cache / tht.NAME)
    assert pip.calls == []


def test_fetch_failure_is_one_line_saying_what_to_do(tmp_path):
    pip = Pip(tmp_path, fail='download')
    cache = str(tmp_path / 'cache')
    with mock.patch.object(tht.subprocess, 'run', pip), \
            pytest.raises(procs.LabError) as raised:
        tht.fetch(cache)
    message = str(raised.value)
    assert '\n' not in message
    assert 'No matching distribution found' in message
    assert 'put %s in %s' % (tht.SDIST, cache) in message
    assert not os.path.exists(os.path.join(cache, tht.NAME))


def test_fetch_refuses_an_sdist_that_is_not_the_release(tmp_path):
    pip = Pip(tmp_path)
    cache = str(tmp_path / 'cache')
    with mock.patch.object(tht.subprocess, 'run', pip), \
            pytest.raises(procs.LabError, match='not the released'):
        tht.fetch(cache)
    assert not os.path.exists(os.path.join(cache, tht.NAME))


@pytest.fixture(scope='module')
def tree():
    """THT's tree from the cache (fetched with pip the first time)."""
    return tht.fetch()


@pytest.fixture(scope='module')
def rendered(tree):
    return yaml.safe_load(tht.render_post(tree, tht.roles_data(tree)))


def test_rendering_is_thts_process_templates(tree, tmp_path):
    """The sdist's own tools/process-templates.py, on a tree with the
    template, renders the same text."""
    base = tmp_path / 'base'
    (base / 'common').mkdir(parents=True)
    for name in ('post.j2.yaml', 'deploy-steps.j2'):
        shutil.copy(os.path.join(tree, 'common', name), base / 'common')
    for name in ('network_data.yaml', 'j2_excludes.yaml'):
        shutil.copy(os.path.join(tree, name), base)
    (base / 'roles_data.yaml').write_text(
        yaml.safe_dump(tht.roles_data(tree)))
    subprocess.run([sys.executable,
                    os.path.join(tree, 'tools', 'process-templates.py'),
                    '-p', str(base), '-r', 'roles_data.yaml',
                    '-n', 'network_data.yaml', '-o', str(tmp_path / 'out')],
                   check=True, capture_output=True)
    assert (tmp_path / 'out' / 'common' / 'post.yaml').read_text() == \
        tht.render_post(tree, tht.roles_data(tree))


def test_the_lab_roles_are_thts(tree):
    roles = tht.roles_data(tree)
    assert [role['name'] for role in roles] == ['Controller', 'Compute']
    assert roles[0]['tags'] == ['primary', 'controller']


def test_role_config_keys(rendered):
    assert sorted(rendered['outputs']['RoleConfig']['value']) == sorted([
        'global_vars', 'common_deploy_steps_tasks', 'docker_puppet_script',
        'deploy_steps_playbook', 'external_deploy_steps_tasks',
        'external_post_deploy_steps_tasks', 'update_steps_tasks',
        'update_steps_playbook', 'pre_upgrade_rolling_steps_tasks',
        'pre_upgrade_rolling_steps_playbook', 'upgrade_steps_tasks',
        'upgrade_steps_playbook', 'post_upgrade_steps_tasks',
        'post_upgrade_steps_playbook', 'fast_forward_upgrade_playbook',
        'fast_forward_upgrade_release_tasks',
        'fast_forward_upgrade_prep_tasks',
        'fast_forward_upgrade_post_role_tasks',
        'fast_forward_upgrade_prep_role_tasks',
        'fast_forward_upgrade_bootstrap_tasks',
        'fast_forward_upgrade_bootstrap_role_tasks',
        'post_update_steps_tasks', 'boot_param_tasks'])


def _role_config(rendered, key):
    value = rendered['outputs']['RoleConfig']['value'][key]
    if isinstance(value, dict) and 'str_replace' in value:
        value = value['str_replace']['template']
    return yaml.safe_load(value) if isinstance(value, str) else value


def test_deploy_steps_playbook_plays(rendered):
    plays = _role_config(rendered, 'deploy_steps_playbook')
    names = [(play['hosts'], play['name']) for play in plays]
    assert names[:7] == [
        ('undercloud', 'Gather facts undercloud'),
        ('overcloud', 'Gather facts overcloud'),
        ('all', 'Load global variables'),
        ('overcloud', 'Common roles for TripleO servers'),
        ('Controller:overcloud', 'Server deployments'),
        ('Controller', 'Controller Host prep steps'),
        ('Compute', 'Compute Host prep steps')]
    for step in range(1, 6):
        assert names[4 + 3 * step:7 + 3 * step] == [
            ('undercloud', 'External deployment step %d' % step),
            ('Controller:overcloud', 'Overcloud deploy step tasks for %d'
             % step),
            ('Controller:overcloud', 'Overcloud common deploy step tasks %d'
             % step)]
    assert names[22:] == [
        ('Controller:overcloud', 'Server Post Deployments'),
        ('undercloud', 'External deployment Post Deploy tasks')]
    assert plays[3]['roles'] == ['tripleo-bootstrap',
                                 'tripleo-ssh-known-hosts']
    assert plays[8]['vars']['step'] == '1'
    assert plays[8]['tasks'] == [
        {'include': 'Controller/deploy_steps_tasks.yaml',
         'when': "tripleo_role_name == 'Controller'"},
        {'include': 'Compute/deploy_steps_tasks.yaml',
         'when': "tripleo_role_name == 'Compute'"}]
    assert plays[9]['tasks'] == [{'include': 'common_deploy_steps_tasks.yaml'}]


def test_fast_forward_upgrade_playbook_sets_release_after_the_loop(rendered):
    play, = _role_config(rendered, 'fast_forward_upgrade_playbook')
    assert play['hosts'] == 'overcloud' and play['become'] is True
    assert [sorted(task) for task in play['tasks']] == [
        ['set_fact'], ['set_fact'],
        ['include_tasks', 'loop_control', 'with_items'],
        ['set_fact'], ['include_tasks']]
    assert play['tasks'][0]['set_fact'] == {
        'releases': {'get_param': ['FastForwardUpgradeReleases']}}
    assert play['tasks'][3]['set_fact'] == {
        'release': '{{ releases | last }}', 'ffu_packages_apply': True}
    assert play['tasks'][4]['include_tasks'] == \
        'fast_forward_upgrade_post_role_tasks.yaml'


def test_fast_forward_upgrade_prep_and_post_tasks(rendered):
    prep = _role_config(rendered, 'fast_forward_upgrade_prep_tasks')
    assert [task['when'] for task in prep[:2]] == [
        "tripleo_role_name == 'Controller'", "tripleo_role_name == 'Compute'"]
    assert 'NovaComputeDeployment.json' in prep[1]['shell']
    assert prep[2]['command'] == \
        'hiera -c /etc/puppet/hiera.yaml bootstrap_nodeid'
    assert prep[2]['register'] == 'bootstrap_node'
    assert 'set_fact' in prep[3] and 'ansible_hostname' in prep[3]['set_fact']
    assert [next(iter(set(task) & {'file', 'copy', 'include_tasks'}))
            for task in prep[4:]] == ['file', 'copy', 'include_tasks']
    post = _role_config(rendered, 'fast_forward_upgrade_post_role_tasks')
    assert [task.get('yum') or task.get('service') for task in post[2:]] == [
        'name=openstack-heat-agents state=latest',
        'name=os-collect-config state=latest',
        'name=os-collect-config state=started enabled=yes']


def test_upgrade_playbooks_are_strings_without_become(rendered):
    value = rendered['outputs']['RoleConfig']['value']
    for key, end in (('upgrade_steps_playbook', 5),
                     ('post_upgrade_steps_playbook', 3)):
        assert isinstance(value[key], str)
        play, = yaml.safe_load(value[key])
        assert play == {'hosts': 'overcloud', 'tasks': [{
            'include': key.replace('playbook', 'tasks') + '.yaml',
            'with_sequence': 'start=0 end=%d' % end,
            'loop_control': {'loop_var': 'step'}}]}


@pytest.fixture(scope='module')
def built(tree, tmp_path_factory):
    destination = str(tmp_path_factory.mktemp('lab') / 'queens')
    return tht.build_templates(overcloud.templates_dir('queens'),
                               destination, tree)


def _load(path):
    with open(path) as source:
        return yaml.safe_load(source)


def test_built_template_keeps_thts_parameters_and_outputs(built, rendered):
    post = _load(os.path.join(built, tht.POST))
    assert post['parameters'] == rendered['parameters']
    assert post['outputs'] == rendered['outputs']
    standins = _load(os.path.join(built, tht.STANDINS))['resources']
    assert sorted(post['resources']) == sorted(
        list(tht.KEPT_RESOURCES) + list(standins))
    for name in tht.KEPT_RESOURCES:
        assert post['resources'][name] == rendered['resources'][name]


def test_built_tree_has_thts_files_unchanged_and_no_jinja(built, tree):
    for relative in tht.GET_FILES:
        with open(os.path.join(built, relative), 'rb') as copied, \
                open(os.path.join(tree, relative), 'rb') as original:
            assert copied.read() == original.read()
    registry = _load(os.path.join(built,
                                  'overcloud-resource-registry-puppet.yaml'))
    assert registry['resource_registry']['OS::TripleO::PostDeploySteps'] == \
        'common/post.yaml'
    assert not [name for _, _, names in os.walk(built) for name in names
                if '.j2' in name]


def test_building_again_replaces_the_tree(built, tree):
    stale = os.path.join(built, 'stale.yaml')
    with open(stale, 'w') as out:
        out.write('{}\n')
    tht.build_templates(overcloud.templates_dir('queens'), built, tree)
    assert not os.path.exists(stale)
    assert not os.path.exists(built + '.new')


def test_a_role_config_reading_a_dropped_resource_is_refused(rendered):
    changed = dict(rendered, outputs={'RoleConfig': {'value': {
        'x': {'get_attr': ['ControllerDeployment_Step1', 'x']}}}})
    with pytest.raises(procs.LabError, match='ControllerDeployment_Step1'):
        tht.post_template(changed, {'resources': {}})


def test_ensure_templates_builds_once_per_source(tmp_path):
    source = tmp_path / 'source'
    shutil.copytree(overcloud.templates_dir('queens'), source)
    destination = str(tmp_path / 'queens')
    with mock.patch.object(tht, 'build_templates',
                           side_effect=lambda s, d, t: os.makedirs(
                               d, exist_ok=True)) \
            as build, mock.patch.object(tht, 'fetch', return_value='/tht'):
        tht.ensure_templates(str(source), destination)
        tht.ensure_templates(str(source), destination)
        assert build.call_count == 1
        (source / 'overcloud.yaml').write_text('changed\n')
        tht.ensure_templates(str(source), destination)
        assert build.call_count == 2
        assert build.call_args[0] == (str(source), destination, '/tht')
