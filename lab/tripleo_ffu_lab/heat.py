"""The lab's Heat: heat-all (API + engine) with noauth, on loopback."""

import configparser
import datetime
import io
import json
import os
import shutil
import urllib.error
import urllib.request

from tripleo_ffu_lab import install
from tripleo_ffu_lab import procs
from tripleo_ffu.workflow import files

NAME = 'heat-all'
CFN_ENDPOINT = 'http://127.0.0.1:8000/v1'
# heat-all's plugins (plugin_dirs): see that directory's modules.
PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'heat_plugins')
PROJECT = 'admin'
FAKE_KEYSTONE = ('heat.engine.clients.os.keystone.fake_keystoneclient.'
                 'FakeKeystoneClient')


def endpoint(port):
    """The orchestration endpoint, project included, as clients want it."""
    return 'http://127.0.0.1:%d/v1/%s' % (port, PROJECT)


def _heat_path(lab, name):
    return lab.path('heat', name)


def config_text(lab, heat_port, db_port, db_password):
    """heat.conf for an API and engine in one process, without Keystone."""
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_dict({
        'DEFAULT': {
            'transport_url': 'fake://',
            'keystone_backend': FAKE_KEYSTONE,
            # Without Keystone there are no trusts to store: keep the
            # request's credentials, as tripleoclient's ephemeral Heat does.
            'deferred_auth_method': 'password',
            'rpc_response_timeout': '600',
            'max_json_body_size': '8388608',
            # As a queens undercloud: its upgrade from newton (whose Heat
            # ran the legacy engine) migrates the overcloud stack to
            # convergence (instack-undercloud's migrate_convergence_1).
            'convergence_engine': 'true',
            # No agent runs on a lab node: a software deployment (THT's
            # stacks have hundreds) completes as soon as Heat has made it.
            'default_deployment_signal_transport': 'HEAT_SIGNAL',
            # With the default 64 threads, parents waiting on nested
            # stacks take every thread and a large stack hangs forever.
            'executor_thread_pool_size': '1000',
            'num_engine_workers': '1',
            'max_nested_stack_depth': '10',
            'max_resources_per_stack': '-1',
            'use_stderr': 'true',
            'debug': 'false',
            'stack_scheduler_hints': 'false',
            # A lab's heat-all may stop at once: nothing to drain.
            'graceful_shutdown_timeout': '3',
            # The lab's constraints for what has no service in the lab.
            'plugin_dirs': PLUGINS,
        },
        'database': {
            'connection': 'mysql+pymysql://heat:%s@127.0.0.1:%d/heat'
                          % (db_password, db_port),
            'max_pool_size': '20',
            'max_overflow': '50',
        },
        'heat_all': {'enabled_services': 'api,engine'},
        'heat_api': {'bind_host': '127.0.0.1', 'bind_port': str(heat_port),
                     'workers': '1'},
        'paste_deploy': {'flavor': 'noauth',
                         'api_paste_config': _heat_path(lab,
                                                        'api-paste.ini')},
        'noauth': {'token_response': _heat_path(lab, 'token-response.json')},
        # noauth sends only the admin role, which the new defaults refuse.
        'oslo_policy': {'enforce_new_defaults': 'false',
                        'enforce_scope': 'false'},
        'oslo_concurrency': {'lock_path': lab.path('heat', 'locks')},
        # RoleData/RoleConfig are computed with yaql over every service and
        # task; the bulk services make thousands (an undercloud raises
        # these too).
        'yaql': {'memory_quota': '100000000', 'limit_iterators': '100000'},
    })
    text = io.StringIO()
    conf.write(text)
    return text.getvalue()


def token_response(heat_port):
    """What the noauth middleware hands the engine as the user's token."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {'token': {
        'methods': ['password'],
        'issued_at': now.isoformat(),
        # Rewritten at every start; a lab may stay up for days.
        'expires_at': (now + datetime.timedelta(days=365)).isoformat(),
        'roles': [{'id': 'admin', 'name': 'admin'}],
        'project': {'id': PROJECT, 'name': PROJECT,
                    'domain': {'id': 'default', 'name': 'Default'}},
        'user': {'id': 'admin', 'name': 'admin',
                 'domain': {'id': 'default', 'name': 'Default'}},
        'catalog': [{'type': 'orchestration', 'name': 'heat', 'endpoints': [
            {'interface': interface, 'region': 'regionOne',
             'url': endpoint(heat_port)}
            for interface in ('public', 'internal', 'admin')]},
            {'type': 'identity', 'name': 'keystone', 'endpoints': [
                {'interface': interface, 'region': 'regionOne',
                 'url': 'http://127.0.0.1/v3'}
                for interface in ('public', 'internal', 'admin')]},
            # THT's deployed servers (OS::Heat::DeployedServer, default
            # transport POLL_SERVER_CFN) get their metadata URL from the
            # CFN API's endpoint: an undercloud has one. The lab runs no
            # CFN API and no agent asks it for anything.
            {'type': 'cloudformation', 'name': 'heat-cfn', 'endpoints': [
                {'interface': interface, 'region': 'regionOne',
                 'url': CFN_ENDPOINT}
                for interface in ('public', 'internal', 'admin')]}],
    }}


def write_config(lab, heat_port, db_port, db_password):
    os.makedirs(lab.path('heat', 'locks'), mode=0o700, exist_ok=True)
    conf_path = _heat_path(lab, 'heat.conf')
    files.write_private(conf_path,
                        config_text(lab, heat_port, db_port, db_password))
    files.write_private(_heat_path(lab, 'token-response.json'),
                        json.dumps(token_response(heat_port), indent=2))
    shutil.copyfile(os.path.join(lab.heat_venv, 'etc', 'heat',
                                 'api-paste.ini'),
                    _heat_path(lab, 'api-paste.ini'))
    return conf_path


def db_sync(lab, conf_path):
    procs.run([install.heat_bin(lab, 'heat-manage'), '--config-file',
               conf_path, 'db_sync'], 'heat-manage db_sync')


def api_probe(heat_port):
    """None when the API answers a stack list (so the engine is up too),
    else what it answered."""
    url = endpoint(heat_port) + '/stacks'
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        return 'GET %s failed: %s' % (url, getattr(exc, 'reason', exc))
    return None if status == 200 else 'GET %s answered HTTP %d' % (url,
                                                                    status)


def api_ready(heat_port):
    return api_probe(heat_port) is None


def start(lab, heat_port, db_port, db_password):
    if procs.running_pid(lab, NAME):
        return False
    conf_path = write_config(lab, heat_port, db_port, db_password)
    db_sync(lab, conf_path)
    proc = procs.start(lab, NAME, [install.heat_bin(lab, 'heat-all'),
                                   '--config-file', conf_path])
    procs.wait_until(lambda: api_probe(heat_port), 120,
                     'Heat API on 127.0.0.1:%d' % heat_port, lab, NAME, proc)
    return True


def stop(lab):
    # heat-all 24 was seen ignoring SIGTERM for more than 5 s.
    return procs.stop(lab, NAME, timeout=15)
