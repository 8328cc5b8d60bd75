"""The templates and environments of the prepare update, and its inputs."""

import os
import stat
from unittest import mock

import pytest
import yaml

from tripleo_ffu.workflow import converge
from tripleo_ffu.workflow import environments
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import prepare
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow.errors import WorkflowError


def _write(path, text=''):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def templates(tmp_path):
    """A minimal tripleo-heat-templates directory."""
    tht = tmp_path / 'tht'
    _write(tht / 'overcloud.yaml', 'heat_template_version: 2016-10-14\n')
    return tht


# check_templates


def test_check_templates_returns_the_top_template(templates):
    assert environments.check_templates(str(templates)) == str(
        templates / 'overcloud.yaml')


def test_check_templates_without_overcloud_yaml_is_refused(tmp_path):
    with pytest.raises(WorkflowError, match='has no overcloud.yaml') as exc:
        environments.check_templates(str(tmp_path))
    assert str(tmp_path) in str(exc.value)


def test_check_templates_missing_directory_is_refused(tmp_path):
    missing = str(tmp_path / 'nope')
    with pytest.raises(WorkflowError, match='--templates') as exc:
        environments.check_templates(missing)
    assert missing in str(exc.value)


# read_environment


def test_read_environment_returns_the_mapping(tmp_path):
    path = _write(tmp_path / 'env.yaml',
                  'parameter_defaults:\n  NtpServer: pool.ntp.org\n'
                  'resource_registry:\n  OS::X: x.yaml\n')
    assert environments.read_environment(path) == {
        'parameter_defaults': {'NtpServer': 'pool.ntp.org'},
        'resource_registry': {'OS::X': 'x.yaml'}}


@pytest.mark.parametrize('text', ['', '\n', '# only a comment\n', '---\n'])
def test_read_environment_empty_file_is_an_empty_mapping(tmp_path, text):
    path = _write(tmp_path / 'env.yaml', text)
    assert environments.read_environment(path) == {}


def test_read_environment_missing_file(tmp_path):
    path = str(tmp_path / 'missing.yaml')
    with pytest.raises(WorkflowError, match='does not exist') as exc:
        environments.read_environment(path)
    assert path in str(exc.value)


def test_read_environment_directory_points_to_the_option(tmp_path):
    with pytest.raises(WorkflowError,
                       match='is a directory: use --environment-directory'):
        environments.read_environment(str(tmp_path))


def test_read_environment_invalid_yaml_gives_the_line(tmp_path):
    path = _write(tmp_path / 'env.yaml',
                  'parameter_defaults:\n  A: 1\n  B: [unclosed\n')
    with pytest.raises(WorkflowError, match='not valid YAML') as exc:
        environments.read_environment(path)
    assert path in str(exc.value)
    assert 'at line 4' in str(exc.value)


def test_read_environment_bad_indentation_gives_the_line(tmp_path):
    path = _write(tmp_path / 'env.yaml',
                  'parameter_defaults:\n  A: 1\n B: 2\n')
    with pytest.raises(WorkflowError, match=r'not valid YAML at line 3'):
        environments.read_environment(path)


@pytest.mark.parametrize('text,kind', [
    ('- a\n- b\n', 'list'),
    ('just a string\n', 'str'),
    ('42\n', 'int'),
    ('false\n', 'bool'),
    ('[]\n', 'list'),
])
def test_read_environment_not_a_mapping(tmp_path, text, kind):
    path = _write(tmp_path / 'env.yaml', text)
    with pytest.raises(WorkflowError, match='not a mapping') as exc:
        environments.read_environment(path)
    assert 'holds a %s' % kind in str(exc.value)


@pytest.mark.skipif(os.geteuid() == 0,
                    reason='root can read a file with mode 000')
def test_read_environment_unreadable(tmp_path):
    path = _write(tmp_path / 'env.yaml', 'a: 1\n')
    os.chmod(path, 0)
    try:
        with pytest.raises(WorkflowError, match='is not readable'):
            environments.read_environment(path)
    finally:
        os.chmod(path, 0o600)


def test_read_environment_is_safe_loading_only(tmp_path):
    path = _write(tmp_path / 'env.yaml',
                  "!!python/object/apply:os.system ['true']\n")
    with mock.patch('os.system') as system:
        with pytest.raises(WorkflowError, match='not valid YAML'):
            environments.read_environment(path)
    system.assert_not_called()


