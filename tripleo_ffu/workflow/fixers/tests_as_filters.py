"""Write Ansible's tests as tests, not filters.

THT stable/queens writes `galera_res|succeeded`, `result|changed`,
`text|search(...)`: Jinja tests used as filters, which Ansible 2.9 no
longer provides as filters ("no filter named 'succeeded'"). Such a task
fails when its condition is evaluated, most often on the bootstrap node
in the middle of the upgrade. `x|succeeded` and `x is succeeded` call the
same function: the fix changes how it is written, not what it means.

Only conditions (`when`, `failed_when`, `changed_when`, `until`) and the
`{{ }}` expressions of `set_fact` values are rewritten, and only where
the test ends its filter chain (`x|succeeded|bool` is left as it is).
"""

import re

from tripleo_ffu.workflow import fixers

TESTS = ('succeeded', 'success', 'failed', 'failure', 'changed', 'change',
         'skipped', 'skip', 'finished', 'started', 'search', 'match',
         'regex', 'version_compare', 'issubset', 'issuperset')
CONDITION_KEYS = ('when', 'failed_when', 'changed_when', 'until')
_FILTER = re.compile(r'\s*\|\s*(%s)\b(\s*\([^()]*\))?(?!\s*\|)'
                     % '|'.join(TESTS))
_EXPRESSION = re.compile(r'\{\{(.*?)\}\}', re.S)


def _outside_quotes(text, rewrite):
    """rewrite() applied to the parts of text outside string literals."""
    parts, start, quote = [], 0, None
    for index, char in enumerate(text):
        if quote:
            if char == quote and text[index - 1] != '\\':
                parts.append(text[start:index + 1])
                start, quote = index + 1, None
        elif char in '\'"':
            parts.append(rewrite(text[start:index]))
            start, quote = index, char
    if quote:
        return text  # unbalanced: leave it to Ansible to say
    parts.append(rewrite(text[start:]))
    return ''.join(parts)


def rewrite_expression(text):
    return _outside_quotes(text, lambda part: _FILTER.sub(
        lambda match: ' is %s%s' % (match.group(1),
                                    (match.group(2) or '').strip()), part))


def _rewrite_templates(text):
    return _EXPRESSION.sub(
        lambda match: '{{%s}}' % rewrite_expression(match.group(1)), text)


def _fixed(value, rewrite):
    if isinstance(value, str):
        return rewrite(value)
    if isinstance(value, list):
        return [_fixed(item, rewrite) for item in value]
    if isinstance(value, dict):
        return {key: _fixed(item, rewrite) for key, item in value.items()}
    return value


class TestsAsTests:
    name = 'tests-as-filters'
    order = 30

    def fix(self, tasks, path):
        changed = []

        def visit(task, label):
            before = dict(task)
            for key in CONDITION_KEYS:
                if key in task:
                    task[key] = _fixed(task[key], rewrite_expression)
            if 'set_fact' in task:
                task['set_fact'] = _fixed(task['set_fact'],
                                          _rewrite_templates)
            if task != before:
                changed.append(label)

        fixers.walk(tasks, visit, path)
        return changed
