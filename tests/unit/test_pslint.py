# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/support/pslint.py: for every rule a sample it must catch (rule id and line) and one it must accept."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import textwrap

import pytest

from support import pslint


def findings(text, **kwargs):
    return pslint.check_text(textwrap.dedent(text).lstrip('\n'), 'sample.ps1', **kwargs)


def hits(text, rule, **kwargs):
    """Lines at which ``rule`` fires."""
    return [f.line for f in findings(text, **kwargs) if f.rule == rule]


def assert_clean(text, rule=None, **kwargs):
    found = [f for f in findings(text, **kwargs) if rule is None or f.rule == rule]
    assert not found, '\n'.join(str(f) for f in found)


# ---- parse ---------------------------------------------------------------------------------------------

def test_parse_reports_an_error_with_its_line_and_column():
    result = findings('''
        $a = 1
        if ($a -eq 1 {
            $a
        }
    ''')
    parse = [f for f in result if f.rule == 'parse']
    assert parse, result
    assert parse[0].line in (2, 5)
    assert parse[0].col >= 1


def test_parse_reports_a_missing_token():
    result = [f for f in findings('$h = @{ a = 1\n') if f.rule == 'parse']
    assert [f.line for f in result] == [1]
    assert 'missing' in result[0].message or 'syntax error' in result[0].message


def test_parse_accepts_valid_powershell():
    assert_clean('''
        $ErrorActionPreference = 'Stop'
        $list = New-Object System.Collections.Generic.List[byte]
        $h = [ordered]@{ a = 1; b = @(1, 2) }
        switch ($h.a) {
            1 { 'one' }
            default { 'other' }
        }
        try { [void]$list.Add(1) } catch [System.Exception] { $_.Exception.Message } finally { $list.Clear() }
        $s = @'
        literal $not_a_variable
        '@
        ConvertTo-Json -InputObject $h -Depth 4 -Compress
    ''')


# ---- ps7-syntax ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('code, what', [
    ('Get-Item x && Remove-Item x', '&&'),
    ('Get-Item x || Write-Output no', '||'),
    ('$y = $x ?? 2', '??'),
    ('$x ??= 2', '??='),
    ('${x}?.Length', '?.'),
    ('${x}?[0]', '?['),
    ('$y = $x ? 1 : 2', 'ternary'),
    ('Start-Sleep 1 &', 'background'),
    ('"a`u{2013}b"', '`u{'),
    ("$x -replace 'a', { $_.Value }", '-replace'),
])
def test_ps7_syntax_is_flagged(code, what):
    result = findings('$x = 1\n' + code + '\n')
    assert [(f.rule, f.line) for f in result] == [('ps7-syntax', 2)], (what, result)


def test_ps7_syntax_has_a_specific_message_for_constructs_the_grammar_rejects():
    (finding,) = findings('$x = 1\n$y = $x ?? 2\n')
    assert 'null-coalescing' in finding.message
    (finding,) = findings('$x = 1\n$y = $x ? 1 : 2\n')
    assert 'ternary' in finding.message


def test_ps7_syntax_accepts_the_51_equivalents():
    assert_clean('''
        $x = $null
        if ($?) { Get-Item . }
        $y = if ($null -ne $x) { $x } else { 2 }
        $z = $(if ($x) { 1 } else { 2 })
        $w = 'a' | Where-Object { $_ } | ? { $_ }
        $dash = "a$([char]0x2013)b"
        $escaped = "a``u{2013}b"
        $r = [regex]::Replace('abc', 'b', { param($m) $m.Value.ToUpper() })
        $n = 'a-b' -replace '-', '+'
    ''')


