"""The config dir's YAML: safe loading, the C parser and emitter."""

import io

import pytest
import yaml

from tripleo_ffu.workflow import yamlfile


def test_round_trip_keeps_order_and_text():
    data = [{'name': 'Update {{ release }}', 'when': ['step|int == 3'],
             'copy': {'content': 'ocata\n', 'dest': '/x'}}]
    text = yamlfile.dump(data, default_flow_style=False, sort_keys=False)
    assert text.startswith('- name: Update {{ release }}\n')
    assert yamlfile.load(io.StringIO(text)) == data
    assert text == yaml.safe_dump(data, default_flow_style=False,
                                  sort_keys=False)


def test_loading_is_safe():
    with pytest.raises(yaml.YAMLError):
        yamlfile.load('!!python/object/apply:os.system ["true"]')
