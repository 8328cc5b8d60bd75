"""A plugin of the lab's heat-all (plugin_dirs), not a tripleo_ffu module.

The lab has no Nova or Glance, but THT's role templates constrain their
flavor, image and key name parameters (nova.flavor, glance.image,
nova.keypair), which Heat checks by asking those services. On a lab the
servers are deployed servers, which use none of the three: these
constraints accept any name. Heat registers plugin constraints after its
own, so these replace them in the lab's Heat only.
"""

from heat.engine import constraints

NAMES = ('nova.flavor', 'nova.keypair', 'glance.image')


class LabAnyName(constraints.BaseCustomConstraint):
    """Any value: there is no service to look it up in."""

    def validate(self, value, context, template=None):
        return True


def constraint_mapping():
    return {name: LabAnyName for name in NAMES}