def test_read_environment_python_tag_nested_is_refused(tmp_path):
    path = _write(tmp_path / 'env.yaml',
                  'parameter_defaults:\n'
                  '  A: !!python/name:os.getcwd\n')
    with pytest.raises(WorkflowError, match='not valid YAML at line 2'):
        environments.read_environment(path)


def test_read_environment_control_character_is_refused(tmp_path):
    path = _write(tmp_path / 'env.yaml', 'a: 1\x07\n')
    with pytest.raises(WorkflowError, match='not valid YAML'):
        environments.read_environment(path)


def test_read_environment_not_utf8_is_a_workflow_error(tmp_path):
    path = tmp_path / 'env.yaml'
    path.write_bytes(b'a: \xff\xfe\n')
    with pytest.raises(WorkflowError):
        environments.read_environment(str(path))


# directory_files


def test_directory_files_sorted_yaml_only(tmp_path):
    envs = tmp_path / 'envs'
    for name in ('20-b.yaml', '10-a.yaml', 'c.yml', 'notes.txt',
                 'z.yaml.orig', '30-c.yaml'):
        _write(envs / name, 'a: 1\n')
    assert environments.directory_files(str(envs)) == [
        str(envs / '10-a.yaml'), str(envs / '20-b.yaml'),
        str(envs / '30-c.yaml')]


def test_directory_files_empty_directory(tmp_path):
    assert environments.directory_files(str(tmp_path)) == []


def test_directory_files_missing_directory(tmp_path):
    missing = str(tmp_path / 'nope')
    with pytest.raises(WorkflowError, match='does not exist') as exc:
        environments.directory_files(missing)
    assert missing in str(exc.value)


def test_directory_files_a_file_is_refused(tmp_path):
    path = _write(tmp_path / 'env.yaml', 'a: 1\n')
    with pytest.raises(WorkflowError, match='environment directory'):
        environments.directory_files(path)


def test_directory_files_glob_characters_in_the_name(tmp_path):
    envs = tmp_path / 'envs[1]'
    _write(envs / 'a.yaml', 'a: 1\n')
    assert environments.directory_files(str(envs)) == [
        str(envs / 'a.yaml')]


# noop_environment


def test_noop_environment_maps_steps_and_role_tasks_to_none():
    assert environments.noop_environment(['Controller', 'Compute']) == {
        'resource_registry': {
            'OS::TripleO::DeploymentSteps': 'OS::Heat::None',
            'OS::TripleO::Tasks::ControllerPreConfig': 'OS::Heat::None',
            'OS::TripleO::Tasks::ControllerPostConfig': 'OS::Heat::None',
            'OS::TripleO::Tasks::ComputePreConfig': 'OS::Heat::None',
            'OS::TripleO::Tasks::ComputePostConfig': 'OS::Heat::None',
        }}


def test_noop_environment_without_roles():
    assert environments.noop_environment([]) == {
        'resource_registry': {
            'OS::TripleO::DeploymentSteps': 'OS::Heat::None'}}


# write_generated


def test_write_generated_is_private_and_marked(tmp_path):
    out = tmp_path / 'out' / 'ffu'
    content = {'parameter_defaults': {'A': 1, 'B': [1, 2]}}
    path = environments.write_generated(str(out), 'gen.yaml', content)
    assert path == str(out / 'gen.yaml')
    assert _mode(path) == 0o600
    assert _mode(str(out)) & 0o077 == 0
    with open(path) as source:
        text = source.read()
    assert text.startswith('# Generated by tripleo-ffu.\n')
    assert yaml.safe_load(text) == content
    assert environments.read_environment(path) == content


def test_write_generated_replaces_an_existing_file(tmp_path):
    environments.write_generated(str(tmp_path), 'gen.yaml', {'a': 1})
    path = environments.write_generated(str(tmp_path), 'gen.yaml', {'b': 2})
    assert environments.read_environment(path) == {'b': 2}
    assert os.listdir(str(tmp_path)) == ['gen.yaml']


# lifecycle_environment


