"""The lab's simulated printers answer the OIDs the collection reads: lab/lab.py types them for its snmpd
configuration, plugins/module_utils/printers/settings.py declares them; the two must not drift apart."""
from ansible_collections.printfleet.mve.plugins.module_utils.printers import settings as ps
from lab import lab


def test_lab_serves_the_objects_printer_facts_reads():
    s = ps.SETTINGS
    assert lab.OID_SYSDESCR == s['sysDescr']['oid']
    assert lab.OID_SYSNAME == s['sysName']['oid']
    assert lab.OID_PRT_SERIAL == s['prtGeneralSerialNumber']['oid']
    assert lab.OID_HR_DEVICE_DESCR == s['hrDeviceDescr']['oid']
    assert lab.OID_PRT_MARKER_LIFE == s['prtMarkerLifeCount']['oid']
    assert lab.OID_LXK_PRINTER_NAME == s['prtgenPrinterName']['oid']
    assert lab.OID_LXK_CODE_REVISION == s['prtgenCodeRevision']['oid']
    assert lab.OID_LXK_SERIAL == s['prtgenSerialNo']['oid']
    supplies = ps.TABLES['supplies']
    assert lab.OID_SUPPLIES_DESCRIPTION == supplies['description'][0]
    assert lab.OID_SUPPLIES_MAX_CAPACITY == supplies['max_capacity'][0]
    assert lab.OID_SUPPLIES_LEVEL == supplies['level'][0]


def test_snmpd_configuration_carries_supplies_and_lexmark_objects(tmp_path):
    printer = {'name': 'printer07', 'index': 7, 'model': 'MS822de', 'firmware': 'MSNGM.081.234',
               'serial': '5027LQ00007', 'sys_object_id': '1.3.6.1.4.1.641.1.1', 'page_count': 1234}
    conf = lab.snmpd_conf(printer, ['127.0.1.7'], str(tmp_path), 161)
    assert 'override %s.1.1 octet_str "Black Toner Cartridge"' % lab.OID_SUPPLIES_DESCRIPTION in conf
    assert 'override %s octet_str "5027LQ00007"' % lab.OID_LXK_SERIAL in conf
    assert 'sysContact' not in conf.replace('sysContact, sysName', '')   # a configured sysContact is read-only
