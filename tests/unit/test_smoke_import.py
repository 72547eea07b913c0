from ansible_collections.printfleet.mve.plugins.module_utils import port_matrix


def test_matrix_imports():
    assert 'printer.snmp' in port_matrix.FLOW_IDS