def test_lifecycle_environment_of_the_templates(templates, tmp_path):
    theirs = _write(templates / 'environments' / 'lifecycle' /
                    environments.PREPARE_ENV, 'parameter_defaults: {}\n')
    out = tmp_path / 'out'
    assert environments.lifecycle_environment(
        str(templates), environments.PREPARE_ENV,
        environments.GENERATED_PREPARE, str(out)) == theirs
    assert not out.exists()


def test_lifecycle_environment_generated_when_missing(templates, tmp_path):
    out = tmp_path / 'out'
    path = environments.lifecycle_environment(
        str(templates), environments.PREPARE_ENV,
        environments.GENERATED_PREPARE, str(out))
    assert path == str(out / environments.PREPARE_ENV)
    assert _mode(path) == 0o600
    assert environments.read_environment(path) == (
        environments.GENERATED_PREPARE)


def test_lifecycle_environment_generated_converge(templates, tmp_path):
    path = environments.lifecycle_environment(
        str(templates), environments.CONVERGE_ENV,
        environments.GENERATED_CONVERGE, str(tmp_path))
    assert environments.read_environment(path)['parameter_defaults'] == {
        'StackUpdateType': '', 'EnableOnlineDataMigrations': True}


def test_generated_prepare_environment_content():
    assert environments.GENERATED_PREPARE['parameter_defaults'][
        'StackUpdateType'] == 'FASTFORWARDUPGRADE'
    assert environments.GENERATED_PREPARE['resource_registry'] == {
        'OS::TripleO::DeploymentSteps': 'OS::Heat::None'}


# ordered_files


@pytest.fixture
def env_set(templates, tmp_path):
    """Templates with a registry, a lifecycle env, extras, user files."""
    registry = _write(templates / environments.REGISTRY,
                      'resource_registry: {}\n')
    lifecycle = _write(tmp_path / 'gen' / 'lifecycle.yaml', 'a: 1\n')
    noop = _write(tmp_path / 'gen' / 'noop.yaml', 'a: 1\n')
    user = [_write(tmp_path / 'user' / name, 'a: 1\n')
            for name in ('z.yaml', 'a.yaml', 'm.yaml')]
    env_dir = tmp_path / 'env-dir'
    env_dir_files = [_write(env_dir / name, 'a: 1\n')
                     for name in ('1.yaml', '2.yaml')]
    return dict(templates=str(templates), registry=registry,
                lifecycle=lifecycle, noop=noop, user=user,
                env_dir=str(env_dir), env_dir_files=env_dir_files,
                out=tmp_path / 'out')


def _ordered(env_set, user=None, env_dirs=None, tmp_path=None, **kwargs):
    options = _converge_options(
        env_set['templates'],
        environment_files=env_set['user'] if user is None else user,
        environment_directories=([env_set['env_dir']] if env_dirs is None
                                 else env_dirs), **kwargs)
    return environments.ordered_files(
        env_set['templates'], env_set['lifecycle'], options,
        str(env_set['out']), extra=[env_set['noop']],
        last=env_set.get('last', ()))


def test_ordered_files_heat_merge_order(env_set):
    """As upstream's deploy: the environment directories before the
    lifecycle environment, which comes first of the environment files."""
    assert _ordered(env_set) == (
        [env_set['registry']] + env_set['env_dir_files'] +
        [env_set['lifecycle'], env_set['noop']] + env_set['user'])


def test_ordered_files_parameters_registration_and_last(env_set, tmp_path):
    registration = _write(tmp_path / 'reg.yaml', 'a: 1\n')
    env_set['last'] = [_write(tmp_path / 'images.yaml', 'a: 1\n')]
    ordered = _ordered(env_set, parameters={'ComputeCount': 3},
                       registration_files=[registration])
    parameters = str(env_set['out'] / environments.PARAMETERS_ENV)
    assert ordered == (
        [env_set['registry'], parameters] + env_set['env_dir_files'] +
        [registration, env_set['lifecycle'], env_set['noop']] +
        env_set['user'] + env_set['last'])
    assert environments.read_environment(parameters) == {
        'parameter_defaults': {'ComputeCount': 3}}
    assert stat.S_IMODE(os.stat(parameters).st_mode) == 0o600