# ---- ps7-params ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('code', [
    "'{}' | ConvertFrom-Json -AsHashtable",
    "'{}' | ConvertFrom-Json -Depth 10",
    "'{}' | ConvertFrom-Json -Dep 10",                  # a prefix is the same parameter
    '1..3 | ForEach-Object -Parallel { $_ }',
    '1..3 | % { $_ } -ThrottleLimit 2',
    'Get-Content x.bin -AsByteStream',
    'gc x.bin -AsByteStream',                          # an alias
    'Invoke-WebRequest https://x -SkipCertificateCheck',
    'irm https://x -SkipCertificateCheck',
    'Microsoft.PowerShell.Utility\\Invoke-RestMethod https://x -SkipCertificateCheck',
    "Test-Json -Json '{}'",
    'ConvertTo-Json -InputObject @(1) -AsArray -Depth 2',
    'ConvertTo-Json -InputObject 1 -EnumsAsStrings -Depth 2',
    "@('a') | Join-String -Separator ','",
    'Get-Error',
    'Start-ThreadJob { 1 }',
    'Split-Path x.txt -LeafBase',
    "'x' | Out-File x.txt -Encoding utf8NoBOM",
])
def test_ps7_params_are_flagged(code):
    assert hits('$x = 1\n' + code, 'ps7-params') == [2]


def test_ps7_params_accepts_51_parameters():
    assert_clean('''
        $j = '{}' | ConvertFrom-Json
        $k = ConvertFrom-Json -InputObject '{}'
        1..3 | ForEach-Object -Process { $_ } -Begin { } -End { }
        $b = Get-Content x.bin -Encoding Byte -ReadCount 0
        $r = Invoke-WebRequest https://x -UseBasicParsing -TimeoutSec 5
        $leaf = Split-Path x.txt -Leaf
        'x' | Out-File x.txt -Encoding UTF8
        ConvertTo-Json -InputObject $j -Depth 3
    ''', 'ps7-params')


# ---- netcore-api ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('code', [
    '$hex = [Convert]::ToHexString($b)',
    "$b = [System.Convert]::FromHexString('00ff')",
    '$s = [System.Span[byte]]::Empty',
    '$m = [System.Memory[byte]]::Empty',
    '$h = [HashCode]::Combine(1, 2)',
    "$d = [System.Text.Json.JsonSerializer]::Serialize($b)",
    '$n = [System.Security.Cryptography.RandomNumberGenerator]::GetInt32(10)',
    '$o = New-Object System.Net.Security.SslClientAuthenticationOptions',
    '$h = New-Object System.Net.Http.SocketsHttpHandler',
    "$j = [string]::Join([char]',', $b)",
    "$c = $s.Contains('x', [StringComparison]::OrdinalIgnoreCase)",
    "$c = $s.Contains('x', 'OrdinalIgnoreCase')",
    "$parts = $s.Split(', ')",
    '$t = $sock.ReceiveAsync($buf, [System.Net.Sockets.SocketFlags]::None, $cts.Token)',
    '$t = $sock.SendAsync($b.AsMemory(), $cts.Token)',
    "$t = $tcp.ConnectAsync('printer', 9100, $cts.Token)",
    '$p = [System.Security.Authentication.SslProtocols]::Tls13',
    '$c = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem($s)',
    '$c = New-Object System.Net.Http.HttpClient',
])
def test_netcore_api_is_flagged(code):
    assert set(hits('$b = $s = $sock = $tcp = $cts = $buf = $null\n' + code, 'netcore-api')) == {2}


def test_netcore_api_accepts_net_framework_apis_and_ignores_comments_and_strings():
    assert_clean('''
        $ip = [System.Net.IPAddress]::Parse('192.0.2.1')
        $t = [TimeSpan]::FromSeconds(1)
        $ms = New-Object System.IO.MemoryStream
        $hex = [BitConverter]::ToString([byte[]](1, 2)) -replace '-', ''
        $b = [Convert]::FromBase64String('AA==')
        $c = 'abc'.Contains('b')
        $i = 'abc'.IndexOf('B', [StringComparison]::OrdinalIgnoreCase)
        $parts = 'a,b'.Split(',')
        $udp = New-Object System.Net.Sockets.UdpClient
        $task = $udp.ReceiveAsync()
        $tcp = New-Object System.Net.Sockets.TcpClient
        $connect = $tcp.ConnectAsync('printer', 9100)
        $p = [System.Security.Authentication.SslProtocols]::Tls12
        try { $p = $p -bor [System.Security.Authentication.SslProtocols]'Tls13' } catch { $null = $_ }
        # [Convert]::ToHexString would be nicer, but it is .NET 5+
        $note = 'no [Convert]::ToHexString here'
        Add-Type -AssemblyName System.Net.Http
        $client = New-Object System.Net.Http.HttpClient
    ''', 'netcore-api')


