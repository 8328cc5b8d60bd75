"""The hosts a play's `hosts:` or a run's --limit name, resolved over the
YAML inventory prepare wrote, as Ansible 2.9 resolves them: names of
groups or hosts, wildcards, `~regex`, joined by ',' or ':', with `&` to
intersect and `!` to exclude (after the others, whatever their place)."""

import fnmatch
import re

from tripleo_ffu.workflow.errors import WorkflowError

_TERM = re.compile(r'(?:[^\s:\[\]]|\[[^\]]*\])+')


def split(pattern):
    """Ansible's split_host_pattern, for names (not IPv6 addresses)."""
    if isinstance(pattern, (list, tuple)):
        return [term for item in pattern for term in split(item)]
    pattern = str(pattern)
    terms = pattern.split(',') if ',' in pattern else _TERM.findall(pattern)
    return [term.strip() for term in terms if term.strip()]


def groups(inventory):
    """{group: set of hosts}, children's hosts included, and 'all'."""
    direct, children = {}, {}
    for name, group in (inventory or {}).items():
        group = group if isinstance(group, dict) else {}
        direct[name] = set(group.get('hosts') or {})
        children[name] = list(group.get('children') or {})

    def members(name, seen):
        found = set(direct.get(name, ()))
        for child in children.get(name, ()):
            if child not in seen:
                found |= members(child, seen | {child})
        return found

    resolved = {name: members(name, {name}) for name in direct}
    resolved['all'] = set().union(*resolved.values()) if resolved else set()
    return resolved


def _match(term, by_group):
    everything = by_group['all']
    if term in ('all', '*'):
        return set(everything)
    if term.startswith('~'):
        regex = re.compile(term[1:])
        names = [name for name in list(by_group) + sorted(everything)
                 if regex.match(name)]
    elif any(char in term for char in '*?['):
        if re.search(r'\[\d*:?\d*\]$', term):
            raise WorkflowError('host pattern %r: subscripts are not '
                                'supported here; name the nodes' % term)
        names = [name for name in list(by_group) + sorted(everything)
                 if fnmatch.fnmatchcase(name, term)]
    else:
        names = [term]
    found = set()
    for name in names:
        if name in by_group:
            found |= by_group[name]
        elif name in everything:
            found.add(name)
    return found


def resolve(inventory, pattern, by_group=None):
    """The set of hosts pattern names in inventory."""
    by_group = by_group if by_group is not None else groups(inventory)
    terms = split(pattern)
    plain = [term for term in terms if term[0] not in '&!']
    found = set()
    for term in plain or ['all']:
        found |= _match(term, by_group)
    for term in terms:
        if term.startswith('&'):
            found &= _match(term[1:], by_group)
    for term in terms:
        if term.startswith('!'):
            found -= _match(term[1:], by_group)
    return found
