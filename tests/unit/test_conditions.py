"""Reading `when` conditions: steps, releases, conjuncts, falsity."""

import pytest

from tripleo_ffu.workflow import conditions


@pytest.mark.parametrize('condition, step', [
    ('step|int == 3', 3),
    ('step|int==3', 3),
    ('(step|int) == 3', 3),
    ('step == 3', 3),
    ('step | int == 3', 3),
    ('(step|int == 3)', 3),
    ('  step|int == 3  ', 3),
    ('step|int == 10', 10),
    ('step|int == 0', 0),
])
def test_step_of_recognises_spellings_of_a_step(condition, step):
    """Each spelling of `step|int == N` gives N."""
    assert conditions.step_of(condition) == step


@pytest.mark.parametrize('condition', [
    'step|int > 3',
    'step|int != 3',
    'step|int >= 3',
    'step|int == 3 and x',
    'x and step|int == 3',
    'step|int == 1 or step|int == 2',
    'not step|int == 3',
    'mystep|int == 3',
    'step|int == x',
    "step|int == '3'",
    '',
    None,
    3,
    True,
    ['step|int == 3'],
    {'step': 3},
])
def test_step_of_rejects_anything_else(condition):
    """Only a bare equality pins the step; non-strings never do."""
    assert conditions.step_of(condition) is None


@pytest.mark.parametrize('condition, release', [
    ("release == 'ocata'", 'ocata'),
    ('release == "pike"', 'pike'),
    ("release=='queens'", 'queens'),
    ("(release == 'ocata')", 'ocata'),
])
def test_release_of_recognises_a_release(condition, release):
    """`release == 'X'` in either quote gives X."""
    assert conditions.release_of(condition) == release


@pytest.mark.parametrize('condition', [
    "release != 'ocata'",
    "release == 'ocata\"",
    'release == ocata',
    "release == 'ocata' and x",
    "release in ['ocata']",
    "step|int == 3",
    None,
    ['release == "pike"'],
])
def test_release_of_rejects_anything_else(condition):
    """Unbalanced quotes, other operators and non-strings give None."""
    assert conditions.release_of(condition) is None


@pytest.mark.parametrize('expression, parts', [
    ('a', ['a']),
    ('a and b', ['a', 'b']),
    ('a and b and c', ['a', 'b', 'c']),
    ('(a and b)', ['a', 'b']),
    ('((a and b))', ['a', 'b']),
    ('(a or b) and c', ['(a or b)', 'c']),
    ('(a and b) and c', ['(a and b)', 'c']),
    ('f(a and b) and c', ['f(a and b)', 'c']),
    ("'a and b' in x and c", ["'a and b' in x", 'c']),
    ('"x or y" in z and c', ['"x or y" in z', 'c']),
    ('x in [a and b] and c', ['x in [a and b]', 'c']),
    ("x == {'k': a and b} and c", ["x == {'k': a and b}", 'c']),
    ('not a and b', ['not a', 'b']),
    ('not (a and b)', ['not (a and b)']),
    ('sand and candor', ['sand', 'candor']),
    ('brand == 1', ['brand == 1']),
])
def test_conjuncts_split_only_at_the_top_level(expression, parts):
    """` and ` inside brackets or quotes does not split."""
    assert conditions.conjuncts(expression) == parts


@pytest.mark.parametrize('expression', [
    'a or b',
    'a and b or c',
    'a or b and c',
    '(a or b)',
    'step|int == 1 or step|int == 2',
])
def test_conjuncts_refuse_a_top_level_or(expression):
    """A top-level ` or ` means the expression is no conjunction."""
    assert conditions.conjuncts(expression) is None


@pytest.mark.parametrize('expression', [
    '(a or b) and c',
    "'a or b' == x",
    'x in [a or b]',
    'color and flavor',
])
def test_conjuncts_ignore_an_or_that_is_not_top_level(expression):
    """An ` or ` in brackets or quotes is not the top-level operator."""
    assert conditions.conjuncts(expression) is not None


@pytest.mark.parametrize('when, expected', [
    (None, []),
    ('a and b', ['a', 'b']),
    (['a and b', 'c'], ['a', 'b', 'c']),
    ([True, 'a'], [True, 'a']),
    ([False], [False]),
    (False, [False]),
    (['a', 'b or c'], None),
    ('b or c', None),
    (['a', 3], None),
    ({'a': 'b'}, None),
])
def test_all_conjuncts(when, expected):
    """Every conjunct of a string or list, or None when unsure."""
    assert conditions.all_conjuncts(when) == expected