def test_netcore_api_checks_subexpressions_inside_strings():
    assert hits('$b = $null\n"$([Convert]::ToHexString($b))"', 'netcore-api') == [2]


# ---- script-scope --------------------------------------------------------------------------------------

REAL_WORLD_BUG = '''
    # The text runs as & ([ScriptBlock]::Create($s)): psrp's AddScript(useLocalScope) does the same. The
    # block's top level is a child scope, so $tcp below is not $script:tcp.
    $step = {
        $tcp = New-Object System.Net.Sockets.TcpClient
        $tcp.Connect('printer', 9100)
        Close-All
    }
    function Close-All {
        if ($script:tcp) { $script:tcp.Close() }
        $script:tcp = $null
    }
    & ([ScriptBlock]::Create($step.ToString()))
'''


def test_script_scope_flags_the_scriptblock_bug():
    result = [f for f in findings(REAL_WORLD_BUG) if f.rule == 'script-scope']
    assert [f.line for f in result] == [4], result
    assert '$script:tcp' in result[0].message


def test_script_scope_flags_a_top_level_plain_assignment_read_as_script():
    # The shape of module_utils/windows/relay.py before the scripts moved to .ps1 files.
    text = '''
        $tcp = $null; $stream = $null
        $buf = New-Object System.Collections.Generic.List[byte]
        function Close-All {
            if ($script:stream) { $script:stream.Dispose() }
            if ($script:tcp) { $script:tcp.Close() }
            $script:tcp = $null; $script:stream = $null; $script:buf.Clear()
        }
        foreach ($a in @(1, 2)) {
            Close-All
            $script:tcp = New-Object System.Net.Sockets.TcpClient
            $script:stream = $script:tcp.GetStream()
        }
    '''
    result = [(f.line, f.message) for f in findings(text) if f.rule == 'script-scope']
    lines = [pair[0] for pair in result]
    assert lines.count(1) == 2                       # $tcp = ... and $stream = ... at the top level
    assert any(line == 6 and 'only ever assigned as plain $buf' in m for line, m in result)
    assert any(line == 9 and m.startswith('Close-All (called here)') for line, m in result)


def test_script_scope_flags_a_read_never_assigned():
    assert hits('''
        function Get-It { $script:cache }
        Get-It
    ''', 'script-scope') == [1]


def test_script_scope_flags_a_read_before_the_assignment():
    assert hits('''
        function Close-All { if ($script:tcp) { $script:tcp.Close() } }
        Close-All
        $script:tcp = $null
    ''', 'script-scope') == [2]
    assert hits('''
        $x = $script:n
        $script:n = 1
    ''', 'script-scope') == [1]


def test_script_scope_accepts_script_assignments_first():
    assert_clean('''
        $script:tcp = $null
        Set-Variable -Name stream -Scope Script -Value $null
        function Close-All {
            if ($script:stream) { $script:stream.Dispose() }
            if ($script:tcp) { $script:tcp.Close() }
            $script:tcp = $null
        }
        Close-All
        $script:tcp = New-Object System.Net.Sockets.TcpClient
        Close-All
    ''')


def test_script_scope_accepts_state_in_a_hashtable():
    # What the shipped relay.ps1 does: one $pf hashtable reached through dynamic scoping.
    assert_clean('''
        $pf = @{ tcp = $null; buf = (New-Object System.Collections.Generic.List[byte]) }
        function Close-All {
            if ($pf.tcp) { $pf.tcp.Close() }
            $pf.tcp = $null; $pf.buf.Clear()
        }
        Close-All
    ''')


# ---- strict-mode ---------------------------------------------------------------------------------------

def test_strict_mode_flags_a_variable_never_assigned():
    assert hits('''
        $timeout = 5
        Start-Sleep -Seconds $timeuot
    ''', 'strict-mode') == [2]