def test_ordered_files_several_environment_directories(env_set, tmp_path):
    other = tmp_path / 'other-dir'
    other_file = _write(other / '0.yaml', 'a: 1\n')
    ordered = _ordered(env_set, user=[],
                       env_dirs=[str(other), env_set['env_dir']])
    assert ordered[1:4] == [other_file] + env_set['env_dir_files']


def test_ordered_files_without_registry_or_env_dir(templates, tmp_path):
    lifecycle = _write(tmp_path / 'lifecycle.yaml', 'a: 1\n')
    assert environments.ordered_files(
        str(templates), lifecycle, _converge_options(templates),
        str(tmp_path)) == [lifecycle]


def test_ordered_files_user_files_made_absolute(templates, tmp_path,
                                                monkeypatch):
    lifecycle = _write(tmp_path / 'lifecycle.yaml', 'a: 1\n')
    user = _write(tmp_path / 'user' / 'u.yaml', 'a: 1\n')
    monkeypatch.chdir(str(tmp_path / 'user'))
    assert environments.ordered_files(
        str(templates), lifecycle,
        _converge_options(templates, environment_files=['u.yaml']),
        str(tmp_path)) == [lifecycle, user]


@pytest.mark.parametrize('which', ['lifecycle', 'noop', 'user', 'env_dir'])
def test_ordered_files_checks_every_file(env_set, which):
    bad = {'lifecycle': env_set['lifecycle'], 'noop': env_set['noop'],
           'user': env_set['user'][1],
           'env_dir': env_set['env_dir_files'][0]}[which]
    with open(bad, 'w') as out:
        out.write('- not\n- a mapping\n')
    with pytest.raises(WorkflowError, match='not a mapping') as exc:
        _ordered(env_set)
    assert bad in str(exc.value)


def test_ordered_files_missing_user_file(env_set, tmp_path):
    missing = str(tmp_path / 'missing.yaml')
    with pytest.raises(WorkflowError, match='does not exist'):
        _ordered(env_set, user=[missing])


def test_ordered_files_missing_env_directory(env_set, tmp_path):
    with pytest.raises(WorkflowError, match='environment directory'):
        _ordered(env_set, env_dirs=[str(tmp_path / 'nope')])


# read_answers (upstream's --answers-file)


def test_read_answers(tmp_path):
    path = _write(tmp_path / 'answers.yaml', yaml.safe_dump({
        'templates': '/tht', 'environments': ['/a.yaml', '/b.yaml']}))
    assert environments.read_answers(path) == ('/tht', ['/a.yaml',
                                                        '/b.yaml'])


def test_read_answers_without_templates(tmp_path):
    path = _write(tmp_path / 'answers.yaml', 'environments: [/a.yaml]\n')
    assert environments.read_answers(path) == (None, ['/a.yaml'])


@pytest.mark.parametrize('text,message', [
    ('- a\n', 'not a mapping'),
    ('templates: [1]\n', '"templates" must be a path'),
    ('environments: /a.yaml\n', '"environments" a list of paths'),
    ('{', 'not valid YAML'),
])
def test_read_answers_refuses_bad_files(tmp_path, text, message):
    path = _write(tmp_path / 'answers.yaml', text)
    with pytest.raises(WorkflowError, match=message):
        environments.read_answers(path)


def test_read_answers_missing(tmp_path):
    with pytest.raises(WorkflowError, match='cannot be read'):
        environments.read_answers(str(tmp_path / 'nope.yaml'))


# render_templates


def test_render_templates_without_j2_is_the_same_directory(templates):
    _write(templates / 'puppet' / 'role.role.yaml', 'a: 1\n')
    with mock.patch('tripleoclient.utils.jinja_render_files') as render:
        assert environments.render_templates(
            str(templates), None, None, mock.Mock()) == str(templates)
    render.assert_not_called()


