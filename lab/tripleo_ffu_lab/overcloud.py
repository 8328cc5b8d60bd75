"""The lab's overcloud stack: deploy it from a template set, read it back."""

import logging
import os
import time

from heatclient import client as heat_client
from heatclient.common import template_utils
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session

from tripleo_ffu_lab import procs
from tripleo_ffu.workflow import environments as tht_files
from tripleo_ffu.workflow import stack as overcloud_stack

LOG = logging.getLogger(__name__)

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'templates')


def templates_dir(release):
    return os.path.join(TEMPLATES, release)


def client(endpoint):
    """A Heat client for the lab's noauth endpoint."""
    sess = ks_session.Session(auth=noauth.NoAuth(endpoint=endpoint))
    return heat_client.Client('1', session=sess, endpoint_override=endpoint)


def deploy_files(lab, release):
    """Template and environment files of the lab's deploy, in order."""
    directory = templates_dir(release)
    return (os.path.join(directory, tht_files.TOP_TEMPLATE),
            [os.path.join(directory, tht_files.REGISTRY),
             lab.passwords_environment, lab.lab_environment])


def _stack_fields(lab, release, environments=()):
    template_path, env_paths = deploy_files(lab, release)
    return files_fields(template_path, env_paths + list(environments))


def files_fields(template_path, env_paths):
    """template, environment and files of a template and its
    environment files, as heatclient builds them."""
    tpl_files, template = template_utils.get_template_contents(
        template_file=template_path)
    env_files, environment = (
        template_utils.process_multiple_environments_and_files(
            env_paths=env_paths))
    return {'template': template, 'environment': environment,
            'files': dict(tpl_files, **env_files)}


def find(heat, name):
    stacks = list(heat.stacks.list(filters={'name': name}))
    return stacks[0] if stacks else None


def wait(heat, stack_id, action, timeout):
    """Wait for an action to end; raise with the failed resources."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            stack = heat.stacks.get(stack_id, resolve_outputs=False)
        except Exception as exc:  # deleted stacks end in a 404
            if action == 'DELETE' and '404' in str(exc):
                return None
            raise
        if stack.stack_status == action + '_COMPLETE':
            return stack
        if not stack.stack_status.endswith('_IN_PROGRESS'):
            raise procs.LabError('stack %s is %s: %s%s' % (
                stack.stack_name, stack.stack_status,
                stack.stack_status_reason,
                overcloud_stack.failures(heat, stack_id)))
        if time.monotonic() > deadline:
            raise procs.LabError('stack %s still %s after %d s' % (
                stack.stack_name, stack.stack_status, timeout))
        time.sleep(1)


def create(heat, lab, name, release, timeout=600, environments=()):
    """A stack of the lab's deploy, with more environment files last."""
    LOG.info('Deploying stack %s from the %s templates', name, release)
    return create_from(heat, name, _stack_fields(lab, release, environments),
                       timeout)


def create_from(heat, name, fields, timeout=600):
    """A stack of files_fields' template and environment."""
    created = heat.stacks.create(stack_name=name, timeout_mins=timeout // 60,
                                 **fields)
    return wait(heat, created['stack']['id'], 'CREATE', timeout)


def delete(heat, name, timeout=600):
    stack = find(heat, name)
    if stack is None:
        return
    LOG.info('Deleting stack %s', name)
    heat.stacks.delete(stack.id)
    wait(heat, stack.id, 'DELETE', timeout)


def outputs(heat, name):
    stack = heat.stacks.get(name)
    return {o['output_key']: o['output_value'] for o in stack.outputs or []}