def test_strict_mode_flags_a_top_level_read_before_its_assignment():
    assert hits('''
        Write-Output $count
        $count = 1
    ''', 'strict-mode') == [1]
    assert hits('$n += 1', 'strict-mode') == [1]


def test_strict_mode_flags_a_call_that_needs_a_variable_not_yet_set():
    assert hits('''
        function Show-Limit { Write-Output $limit }
        Show-Limit
        $limit = 10
    ''', 'strict-mode') == [2]


def test_strict_mode_flags_ps6_automatic_variables():
    result = [f for f in findings('if ($IsWindows) { 1 }') if f.rule == 'strict-mode']
    assert [f.line for f in result] == [1]
    assert 'PowerShell 6.0+' in result[0].message


def test_strict_mode_flags_method_syntax_calls():
    assert hits('''
        function Get-BE($b, $at) { $b[$at] }
        $v = Get-BE(@(1, 2), 0)
    ''', 'strict-mode') == [2]


def test_strict_mode_accepts_every_way_of_assigning():
    assert_clean('''
        param($Payload)
        $ErrorActionPreference = 'Stop'
        [int]$n = 5
        $p, $q = 1, 2
        $n += $p + $q
        foreach ($item in @(1, 2)) { $item }
        for ($i = 0; $i -lt 3; $i++) { $i }
        $parsed = 0
        [void][int]::TryParse('1', [ref]$out)
        Get-ChildItem . -OutVariable listing -ErrorVariable +problems | Out-Null
        Set-Variable -Name later -Value 1
        New-Variable made 2
        function Get-Twice([int]$value) { param() ; $value * 2 }
        $cb = [System.Net.Security.RemoteCertificateValidationCallback] {
            param($sender, $cert, $chain, $errors)
            $true
        }
        try { throw 'x' } catch { $_.Exception.Message; $PSItem }
        $all = @($input) + $args
        Write-Output $out $listing $problems $later $made $Payload $env:TEMP $PSVersionTable.PSVersion $Host $PID
        Write-Output $null $true $false $Error $LASTEXITCODE $Matches $ExecutionContext $PSScriptRoot $MyInvocation
        $code = { $using:n }
        $g = Get-Twice 2
        $one = Get-Twice(1)
    ''', 'strict-mode')


def test_strict_mode_is_flow_insensitive_inside_functions():
    # The function runs after $limit is set: only the top level is walked in text order.
    assert_clean('''
        function Show-Limit { Write-Output $limit }
        $limit = 10
        Show-Limit
    ''')


# ---- no-splice -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('code', [
    "$req = [Convert]::FromBase64String('@@PAYLOAD@@')",
    "$name = '{{ rule_name }}'",
    "$name = '%s'",
    '$name = "%(name)s"',
    "# the payload goes here: __PAYLOAD__",
])
def test_no_splice_flags_placeholders(code):
    assert hits('$x = 1\n' + code, 'no-splice') == [2]


def test_no_splice_allowed_placeholders_is_a_parameter():
    code = "$req = [Convert]::FromBase64String('@@PAYLOAD@@')"
    assert hits(code, 'no-splice') == [1]
    assert hits(code, 'no-splice', allowed_placeholders=['@@PAYLOAD@@']) == []
    assert hits(code, 'no-splice', allowed_placeholders=['@@OTHER@@']) == [1]


def test_no_splice_accepts_payload_from_input_and_powershell_format_strings():
    assert_clean('''
        param($Payload)
        $lines = @(foreach ($line in $input) { $line })
        $text = '{0} of {1}' -f 1, 2
        $rest = 10 % 3
        $epoch = Get-Date -UFormat '%s'
        1..2 | % { $_ }
        $h = @{ a = @{ b = 1 }}
    ''', 'no-splice')


# Python side: python_splice_findings is the companion check for the code that sends the scripts.