def test_render_templates_with_j2_renders_a_copy(templates, tmp_path):
    _write(templates / 'puppet' / 'role.role.j2.yaml', 'a: 1\n')
    work = str(tmp_path / 'work')
    log = mock.Mock()
    with mock.patch.object(environments.tempfile, 'mkdtemp',
                           return_value=work), \
            mock.patch('tripleoclient.utils.jinja_render_files') as render:
        rendered = environments.render_templates(
            str(templates), '/r.yaml', None, log)
    assert rendered == os.path.join(work, 'templates')
    assert os.path.isfile(os.path.join(rendered, 'overcloud.yaml'))
    render.assert_called_once_with(
        mock.ANY, templates=rendered, working_dir=work, roles_file='/r.yaml',
        networks_file=os.path.join(rendered, 'network_data.yaml'),
        base_path=rendered, output_dir=rendered)
    # process-templates.py's lines (tripleoclient logs each as a warning)
    # are debug messages.
    output = render.call_args[0][0]
    output.warning('jinja2 rendering %s', 'a.j2.yaml')
    log.debug.assert_called_once_with('jinja2 rendering %s', 'a.j2.yaml')
    log.warning.assert_not_called()


def test_render_templates_failing_says_the_last_line(templates, tmp_path):
    _write(templates / 'puppet' / 'role.role.j2.yaml', 'a: 1\n')

    def fail(output, **kwargs):
        output.warning('jinja2 rendering role.role.j2.yaml')
        output.warning('Error: role Foo has no name')
        output.error('Problems generating templates.')
        raise RuntimeError('Problems generating templates.')
    with mock.patch('tripleoclient.utils.jinja_render_files',
                    side_effect=fail):
        with pytest.raises(WorkflowError,
                           match='could not render .*role Foo has no name'):
            environments.render_templates(str(templates), None, None,
                                          mock.Mock())


def test_render_templates_glob_characters_in_the_path(tmp_path):
    tht = tmp_path / 'tht[1]'
    _write(tht / 'overcloud.yaml', 'a: 1\n')
    _write(tht / 'role.role.j2.yaml', 'a: 1\n')
    with mock.patch.object(environments.tempfile, 'mkdtemp',
                           return_value=str(tmp_path / 'work')), \
            mock.patch('tripleoclient.utils.jinja_render_files'):
        assert environments.render_templates(
            str(tht), None, None, mock.Mock()) != str(tht)


# reach.check_ssh_key; prepare: default_config_dir, check_inputs


def test_check_ssh_key_missing(tmp_path):
    with pytest.raises(WorkflowError, match='does not exist'):
        reach.check_ssh_key(str(tmp_path / 'id_rsa'))


@pytest.mark.parametrize('mode', [0o644, 0o640, 0o604, 0o660])
def test_check_ssh_key_open_to_others(tmp_path, mode):
    key = _write(tmp_path / 'id_rsa', 'key\n')
    os.chmod(key, mode)
    with pytest.raises(WorkflowError, match='chmod 600') as exc:
        reach.check_ssh_key(key)
    assert key in str(exc.value)


@pytest.mark.parametrize('mode', [0o600, 0o400])
def test_check_ssh_key_private(tmp_path, mode):
    key = _write(tmp_path / 'id_rsa', 'key\n')
    os.chmod(key, mode)
    reach.check_ssh_key(key)


def test_default_config_dir_expands_the_home():
    assert prepare.default_config_dir('~/x', 'overcloud') == os.path.join(
        os.path.expanduser('~'), 'x', 'overcloud')
    assert not prepare.default_config_dir('~/x', 'o').startswith('~')


def test_default_config_dir_absolute_base():
    assert prepare.default_config_dir('/srv/ffu', 'oc-1') == (
        '/srv/ffu/oc-1')


@pytest.mark.parametrize('name', ['a/b', '../etc', '..', 'a..b', '/abs',
                                  '', '.hidden', 'a b'])
def test_default_config_dir_refuses_unsafe_stack_names(name):
    with pytest.raises(WorkflowError, match='stack name') as exc:
        prepare.default_config_dir('~/x', name)
    assert isinstance(exc.value, inventory.InventoryError)


def _options(templates, **kwargs):
    return prepare.Options(stack='overcloud', templates=str(templates),
                           config_dir='/unused', ssh_user='tripleo-admin',
                           **kwargs)


def test_check_inputs_accepts_valid_inputs(templates, tmp_path):
    env = _write(tmp_path / 'env.yaml', 'a: 1\n')
    env_dir = tmp_path / 'envs'
    _write(env_dir / 'b.yaml', 'b: 1\n')
    roles = _write(tmp_path / 'roles.yaml', '[]\n')
    networks = _write(tmp_path / 'networks.yaml', '[]\n')
    key = _write(tmp_path / 'id_rsa', 'key\n')
    os.chmod(key, 0o600)
    prepare.check_inputs(_options(
        templates, environment_files=[env],
        environment_directories=[str(env_dir)], roles_file=roles,
        networks_file=networks, ssh_key=key))


