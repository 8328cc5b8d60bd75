"""Reading Ansible `when` conditions without evaluating them.

Both the task fixers and the plan compiler need the same facts about a
`when`: its conjuncts, and which of them pin the step or the release.
"""

import functools
import re

_STEP = re.compile(r'^\(?\s*step\s*(?:\|\s*int\s*)?\)?\s*==\s*(\d+)$')
# Only with |int is the condition true at its step: step is a string.
_STEP_INT = re.compile(r'^\(?\s*step\s*\|\s*int\s*\)?\s*==\s*(\d+)$')
_RELEASE = re.compile(r'''^release\s*==\s*(['"])([A-Za-z0-9_.-]+)\1$''')


def _outside_quotes(text):
    """(index, char, depth) for each char outside quotes; depth counts the
    brackets open around it."""
    depth, quote, escaped = 0, None, False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == '\\':
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in '\'"':
            quote = char
            continue
        if char in ')]}':
            depth -= 1
        yield index, char, depth
        if char in '([{':
            depth += 1


def _strip_parens(text):
    """Drop parentheses that wrap the whole expression."""
    text = text.strip()
    while text.startswith('(') and _closing_first(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing_first(text):
    """Index of the bracket closing the one text starts with, or -1."""
    for index, char, depth in _outside_quotes(text):
        if index and depth == 0:
            return index
    return -1


def _split_top_level(text, word, loose=False):
    """Split text on `word` (whitespace around it, any kind) where it is
    outside quotes and brackets. loose: also where a bracket or a quote
    touches it (`(a)or b`): to find an `or` that must not be missed."""
    token = re.compile(r'(?<![\w.|])%s(?![\w])' % word if loose
                       else r'\s+%s\s+' % word)
    parts, start = [], 0
    for index, _, depth in _outside_quotes(text):
        if depth or index < start:
            continue
        match = token.match(text, index)
        if match:
            parts.append(text[start:index])
            start = match.end()
    parts.append(text[start:])
    return [part.strip() for part in parts]


def conjuncts(expression):
    """The and-ed parts of a string condition, or None when it is not a
    plain conjunction (a top-level `or`, or an inline `if ... else`).

    `not` binds tighter than `and` in Jinja, so it never spans a split.
    """
    parts = _conjuncts(expression)
    return None if parts is None else list(parts)


# The parsers below are cached: the plan compiler asks about each task's
# items at every step of every release, and a large overcloud's thousands
# of tasks share a few hundred distinct items.
@functools.lru_cache(maxsize=None)
def _conjuncts(expression):
    text = _strip_parens(expression)
    if any(len(_split_top_level(text, word, loose=True)) > 1
           for word in ('or', 'if')):
        return None
    return tuple(_split_top_level(text, 'and'))


def step_of(condition):
    """N when condition is exactly `step|int == N` (or a spelling of it)."""
    return _step_of(condition) if isinstance(condition, str) else None


@functools.lru_cache(maxsize=None)
def _step_of(condition):
    match = _STEP.match(_strip_parens(condition))
    return int(match.group(1)) if match else None


def release_of(condition):
    """X when condition is exactly `release == 'X'`."""
    return _release_of(condition) if isinstance(condition, str) else None


@functools.lru_cache(maxsize=None)
def _release_of(condition):
    match = _RELEASE.match(_strip_parens(condition))
    return match.group(2) if match else None


def all_conjuncts(when):
    """Every conjunct of a `when` (string or list), or None if unsure.

    None means the `when` is not a plain conjunction (an `or` at the top
    of a part), so nothing may be concluded from it.
    """
    if when is None:
        return []
    items = when if isinstance(when, list) else [when]
    found = []
    for item in items:
        if isinstance(item, bool):
            found.append(item)
            continue
        if not isinstance(item, str):
            return None
        parts = conjuncts(item)
        if parts is None:
            return None
        found.extend(parts)
    return found


def provably_false(when, release, step):
    """True only when `when` cannot hold at this release and step."""
    parts = all_conjuncts(when)
    if not parts:
        return False
    for part in parts:
        if part is False:
            return True
        pinned_step = step_of(part)
        if pinned_step is not None and step is not None \
                and pinned_step != step:
            return True
        pinned_release = release_of(part)
        if pinned_release is not None and release is not None \
                and pinned_release != release:
            return True
    return False


def _true_at(condition, release, step):
    """Whether condition is, exactly, a step or release test that holds
    at this release and step."""
    if not isinstance(condition, str):
        return False
    text = _strip_parens(condition)
    match = _STEP_INT.match(text)
    if match:
        return step is not None and int(match.group(1)) == step
    return release is not None and release_of(text) == release


def without_true(when, release, step):
    """The `when` without its items that hold at this release and step
    (None when none is left): Ansible templates each item on each node,
    at a cost comparable to running a small task. Items are dropped
    whole, never rewritten; an item that is an expression of several
    conjuncts stays as it is."""
    items = when if isinstance(when, list) else [when]
    kept = [item for item in items if not _true_at(item, release, step)]
    if len(kept) == len(items):
        return when
    if not kept:
        return None
    return kept if isinstance(when, list) else kept[0]