def test_python_splice_helper_flags_building_script_text_from_data():
    python = textwrap.dedent('''
        _SCRIPT = r"""
        $ErrorActionPreference = 'Stop'
        $req = [Convert]::FromBase64String('@@PAYLOAD@@') | ConvertFrom-Json
        """

        def relay_script(blob):
            return _SCRIPT.replace('@@PAYLOAD@@', blob)

        def remove(path):
            return "$ErrorActionPreference = 'Stop'; Remove-Item -Path '%s' -Force" % path

        def rule(name):
            return f"$r = Get-NetFirewallRule -Name '{name}'; $r.Enabled = $true"
    ''')
    result = pslint.python_splice_findings(python, 'sample.py')
    assert [(f.rule, f.line) for f in result] == [('no-splice', 8), ('no-splice', 11), ('no-splice', 14)]


def test_python_splice_helper_accepts_fixed_scripts_with_data_as_input():
    python = textwrap.dedent('''
        import base64, json, pkgutil

        SCRIPT = pkgutil.get_data(__name__, 'relay.ps1').decode('utf-8')

        def step(payload):
            data = base64.b64encode(json.dumps(payload).encode('utf-8')).decode('ascii')
            return SCRIPT, data + '\\n'
    ''')
    assert pslint.python_splice_findings(python, 'sample.py') == []


# ---- write-host ----------------------------------------------------------------------------------------

def test_write_host_is_flagged():
    assert hits("$x = 1\nWrite-Host 'progress'", 'write-host') == [2]
    assert hits("$x = 1\n[Console]::WriteLine('x')", 'write-host') == [2]


def test_write_output_is_accepted():
    assert_clean('''
        Write-Output 'result'
        Write-Verbose 'detail'
        Write-Warning 'careful'
        'bare result'
    ''', 'write-host')


# ---- json-depth ----------------------------------------------------------------------------------------

def test_convertto_json_without_depth_is_flagged():
    assert hits('$x = @{ a = @{ b = @{ c = 1 } } }\n$x | ConvertTo-Json -Compress', 'json-depth') == [2]


def test_convertto_json_with_depth_is_accepted():
    assert_clean('''
        $x = @{ a = 1 }
        ConvertTo-Json -InputObject $x -Depth 6 -Compress
        $x | ConvertTo-Json -Dep 3
        $params = @{ Depth = 4 }
        ConvertTo-Json $x @params
    ''', 'json-depth')


# ---- suppression, files, command line ------------------------------------------------------------------

def test_a_comment_suppresses_a_rule_on_its_line_or_in_the_file():
    assert hits("Write-Host 'x'  # pslint: disable=write-host (interactive helper)", 'write-host') == []
    assert hits("# pslint: disable-file=write-host\nWrite-Host 'x'\nWrite-Host 'y'", 'write-host') == []
    assert hits("Write-Host 'x'  # pslint: disable=json-depth", 'write-host') == [1]


def test_findings_carry_rule_line_column_and_message():
    (finding,) = findings("$x = 1\n  Write-Host $x\n")
    assert (finding.rule, finding.line, finding.col) == ('write-host', 2, 3)
    assert str(finding).startswith('sample.ps1:2:3: write-host: ')
    assert set(f.rule for f in [finding]) <= set(pslint.RULES)


def test_check_file_and_main(tmp_path, capsys):
    good = tmp_path / 'mod' / 'good.ps1'
    good.parent.mkdir()
    good.write_text("\ufeffWrite-Output 'ok'\n", encoding='utf-8')
    bad = tmp_path / 'mod' / 'bad.psm1'
    bad.write_text("Write-Host 'no'\n", encoding='utf-8')
    (tmp_path / 'mod' / 'notes.txt').write_text("Write-Host 'ignored'\n")
    assert pslint.check_file(str(good)) == []
    assert [f.rule for f in pslint.check_file(str(bad))] == ['write-host']
    assert pslint.main([str(good)]) == 0
    assert pslint.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert 'bad.psm1:1:1: write-host' in out and 'notes.txt' not in out
    assert pslint.main([str(tmp_path / 'missing')]) == 2
    (tmp_path / 'empty').mkdir()
    assert pslint.main([str(tmp_path / 'empty')]) == 2