def test_check_inputs_bad_templates(tmp_path):
    with pytest.raises(WorkflowError, match='overcloud.yaml'):
        prepare.check_inputs(_options(tmp_path))


def test_check_inputs_bad_environment_file(templates, tmp_path):
    env = _write(tmp_path / 'env.yaml', '- a\n')
    with pytest.raises(WorkflowError, match='not a mapping'):
        prepare.check_inputs(_options(templates, environment_files=[env]))


def test_check_inputs_missing_environment_directory(templates, tmp_path):
    with pytest.raises(WorkflowError, match='environment directory'):
        prepare.check_inputs(_options(
            templates, environment_directories=[str(tmp_path / 'nope')]))


@pytest.mark.parametrize('field,label', [('roles_file', 'roles file'),
                                         ('networks_file', 'networks file')])
def test_check_inputs_missing_roles_or_networks(templates, tmp_path,
                                                field, label):
    missing = str(tmp_path / 'missing.yaml')
    with pytest.raises(WorkflowError,
                       match='%s .* does not exist' % label):
        prepare.check_inputs(_options(templates, **{field: missing}))


def test_check_inputs_checks_the_ssh_key(templates, tmp_path):
    key = _write(tmp_path / 'id_rsa', 'key\n')
    os.chmod(key, 0o644)
    with pytest.raises(WorkflowError, match='chmod 600'):
        prepare.check_inputs(_options(templates, ssh_key=key))


# check_inputs and build, with converge's options

def _converge_options(templates, **kwargs):
    return converge.Options(stack='overcloud', templates=str(templates),
                            config_dir='/unused', **kwargs)


def test_check_inputs_of_converge_options(templates, tmp_path):
    env = _write(tmp_path / 'env.yaml', 'a: 1\n')
    roles = _write(tmp_path / 'roles.yaml', '[]\n')
    environments.check_inputs(_converge_options(
        templates, environment_files=[env], roles_file=roles))


def test_check_inputs_of_converge_options_missing_file(templates, tmp_path):
    missing = str(tmp_path / 'missing.yaml')
    with pytest.raises(WorkflowError, match='%s does not exist' % missing):
        environments.check_inputs(_converge_options(
            templates, environment_files=[missing]))


def _build(options, out_dir, extra=()):
    return environments.build(options, environments.CONVERGE_ENV,
                              environments.GENERATED_CONVERGE, str(out_dir),
                              mock.Mock(), extra=extra)


def test_build_generates_the_lifecycle_environment_when_missing(templates,
                                                                tmp_path):
    template, files, environment = _build(_converge_options(templates),
                                          tmp_path / 'gen')
    assert template == {'heat_template_version': '2016-10-14'}
    assert files == {}
    assert environment == {
        'parameter_defaults': {'StackUpdateType': '',
                               'EnableOnlineDataMigrations': True}}
    assert environments.read_environment(
        str(tmp_path / 'gen' / environments.CONVERGE_ENV)) == (
        environments.GENERATED_CONVERGE)


def test_build_uses_the_templates_lifecycle_environment(templates,
                                                        tmp_path):
    _write(templates / environments.LIFECYCLE / environments.CONVERGE_ENV,
           'parameter_defaults:\n  StackUpdateType: ""\n  Theirs: 1\n')
    environment = _build(_converge_options(templates), tmp_path / 'gen')[2]
    assert environment == {
        'parameter_defaults': {'StackUpdateType': '', 'Theirs': 1}}
    assert not (tmp_path / 'gen').exists()


def test_build_merges_registry_lifecycle_extra_then_user_files(templates,
                                                               tmp_path):
    def env(*names, value):
        return yaml.safe_dump({'parameter_defaults': {
            name: value for name in names}})
    _write(templates / environments.REGISTRY,
           env('A', 'B', 'C', 'D', value='registry'))
    _write(templates / environments.LIFECYCLE / environments.CONVERGE_ENV,
           env('B', 'C', 'D', value='lifecycle'))
    extra = _write(tmp_path / 'extra.yaml', env('C', 'D', value='extra'))
    user = _write(tmp_path / 'user.yaml', env('D', value='user'))
    environment = _build(
        _converge_options(templates, environment_files=[user]),
        tmp_path / 'gen', extra=[extra])[2]
    assert environment['parameter_defaults'] == {
        'A': 'registry', 'B': 'lifecycle', 'C': 'extra', 'D': 'user'}