@pytest.mark.parametrize('when, release, step', [
    (['x', 'step|int == 3'], 'ocata', 5),
    (['step|int == 3'], None, 0),
    ('step|int == 3', 'ocata', 4),
    ('x and step|int == 3', 'ocata', 4),
    ('(x and step|int == 3)', 'ocata', 4),
    ('step == 3', None, 2),
    ("release == 'ocata'", 'pike', 3),
    ("release == 'ocata'", 'pike', None),
    (['x', "release == \"ocata\""], 'queens', None),
    ("x and release == 'ocata' and step|int == 1", 'ocata', 2),
    ("x and release == 'ocata' and step|int == 1", 'pike', 1),
    (False, 'ocata', 3),
    ([False], None, None),
    (['x', False], 'ocata', 3),
])
def test_provably_false(when, release, step):
    """A pinned step or release that differs, or a False, is false."""
    assert conditions.provably_false(when, release, step) is True


@pytest.mark.parametrize('when, release, step', [
    (None, 'ocata', 3),
    ([], 'ocata', 3),
    (True, 'ocata', 3),
    ('x', 'ocata', 3),
    (['x', 'y'], 'ocata', 3),
    (['x', 'step|int == 3'], 'ocata', 3),
    ('x and step|int == 3', None, 3),
    ('step == 3', None, 3),
    ("release == 'ocata'", 'ocata', 3),
    ("release == 'ocata'", None, 3),
    # The post play has no step: it never filters on one.
    ('step|int == 3', 'queens', None),
    (['x', 'step|int == 3'], 'queens', None),
    # An `or` is never provably false, whatever its parts.
    ('step|int == 1 or step|int == 2', 'ocata', 5),
    (['step|int == 1 or step|int == 2'], 'ocata', 5),
    (['x', 'step|int == 1 or step|int == 2'], 'ocata', 5),
    (['step|int == 1 or x', 'step|int == 2'], 'ocata', 5),
    ("release == 'ocata' or release == 'pike'", 'queens', 1),
    ('(step|int == 1) or (step|int == 2)', 'ocata', 5),
    # Conditions that merely mention the step pin nothing.
    ('step|int > 3', 'ocata', 1),
    ('not step|int == 3', 'ocata', 1),
    ('(step|int == 1 or x) and y', 'ocata', 5),
    (['x', 3], 'ocata', 5),
])
def test_not_provably_false(when, release, step):
    """Anything that might hold at this release and step is kept."""
    assert conditions.provably_false(when, release, step) is False


@pytest.mark.parametrize('when', [
    'a or\nb and step|int == 2',
    'a or\tb and step|int == 2',
])
def test_an_or_next_to_other_whitespace_is_never_provably_false(when):
    """Jinja reads any whitespace around `or` as a separator."""
    assert conditions.conjuncts(when) is None
    assert conditions.provably_false(when, 'ocata', 5) is False


@pytest.mark.parametrize('when, release, step, left', [
    ('step|int == 3', 'ocata', 3, None),
    ('step | int == 3', None, 3, None),
    ('(step|int) == 3', None, 3, None),
    (['step|int == 3', "release == 'pike'"], 'pike', 3, None),
    (['step|int == 3', 'x|bool'], 'pike', 3, ['x|bool']),
    (['x|bool', "release == 'pike'"], 'pike', None, ['x|bool']),
    # Not settled: another step, no step, or a string compared to an int.
    ('step|int == 3', 'ocata', 4, 'step|int == 3'),
    ('step|int == 3', 'ocata', None, 'step|int == 3'),
    ('step == 3', 'ocata', 3, 'step == 3'),
    (["release == 'pike'"], 'ocata', 3, ["release == 'pike'"]),
    # An expression of several parts stays whole.
    ("step|int == 3 and release == 'pike'", 'pike', 3,
     "step|int == 3 and release == 'pike'"),
    ('step|int == 3 or x', 'pike', 3, 'step|int == 3 or x'),
])
def test_without_true_drops_the_items_a_play_settles(when, release, step,
                                                     left):
    assert conditions.without_true(when, release, step) == left
