"""How the workflow reaches the nodes over SSH: the private key prepare,
run and converge are given."""

import os

from tripleo_ffu.workflow.errors import WorkflowError


def check_ssh_key(path):
    if os.path.isdir(path):
        raise WorkflowError('ssh key %s is not a file' % path)
    if not os.path.isfile(path):
        raise WorkflowError('ssh key %s does not exist' % path)
    if not os.access(path, os.R_OK):
        raise WorkflowError('ssh key %s is not readable' % path)
    if os.stat(path).st_mode & 0o077:
        raise WorkflowError('ssh key %s is readable by others: ssh refuses '
                            'it; run chmod 600 %s' % (path, path))