def test_build_resolves_registry_files(templates, tmp_path):
    _write(templates / 'extraconfig' / 'pre.yaml',
           'heat_template_version: queens\n')
    user = _write(tmp_path / 'user.yaml', yaml.safe_dump({
        'resource_registry': {'OS::TripleO::NodeExtraConfig': str(
            templates / 'extraconfig' / 'pre.yaml')}}))
    _template, files, environment = _build(
        _converge_options(templates, environment_files=[user]),
        tmp_path / 'gen')
    url = 'file://%s' % (templates / 'extraconfig' / 'pre.yaml')
    assert environment['resource_registry'] == {
        'OS::TripleO::NodeExtraConfig': url}
    assert yaml.safe_load(files[url]) == {
        'heat_template_version': 'queens'}


def test_build_cannot_assemble_is_a_workflow_error(templates, tmp_path):
    user = _write(tmp_path / 'user.yaml', yaml.safe_dump({
        'resource_registry': {'OS::TripleO::NodeExtraConfig':
                              'missing.yaml'}}))
    with pytest.raises(WorkflowError, match='cannot assemble the templates '
                                            'and environments: .*missing'):
        _build(_converge_options(templates, environment_files=[user]),
               tmp_path / 'gen')


def test_prepare_update_merges_upstreams_registry_and_ceph_last(templates,
                                                                tmp_path):
    """--container-registry-file and --ceph-ansible-playbook win over every
    environment file, as upstream's update merged them."""
    user = _write(tmp_path / 'user.yaml', yaml.safe_dump({
        'parameter_defaults': {'DockerImage': 'user',
                               'CephAnsiblePlaybook': 'user'}}))
    images = _write(tmp_path / 'images.yaml', yaml.safe_dump({
        'parameter_defaults': {'DockerImage': 'registry'}}))
    options = _options(templates, environment_files=[user],
                       container_registry_file=images,
                       ceph_ansible_playbook='/ceph/site.yml')
    environment = prepare._build_update(['Controller'], options,
                                        str(tmp_path / 'gen'), mock.Mock())[2]
    assert environment['parameter_defaults']['DockerImage'] == 'registry'
    assert environment['parameter_defaults']['CephAnsiblePlaybook'] == (
        '/ceph/site.yml')


def test_check_templates_accepts_a_packaged_tree_of_jinja2_sources(tmp_path):
    # THT as packaged (and as its sdist) has overcloud.j2.yaml only.
    (tmp_path / 'overcloud.j2.yaml').write_text('heat_template_version: x\n')
    assert environments.check_templates(str(tmp_path)) == str(
        tmp_path / 'overcloud.j2.yaml')


def test_check_templates_takes_the_source_in_a_dir_named_like_yaml(tmp_path):
    """Only the file name changes: a THT tree as packaged, in a directory
    whose own name ends in .yaml."""
    tree = tmp_path / 'tht.yaml'
    tree.mkdir()
    (tree / 'overcloud.j2.yaml').write_text('{}')
    assert environments.check_templates(str(tree)) == str(
        tree / 'overcloud.j2.yaml')


def test_given_parameters_of_the_operators_inputs(tmp_path):
    directory = tmp_path / 'envs'
    directory.mkdir()
    (directory / 'a.yaml').write_text(
        'parameter_defaults: {AdminPassword: dir, NtpServer: a}\n')
    given = tmp_path / 'given.yaml'
    given.write_text('parameters: {AdminPassword: e}\n'
                     'parameter_defaults: {RabbitCookie: c}\n')
    options = prepare.Options(
        stack='overcloud', templates=str(tmp_path), config_dir='cfg',
        ssh_user='heat-admin', environment_files=[str(given)],
        environment_directories=[str(directory)],
        parameters={'NtpServer': 'cli'})
    assert environments.given_parameters(options) == {
        'AdminPassword': 'e', 'NtpServer': 'a', 'RabbitCookie': 'c'}
