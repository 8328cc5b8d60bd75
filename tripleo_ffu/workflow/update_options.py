"""What prepare's and converge's stack updates are given: the options the
two commands share, settled once by the command and never changed."""

import dataclasses

from tripleo_ffu.workflow import preview


@dataclasses.dataclass(frozen=True)
class UpdateOptions:
    stack: str
    templates: str
    config_dir: str
    environment_files: list = dataclasses.field(default_factory=list)
    environment_directories: list = dataclasses.field(default_factory=list)
    # Set by upstream's deprecated options, and --rhel-reg's.
    parameters: dict = dataclasses.field(default_factory=dict)
    registration_files: list = dataclasses.field(default_factory=list)
    roles_file: str = None
    networks_file: str = None
    timeout: int = 240
    stall_minutes: int = 60
    # Where <stack>rc goes (the command's default: the working directory,
    # as upstream); None: nowhere.
    credentials_dir: str = None
    # Who Ansible logs in as on the nodes (converge: who they are checked
    # to answer as; default: the inventory's).
    ssh_user: str = None
    ssh_key: str = None
    # What the operator allows despite the update's preview.
    allow: preview.Allow = dataclasses.field(default_factory=preview.Allow)
