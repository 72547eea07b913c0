# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
r"""Static checks for the PowerShell the collection ships (no PowerShell needed: tree-sitter parses it).

The target is **Windows PowerShell 5.1 on .NET Framework 4.x**, run by Ansible's ``winrm``/``psrp``
connection through ``_encode_script``, which prepends ``Set-StrictMode -Version Latest``. With psrp the
decoded text runs through ``AddScript(script, useLocalScope=$true)``: a *child* scope, exactly like
``& ([ScriptBlock]::Create($s))``, so a plain ``$x = ...`` at the top level of the text does **not** create a
script-scope variable there; ``$script:x`` is the runspace's global scope (and it survives into the next task
run on the same runspace). With winrm (``powershell.exe -EncodedCommand``) the top level is the global scope.
The rules below assume the stricter of the two.

API: ``check_text(text, name='<text>', allowed_placeholders=()) -> [Finding]`` and
``check_file(path, allowed_placeholders=())``; a ``Finding`` has ``rule``, ``line``, ``col`` (1-based),
``message`` and ``name``. ``python tests/support/pslint.py [--allow-placeholder TEXT] FILE_OR_DIR...``
checks ``*.ps1``/``*.psm1`` files (directories recursively) and exits 1 on findings, 2 when it found no file.
``python_splice_findings(text, name)`` is the Python-side companion of ``no-splice`` (see below).

Suppressing a finding: a comment ``# pslint: disable=RULE[,RULE]`` on the line of the finding, or
``# pslint: disable-file=RULE[,RULE]`` anywhere in the file. Say why in the same comment.

Rules (``RULES`` holds the one-line summaries; the data tables below hold one reason per entry):

``parse``
    tree-sitter-powershell finds no ERROR or MISSING node. Known gaps of the grammar (valid PowerShell it
    rejects, so write around them or suppress): switch clauses on one line without ``;`` between them
    (``switch ($x) { 'a' { 1 } default { 2 } }``), labelled ``break outer``/``continue outer``,
    ``param($a) $a`` on one line in a function body (put a newline or ``;`` after ``param()``), a file that is
    nothing but ``param()``, ``1e3, 10L`` in one array literal, bare words separated by commas as command
    arguments (``Select-Object -Property Line, Count``: quote them, ``'Line', 'Count'``), bare-word paths
    with a variable (``$env:SystemRoot\System32``: quote them), nested type names ``[Environment+SpecialFolder]``
    and generic arity ``[List`1[int]]``. ``using namespace/module/assembly`` lines are
    blanked before parsing (the grammar rejects a ``[CmdletBinding()] param()`` after them) and not checked.
``ps7-syntax``
    PowerShell 6/7-only syntax. ``&&``/``||`` parse (node ``pipeline_chain_tail``) and are flagged by node.
    ``??``, ``??=``, ``?.``, ``?[]``, the ternary ``a ? b : c`` and the background operator ``cmd &`` do not
    parse at all: the ERROR node's line is matched against those shapes to give a specific message instead of
    ``parse``. Also ``"`u{2013}"`` (5.1 prints ``u{2013}`` literally) and ``-replace 'x', { ... }`` (5.1
    turns the script block into its source text).
``ps7-params``
    PowerShell 6/7-only cmdlets, parameters and parameter values (``PS7_COMMANDS``, ``PS7_PARAMETERS``,
    ``PS7_PARAMETER_VALUES``). Default aliases are resolved (``%``, ``iwr``, ``gc``...), parameter prefixes of
    three letters or more count unless they also name a 5.1 parameter. Limits: splatted parameters
    (``@params``) and commands called through ``& $name`` are not seen.
``netcore-api``
    .NET Core / .NET 5+-only APIs (``NETCORE_APIS``: a regular expression and a reason each) in code, with
    comments and string text masked out (``$(...)`` inside double-quoted strings is still checked). The
    socket ``*Async`` methods are flagged only when their arguments mention a ``CancellationToken``,
    ``.Token``, ``Memory``/``Span`` or ``ArraySegment``: ``UdpClient.ReceiveAsync()``,
    ``TcpClient.ConnectAsync(host, port)`` and ``Socket.ReceiveAsync(SocketAsyncEventArgs)`` exist on
    .NET Framework 4.5+ and pass. ``[IPAddress]::Parse`` and friends are fine. Types are not inferred, so a
    method of the same name on an unrelated object is flagged too.
``script-scope``
    Every ``$script:x`` that is read is assigned as ``$script:x = ...`` (or ``[ref]$script:x``, ``Set-Variable
    / New-Variable -Scope Script``) somewhere in the file. The classic bug gets its own message: ``x`` is only
    assigned as plain ``$x = ...`` (inside a function, a script block, or at the top level, which is a child
    scope under psrp / ``& ([ScriptBlock]::Create($s))``). When ``$script:x`` is assigned somewhere too, a
    plain ``$x = ...`` statement is still reported (first one per function / script block / top level): it
    sets a local, not the ``$script:x`` that is read (rename the local if that is what it is). Then an order
    check: walking the top level in text order, a ``$script:x`` read, or a call of a function that reads
    ``$script:x`` before assigning it itself (transitively through the functions it calls), before any
    top-level ``$script:x`` assignment.
``strict-mode``
    Under ``Set-StrictMode -Version Latest`` reading a variable that was never set throws. Flagged: a read of
    a variable no statement of the file assigns (assignments of any scope, ``foreach`` variables,
    ``param()`` / function parameters, ``[ref]$x``, ``-OutVariable``/``-ErrorVariable``/... names,
    ``Set-Variable``/``New-Variable``, ``data`` sections) and that is not automatic (``AUTOMATIC_VARIABLES``;
    PowerShell 6+ ones such as ``$IsWindows`` get their own message). This is flow-insensitive: assigned
    anywhere counts. On top of that, the same text-order walk as ``script-scope``: a read at the top level,
    or a call of a function that needs a variable from its caller's scope, textually before every assignment
    of that variable. Text order is the approximation: a read inside a loop before the assignment further down
    in the loop is flagged (the first iteration would throw unless a condition guards it: initialise the
    variable before the loop); reads inside script block literals ``{ ... }`` (callbacks, ``Where-Object``)
    are left to the flow-insensitive check, assignments inside them count where they stand; class methods are
    not walked. Also ``f($a, $b)``: a command called with method syntax throws StrictModeFunctionCallWithParens.
    Not checked: ``PropertyNotFoundStrict`` (reading a property an object lacks, e.g. a JSON field the
    payload omitted) and out-of-range indexes, which need runtime types.
``no-splice``
    The Python side must not splice data into script text, so the script must not contain placeholder-looking
    text: ``@@NAME@@``, ``{{ name }}`` / ``{% ... %}``, ``__NAME__``, and in strings and comments ``%s``,
    ``%r``, ``%(name)s``. ``allowed_placeholders`` (default none) lists exact texts that are allowed.
    relay.py and firewall/windows.py used to replace ``@@PAYLOAD@@`` in the script text with base64 JSON; the
    shipped scripts take ``param($Payload)`` and module_utils/windows/bootstrap.ps1 reads script and payload
    from ``$input`` (stdin under winrm, pipeline input under psrp). ``-UFormat '%s'`` (Get-Date) is not
    flagged. The Python side: ``python_splice_findings`` flags ``.replace(PLACEHOLDER, ...)`` and ``%``,
    ``.format()``, f-strings or ``+`` on string constants that look like PowerShell
    (``python tests/support/pslint.py --python plugins``).
``write-host``
    ``Write-Host`` and ``[Console]::Write``/``WriteLine``: since 5.0 Write-Host writes to the information
    stream and the host, not to the output stream. Under psrp there is no console at all and the text is not
    in the stdout Ansible parses; under winrm it is console text interleaved with stdout. Results go to the
    pipeline (``Write-Output`` or a bare expression), diagnostics to ``Write-Verbose``/``Write-Warning``.
``json-depth``
    ``ConvertTo-Json`` without ``-Depth``: the default depth is 2, and deeper values silently become their type
    name (``"System.Collections.Hashtable"``) in 5.1.

Not a rule: ``exit`` with a computed code. Ansible's wrappers append their own exit-code handling and psrp
runs the text in a runspace where ``exit`` ends the pipeline; that needs a judgement per script, not a lint.
"""

from __future__ import absolute_import, division, print_function

import argparse
import ast
import bisect
import os
import re
import sys
from dataclasses import dataclass

import tree_sitter_powershell
from tree_sitter import Language, Parser

RULES = {
    'parse': 'tree-sitter-powershell parses the file without ERROR or MISSING nodes',
    'ps7-syntax': 'no PowerShell 6/7-only syntax (&&, ||, ??, ??=, ?., ?[], a ? b : c, cmd &, `u{}, -replace with a script block)',
    'ps7-params': 'no PowerShell 6/7-only cmdlets, parameters or parameter values',
    'netcore-api': 'no .NET Core / .NET 5+-only API (Windows PowerShell 5.1 runs on .NET Framework 4.x)',
    'script-scope': 'every $script:x read is assigned as $script:x in the file, before it is read',
    'strict-mode': 'no read of a variable that is never assigned (Set-StrictMode -Version Latest), no f(a, b) calls',
    'no-splice': 'no placeholder text for the Python side to splice data into',
    'write-host': 'no Write-Host / [Console]::Write: results must go to the output stream',
    'json-depth': 'ConvertTo-Json always has -Depth (the default, 2, truncates silently)',
}


@dataclass(frozen=True, order=True)
class Finding:
    name: str
    line: int
    col: int
    rule: str
    message: str

    def __str__(self):
        return '%s:%d:%d: %s: %s' % (self.name, self.line, self.col, self.rule, self.message)


# ---- data tables ---------------------------------------------------------------------------------------

# Lower-case automatic and preference variables of Windows PowerShell 5.1 (reading them never throws where
# they apply). $LASTEXITCODE only exists once a native program ran and $Matches once a -match succeeded;
# they are accepted anyway.
AUTOMATIC_VARIABLES = frozenset("""
_ psitem args input this true false null error lastexitcode psversiontable host pid matches executioncontext
psscriptroot pscommandpath myinvocation psboundparameters pscmdlet home pshome pwd shellid stacktrace
nestedpromptlevel psculture psuiculture psedition consolefilename foreach switch event eventargs
eventsubscriber sender $ ? ^ erroractionpreference warningpreference verbosepreference debugpreference
progresspreference informationpreference confirmpreference whatifpreference errorview formatenumerationlimit
psemailserver psdefaultparametervalues psmoduleautoloadingpreference pssessionapplicationname
pssessionconfigurationname pssessionoption outputencoding maximumhistorycount maximumaliascount
maximumdrivecount maximumerrorcount maximumfunctioncount maximumvariablecount logcommandhealthevent
logcommandlifecycleevent logengine* logprovider*
""".split())

# Automatic variables that only PowerShell 6+ defines: reading one in 5.1 under strict mode throws.
PS6_AUTOMATIC_VARIABLES = {
    'iswindows': '6.0', 'islinux': '6.0', 'ismacos': '6.0', 'iscoreclr': '6.0', 'psstyle': '7.2',
    'enabledexperimentalfeatures': '6.2', 'psnativecommandargumentpassing': '7.3',
    'psnativecommanduseerroractionpreference': '7.3',
}

# Default aliases of Windows PowerShell 5.1 for the commands the tables mention.
ALIASES = {
    '%': 'foreach-object', 'foreach': 'foreach-object', 'iwr': 'invoke-webrequest', 'curl': 'invoke-webrequest',
    'wget': 'invoke-webrequest', 'irm': 'invoke-restmethod', 'gc': 'get-content', 'cat': 'get-content',
    'type': 'get-content', 'sc': 'set-content', 'ac': 'add-content', 'sls': 'select-string', 'sort': 'sort-object',
    'icm': 'invoke-command', 'nsn': 'new-pssession', 'sv': 'set-variable', 'set': 'set-variable',
    'nv': 'new-variable', 'write': 'write-output', 'echo': 'write-output', 'epcsv': 'export-csv',
}

# Cmdlets that Windows PowerShell 5.1 does not have: command -> (version, reason).
PS7_COMMANDS = {
    'test-json': ('6.1', 'validate with ConvertFrom-Json in try/catch'),
    'join-string': ('6.2', 'use the -join operator'),
    'get-error': ('7.0', 'read $Error[0] / $_.Exception'),
    'start-threadjob': ('7.0', 'the ThreadJob module ships with PowerShell 7; 5.1 has it only if installed from the Gallery'),
    'convertfrom-markdown': ('6.1', 'not in 5.1'),
    'show-markdown': ('6.1', 'not in 5.1'),
    'get-uptime': ('6.0', 'use (Get-CimInstance Win32_OperatingSystem).LastBootUpTime'),
    'remove-alias': ('6.0', 'use Remove-Item alias:\\name'),
    'remove-service': ('6.0', 'use sc.exe delete or CIM'),
    'get-experimentalfeature': ('6.2', 'not in 5.1'),
    'enable-experimentalfeature': ('6.2', 'not in 5.1'),
    'disable-experimentalfeature': ('6.2', 'not in 5.1'),
    'get-securerandom': ('7.4', 'use [System.Security.Cryptography.RandomNumberGenerator]'),
    'convertto-clixml': ('7.5', 'use [System.Management.Automation.PSSerializer]::Serialize'),
    'convertfrom-clixml': ('7.5', 'use [System.Management.Automation.PSSerializer]::Deserialize'),
}

# (commands, parameters, version, reason): parameters those commands only have in PowerShell 6/7.
PS7_PARAMETERS = [
    (('convertfrom-json',), ('AsHashtable',), '6.0', '5.1 returns PSCustomObject; walk .PSObject.Properties'),
    (('convertfrom-json',), ('Depth',), '6.2', '5.1 has no -Depth (its limit is the JavaScriptSerializer one)'),
    (('convertfrom-json',), ('NoEnumerate',), '7.0', 'wrap the result in @() instead'),
    (('convertfrom-json',), ('DateKind',), '7.5', 'not in 5.1'),
    (('convertto-json',), ('AsArray',), '6.2', 'pass -InputObject @($x)'),
    (('convertto-json',), ('EnumsAsStrings',), '6.2', 'convert enums with .ToString() first'),
    (('convertto-json',), ('EscapeHandling',), '6.2', 'not in 5.1'),
    (('foreach-object',), ('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace'), '7.0',
     'ForEach-Object -Parallel and its companions are PowerShell 7 (a runspace pool is the 5.1 way)'),
    (('get-content', 'set-content', 'add-content'), ('AsByteStream',), '6.0',
     '5.1 uses -Encoding Byte (or [IO.File]::ReadAllBytes)'),
    (('invoke-webrequest', 'invoke-restmethod'),
     ('SkipCertificateCheck', 'SslProtocol', 'Authentication', 'Token', 'AllowUnencryptedAuthentication', 'NoProxy',
      'SkipHeaderValidation', 'PreserveAuthorizationOnRedirect', 'CustomMethod', 'Form', 'Resume',
      'MaximumRetryCount', 'RetryIntervalSec', 'SkipHttpErrorCheck', 'HttpVersion', 'ConnectionTimeoutSeconds',
      'OperationTimeoutSeconds', 'PreserveHttpMethodOnRedirect', 'UnixSocket', 'AllowInsecureRedirect'), '6.0+',
     'the 5.1 web cmdlets (Internet Explorer engine) lack it; certificate checks go through '
     '[Net.ServicePointManager] there'),
    (('invoke-restmethod',), ('FollowRelLink', 'MaximumFollowRelLink', 'ResponseHeadersVariable',
                              'StatusCodeVariable'), '6.0+', 'not in the 5.1 Invoke-RestMethod'),
    (('get-date',), ('AsUTC', 'UnixTimeSeconds'), '7.1', 'use .ToUniversalTime() / [DateTimeOffset]::FromUnixTimeSeconds'),
    (('select-string',), ('Raw', 'NoEmphasis'), '7.0', 'take .Line of the MatchInfo'),
    (('split-path',), ('LeafBase', 'Extension'), '6.0', 'use [IO.Path]::GetFileNameWithoutExtension / GetExtension'),
    (('sort-object',), ('Top', 'Bottom', 'Stable'), '6.x/7.0', 'use Select-Object -First/-Last after sorting'),
    (('test-connection',), ('TargetName', 'TcpPort', 'Traceroute', 'MtuSize', 'Repeat', 'Ping', 'IPv4', 'IPv6',
                            'ResolveDestination', 'TimeoutSeconds', 'Detailed'), '6.0',
     'the 5.1 Test-Connection is WMI ping with -ComputerName; use TcpClient for ports'),
    (('out-string',), ('NoNewline',), '7.0', 'trim the result'),
    (('get-random',), ('Shuffle',), '7.1', 'use Get-Random -Count $list.Count'),
    (('start-process',), ('Environment',), '7.4', 'set $env: before starting the process'),
    (('convertto-csv', 'export-csv'), ('UseQuotes', 'QuoteFields'), '7.0', 'not in 5.1'),
    (('invoke-command', 'new-pssession', 'enter-pssession'), ('HostName', 'SSHTransport', 'SSHConnection',
                                                              'KeyFilePath', 'UserName'), '6.0',
     'SSH remoting is PowerShell 6+'),
]

# (commands, parameter, values, version, reason): parameter values 5.1 does not accept.
PS7_PARAMETER_VALUES = [
    (('out-file', 'set-content', 'add-content', 'get-content', 'export-csv', 'import-csv', 'select-string',
      'convertto-csv', 'export-clixml', 'import-clixml'), 'Encoding', ('utf8nobom', 'utf8bom', 'ansi'), '6.0/7.4',
     '5.1 knows UTF8 (with BOM), Unicode, ASCII, Default, Byte...; for UTF-8 without BOM use '
     '[IO.File]::WriteAllText($path, $text, (New-Object Text.UTF8Encoding $false))'),
]

# Parameters those commands do have in 5.1: a prefix of one of them is not a PowerShell 7 parameter.
PS51_PARAMETERS = {
    'split-path': ('Leaf', 'Parent', 'Qualifier', 'NoQualifier', 'IsAbsolute', 'Resolve', 'Path', 'LiteralPath',
                   'Credential'),
    'test-connection': ('ComputerName', 'Count', 'Delay', 'BufferSize', 'ThrottleLimit', 'TimeToLive', 'Source',
                        'Credential', 'AsJob', 'Quiet', 'Protocol', 'Authentication', 'Impersonation',
                        'DcomAuthentication', 'WsmanAuthentication'),
    'foreach-object': ('Process', 'Begin', 'End', 'RemainingScripts', 'InputObject', 'MemberName', 'ArgumentList'),
    'sort-object': ('Property', 'Descending', 'Unique', 'InputObject', 'Culture', 'CaseSensitive'),
    'get-date': ('Date', 'Year', 'Month', 'Day', 'Hour', 'Minute', 'Second', 'Millisecond', 'DisplayHint',
                 'Format', 'UFormat'),
    'invoke-webrequest': ('UseBasicParsing', 'Uri', 'WebSession', 'SessionVariable', 'Credential',
                          'UseDefaultCredentials', 'CertificateThumbprint', 'Certificate', 'UserAgent',
                          'DisableKeepAlive', 'TimeoutSec', 'Headers', 'MaximumRedirection', 'Method', 'Proxy',
                          'ProxyCredential', 'ProxyUseDefaultCredentials', 'Body', 'ContentType',
                          'TransferEncoding', 'InFile', 'OutFile', 'PassThru'),
}
PS51_PARAMETERS['invoke-restmethod'] = PS51_PARAMETERS['invoke-webrequest']

_SOCKET_ASYNC_ARGS = r'CancellationToken|\.Token\b|Memory|Span|ArraySegment'

# (regular expression, reason): .NET APIs that .NET Framework 4.x lacks. Matched case-insensitively on code
# with comments and string text masked. 'args' entries match the method name and then test the argument text.
NETCORE_APIS = [
    (r'\[(System\.)?Convert\]::(To|Try|From)HexString\w*', '[Convert] hex methods are .NET 5+; use '
     '[BitConverter]::ToString($b) -replace "-", "" or [Convert]::ToByte($s, 16) per pair'),
    (r'\[(System\.)?Convert\]::Try(From|To)Base64\w*', 'the Span-based TryFromBase64*/TryToBase64* are .NET Core 2.1+; '
     'use FromBase64String in try/catch'),
    (r'(?<![\w.])(System\.)?(ReadOnly)?Span\s*\[|\.AsSpan\s*\(', 'Span<T> is .NET Core 2.1+ (and PowerShell cannot '
     'hold a ref struct anyway); use arrays'),
    (r'(?<![\w.])(System\.)?(ReadOnly)?Memory\s*\[|\.AsMemory\s*\(', 'Memory<T> is .NET Core 2.1+; use arrays'),
    (r'\[(System\.)?HashCode\]', 'System.HashCode is .NET Core 2.1+'),
    (r'System\.Text\.Json|\[Text\.Json\.', 'System.Text.Json is .NET Core 3.0+; use ConvertTo-Json / ConvertFrom-Json'),
    (r'RandomNumberGenerator\]::(GetInt32|Fill|GetBytes|GetHexString|GetString|GetItems|Shuffle)\b',
     'the static RandomNumberGenerator helpers are .NET Core 2.1+/.NET 6+; use '
     '[Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($buf)'),
    (r'\b(SslClientAuthenticationOptions|SslServerAuthenticationOptions|SslStreamCertificateContext|'
     r'SslApplicationProtocol|CipherSuitesPolicy)\b', 'the SslStream options classes are .NET Core 2.1+/.NET 5+; use '
     'AuthenticateAsClient(host, certs, protocols, checkRevocation)'),
    (r'\bSocketsHttpHandler\b', 'SocketsHttpHandler is .NET Core 2.1+; HttpClientHandler / Invoke-WebRequest in 5.1'),
    (r'\[(System\.)?String\]::Join\(\s*\[char\]', 'String.Join(char, ...) is .NET Core 2.0+; on .NET Framework the '
     'char has to be converted and another overload is bound; pass a string separator'),
    ({'method': 'Contains', 'args': r'StringComparison|^[^,]+,\s*[\'"]?(Ordinal|CurrentCulture|InvariantCulture)'},
     'String.Contains(string, StringComparison) is .NET Core 2.1+; use .IndexOf($s, [StringComparison]::...) -ge 0'),
    ({'method': 'Replace', 'args': r'StringComparison|,\s*[\'"]?(Ordinal|CurrentCulture|InvariantCulture)\w*[\'"]?\s*$'},
     'String.Replace with a StringComparison is .NET Core 2.0+; use the -replace operator'),
    ({'method': 'Split', 'args': r'^\s*(\'[^\']{2,}\'|"[^"$`]{2,}")\s*$'},
     'String.Split(string) is .NET Core 2.0+: on .NET Framework PowerShell binds Split(char[]) and splits on EVERY '
     'character of the string; use -split [regex]::Escape($sep) or .Split([string[]]@($sep), "None")'),
    ({'method': r'(Receive|Send|ReceiveFrom|SendTo|ReceiveMessageFrom|Connect|Accept|Disconnect)Async',
      'args': _SOCKET_ASYNC_ARGS},
     'the socket *Async overloads taking a CancellationToken, Memory or ArraySegment are .NET Core 2.1+/.NET 5+ '
     '(on .NET Framework the ArraySegment ones are extension methods PowerShell cannot call); use the synchronous '
     'call with ReceiveTimeout, BeginConnect/WaitOne, or SocketAsyncEventArgs'),
    ({'method': r'(Read|Write)Async', 'args': r'Memory|Span'},
     'Stream.ReadAsync/WriteAsync(Memory) are .NET Core 2.1+; use (byte[], offset, count[, token])'),
    (r'\.WaitAsync\s*\(', 'Task.WaitAsync is .NET 6+; use .Wait(timeout)'),
    (r'\bValueTask\b', 'ValueTask is .NET Core 2.0+ (a NuGet package on .NET Framework)'),
    (r'\[(System\.)?(Net\.)?IPNetwork\]', 'System.Net.IPNetwork is .NET 8+; compare address bytes yourself'),
    (r'Environment\]::(ProcessId|ProcessPath|IsPrivilegedProcess)\b', 'this Environment property is .NET 5+; use $PID / '
     '(Get-Process -Id $PID).Path'),
    (r'\[(System\.)?IO\.Path\]::(Join|GetRelativePath|TrimEndingDirectorySeparator|EndsInDirectorySeparator|Exists)\b',
     'this System.IO.Path method is .NET Core 2.0+; use Join-Path / [IO.Path]::Combine / Resolve-Path -Relative'),
    (r'\[(System\.)?IO\.File\]::\w+Async\b', 'the async File helpers are .NET Core 2.0+; use the synchronous ones'),
    (r'\[(System\.)?Math\]::Clamp\b|\[(System\.)?MathF\]', 'Math.Clamp / MathF are .NET Core 2.0+; use [Math]::Min/Max'),
    (r'\[(System\.)?Text\.Encoding\]::Latin1\b', 'Encoding.Latin1 is .NET 5+; use [Text.Encoding]::GetEncoding(28591)'),
    (r'\[(System\.)?(DateOnly|TimeOnly|Half|Int128|UInt128)\]', 'this type is .NET 5+/.NET 6+/.NET 7+'),
    (r'\bBinaryPrimitives\b', 'System.Buffers.Binary.BinaryPrimitives is .NET Core 2.1+; shift bytes yourself'),
    (r'\bArrayPool\b|System\.Buffers\.', 'System.Buffers is .NET Core (a NuGet package on .NET Framework)'),
    (r'System\.Formats\.Asn1|System\.Threading\.Channels', 'this namespace is .NET Core 3.0+/.NET 5+'),
    (r'\b(CreateFromPem|CreateFromPemFile|ImportFromPem|ImportFromPemFile|ExportCertificatePem|\w+Pem)\s*\(',
     'the PEM helpers are .NET 5+/.NET 7+; strip the armour and use [Convert]::FromBase64String on the body'),
    (r'\]::HashData\s*\(', 'the static HashData methods are .NET 5+; use [Security.Cryptography.SHA256]::Create().ComputeHash()'),
    (r'SslProtocols\]::Tls13\b', 'SslProtocols.Tls13 exists only from .NET Framework 4.8 (and only Windows Server '
     '2022 / Windows 11 speak TLS 1.3): take it by name inside try { [Security.Authentication.SslProtocols]\'Tls13\' }'),
    ({'pattern': r'System\.Net\.Http\.(HttpClient|HttpClientHandler|HttpRequestMessage|StringContent|ByteArrayContent)\b',
      'unless': r'Add-Type\s+(-AssemblyName\s+)?[\'"]?System\.Net\.Http'},
     'System.Net.Http is not loaded in Windows PowerShell 5.1: Add-Type -AssemblyName System.Net.Http first'),
]

_WRAPPERS = frozenset((
    'pipeline', 'pipeline_chain', 'logical_expression', 'bitwise_expression', 'comparison_expression',
    'additive_expression', 'multiplicative_expression', 'format_expression', 'range_expression',
    'array_literal_expression', 'unary_expression', 'expression_with_unary_operator', 'argument_expression',
    'logical_argument_expression', 'bitwise_argument_expression', 'comparison_argument_expression',
    'additive_argument_expression', 'multiplicative_argument_expression', 'format_argument_expression',
    'range_argument_expression', 'left_assignment_expression',
))
_LHS_DIRECT = _WRAPPERS | frozenset(('cast_expression', 'type_literal'))
_OUT_VARIABLE_PARAMS = ('outvariable', 'ov', 'errorvariable', 'ev', 'warningvariable', 'wv', 'informationvariable',
                        'iv', 'pipelinevariable', 'pv')

_PLACEHOLDERS = [
    (re.compile(r'@@[A-Za-z_][A-Za-z0-9_]*@@'), False),
    (re.compile(r'\{\{-?\s*[A-Za-z_][^{}\n]*\}\}'), False),
    (re.compile(r'\{%-?\s*[A-Za-z_][^{}\n]*%\}'), False),
    (re.compile(r'(?<![A-Za-z0-9_])__[A-Z][A-Z0-9_]*__(?![A-Za-z0-9_])'), False),
    (re.compile(r'%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[sdirfxXeEgGc]'), True),   # True: strings/comments only
    (re.compile(r'(?<!%)%[-#0 +]*\d*[sr](?![A-Za-z])'), True),
]

_SUPPRESS = re.compile(r'#.*?pslint:[ \t]*disable=([\w, \t-]+)', re.I)
_SUPPRESS_FILE = re.compile(r'#.*?pslint:[ \t]*disable-file=([\w, \t-]+)', re.I)

_LANGUAGE = Language(tree_sitter_powershell.language())


def _parser():
    return Parser(_LANGUAGE)


# ---- source helpers ------------------------------------------------------------------------------------

class _Source(object):
    """The text, its UTF-8 bytes for tree-sitter, and byte -> character -> line/column maps."""

    def __init__(self, text):
        if text.startswith('\ufeff'):
            text = text[1:]
        self.text = text
        self.data = text.encode('utf-8', 'surrogateescape')
        self._b2c = []
        for i, ch in enumerate(text):
            self._b2c.extend([i] * len(ch.encode('utf-8', 'surrogateescape')))
        self._b2c.append(len(text))
        self.line_starts = [0] + [m.end() for m in re.finditer('\n', text)]

    def char(self, byte_offset):
        return self._b2c[byte_offset]

    def linecol(self, char_offset):
        line = bisect.bisect_right(self.line_starts, char_offset)
        return line, char_offset - self.line_starts[line - 1] + 1

    def node_text(self, node):
        return self.text[self.char(node.start_byte):self.char(node.end_byte)]

    def line_text(self, line):
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip('\r\n')


_USING = re.compile(r'^[ \t]*using[ \t]+(namespace|module|assembly)[ \t][^\r\n]*', re.I | re.M)


def _hide_using(text):
    """``using namespace/module/assembly`` lines blanked (same length) for the parser: the grammar rejects a
    ``[CmdletBinding()] param()`` after them, though PowerShell requires exactly that order."""
    return _USING.sub(lambda m: ' ' * len(m.group(0)) if m.group(0).isascii() else m.group(0), text)


def _walk(root):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _unwrap(node):
    """Descend through single-child expression wrappers."""
    while node is not None and node.type in _WRAPPERS and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _parse_variable(text):
    """'$script:Foo' -> ('$', 'script', 'foo'); '${a}' -> ('$', '', 'a'); '@splat' -> ('@', '', 'splat')."""
    sigil, body = text[0], text[1:]
    if body.startswith('{') and body.endswith('}'):
        body = body[1:-1]
    if ':' in body and not body.startswith(':'):
        qualifier, name = body.split(':', 1)
        return sigil, qualifier.lower(), name.lower()
    return sigil, '', body.lower()


def _command_name(src, command):
    for child in command.children:
        if child.type == 'command_name':
            name = src.node_text(child).lower()
            name = name.rsplit('\\', 1)[-1]
            return ALIASES.get(name, name), child
    return None, None


def _command_elements(command):
    for child in command.children:
        if child.type == 'command_elements':
            return [c for c in child.named_children if c.type != 'command_argument_sep']
    return []


def _parameter_name(src, element):
    match = re.match(r'-([A-Za-z_?][\w-]*)', src.node_text(element))
    return match.group(1).lower() if match else ''


def _word_value(src, element):
    """The literal text of a command argument (bare word or quoted string), else None."""
    if element is None:
        return None
    node = _unwrap(element)
    if node.type == 'generic_token':
        return src.node_text(node)
    if node.type == 'string_literal':
        text = src.node_text(node)
        if len(text) >= 2 and text[0] in '\'"' and text[-1] == text[0]:
            return text[1:-1]
    if node.type in ('integer_literal', 'decimal_integer_literal'):
        return src.node_text(node)
    return None


def _matches_parameter(token, parameter, command):
    token, parameter = token.lower(), parameter.lower()
    if token == parameter:
        return True
    if len(token) < 3 or not parameter.startswith(token):
        return False
    return not any(p.lower().startswith(token) for p in PS51_PARAMETERS.get(command, ()))


def _balanced_args(code, open_paren):
    """The text between code[open_paren] == '(' and its matching ')', or None."""
    depth = 0
    for i in range(open_paren, len(code)):
        if code[i] == '(':
            depth += 1
        elif code[i] == ')':
            depth -= 1
            if depth == 0:
                return code[open_paren + 1:i]
    return None


# ---- the checker ---------------------------------------------------------------------------------------

class _Checker(object):

    def __init__(self, text, name, allowed_placeholders):
        self.src = _Source(text)
        self.name = name
        self.allowed = tuple(allowed_placeholders or ())
        self.tree = _parser().parse(_hide_using(self.src.text).encode('utf-8', 'surrogateescape'))
        self.root = self.tree.root_node
        self.nodes = list(_walk(self.root))
        self.findings = []
        self.masked = self._mask()

    def add(self, rule, char_offset, message):
        line, col = self.src.linecol(char_offset)
        self.findings.append(Finding(self.name, line, col, rule, message))

    def add_node(self, rule, node, message):
        self.add(rule, self.src.char(node.start_byte), message)

    def line_of(self, node):
        return node.start_point[0] + 1

    # -- masking: comments and string text become spaces, $(...) inside double-quoted strings stays ----
    def _mask(self):
        chars = list(self.src.text)

        def blank(start, end):
            for i in range(start, end):
                if chars[i] not in '\r\n':
                    chars[i] = ' '

        for node in self.nodes:
            if node.type in ('comment', 'verbatim_string_characters', 'verbatim_here_string_characters'):
                blank(self.src.char(node.start_byte), self.src.char(node.end_byte))
            elif node.type in ('expandable_string_literal', 'expandable_here_string_literal'):
                keep = [(self.src.char(c.start_byte), self.src.char(c.end_byte))
                        for c in node.children if c.type == 'sub_expression']
                saved = [(s, e, chars[s:e]) for s, e in keep]
                blank(self.src.char(node.start_byte), self.src.char(node.end_byte))
                for s, e, part in saved:
                    chars[s:e] = part
        return ''.join(chars)

    def run(self):
        self.check_parse()
        self.check_ps7_syntax()
        self.check_commands()
        self.check_netcore()
        self.check_variables()
        self.check_placeholders()
        return self.suppressed(sorted(set(self.findings), key=lambda f: (f.line, f.col, f.rule, f.message)))

    def suppressed(self, findings):
        file_rules = set()
        for match in _SUPPRESS_FILE.finditer(self.src.text):
            file_rules.update(re.split(r'[,\s]+', match.group(1).strip().lower()))
        out = []
        for f in findings:
            if f.rule in file_rules:
                continue
            match = _SUPPRESS.search(self.src.line_text(f.line))
            if match and f.rule in re.split(r'[,\s]+', match.group(1).strip().lower()):
                continue
            out.append(f)
        return out

    # -- parse and ps7-syntax ----------------------------------------------------------------------
    _PS7_ERROR_SHAPES = [
        (re.compile(r'\?\?='), 'the null-coalescing assignment ??= is PowerShell 7.0+'),
        (re.compile(r'\?\?'), 'the null-coalescing operator ?? is PowerShell 7.0+'),
        (re.compile(r'\}\?(\.|\[)'), 'null-conditional access ${a}?.b / ${a}?[i] is PowerShell 7.0+'),
        (re.compile(r'\$\w+\?(\.|\[)'), '$a?.b reads a variable named "a?" (? is legal in names) and the '
         'null-conditional ?. / ?[] is PowerShell 7.0+ anyway (written ${a}?.b there)'),
        (re.compile(r'[^\s|(]\s+\?\s+[^\s{].*?\s:(?!:)'), 'the ternary operator a ? b : c is PowerShell 7.0+; use '
         '$(if (a) { b } else { c })'),
        (re.compile(r'[^\s&|]\s*(?<!&)&\s*(;|$)'), 'the background operator "command &" is PowerShell 6.0+; use '
         'Start-Job'),
    ]

    def check_parse(self):
        errors = [n for n in self.nodes if n.is_error or n.is_missing]
        innermost = [n for n in errors if n.is_missing or not any(
            c.is_error or c.is_missing for c in _walk(n) if c is not n)]
        seen_lines = set()
        for node in innermost:
            first, last = node.start_point[0] + 1, node.end_point[0] + 1
            if node.end_point[1] == 0 and last > first:
                last -= 1
            message = None
            for line in range(first, last + 1):
                code = self._masked_line(line)
                for pattern, text in self._PS7_ERROR_SHAPES:
                    if pattern.search(code):
                        message = text
                        break
                if message:
                    first = line
                    break
            if (first, message) in seen_lines:
                continue
            seen_lines.add((first, message))
            if message:
                rule = 'ps7-syntax'
            elif node.is_missing:
                rule, message = 'parse', 'syntax error: missing %r' % node.type
            else:
                snippet = self.src.node_text(node).strip().splitlines()
                rule, message = 'parse', 'syntax error near %r' % (snippet[0][:40] if snippet else '')
            start = self.src.char(node.start_byte)
            if self.src.linecol(start)[0] != first:
                start = self.src.line_starts[first - 1]
            self.add(rule, start, message)

    def _masked_line(self, line):
        start = self.src.line_starts[line - 1]
        end = self.src.line_starts[line] if line < len(self.src.line_starts) else len(self.masked)
        return self.masked[start:end].rstrip('\r\n')

    def check_ps7_syntax(self):
        for node in self.nodes:
            if node.type == 'pipeline_chain_tail':
                op = self.src.node_text(node).strip()
                self.add_node('ps7-syntax', node, 'the pipeline chain operator %s is PowerShell 7.0+; use '
                              'if ($?) { ... } or -and on the results' % op)
            elif node.type in ('expandable_string_literal', 'expandable_here_string_literal'):
                text = self.src.node_text(node)
                for match in re.finditer(r'(`+)u\{', text):
                    if len(match.group(1)) % 2:
                        self.add('ps7-syntax', self.src.char(node.start_byte) + match.start(),
                                 'the `u{...} escape is PowerShell 6.0+ (5.1 prints u{...} literally); use '
                                 '$([char]0x2013)')
            elif node.type == 'comparison_operator' and self.src.node_text(node).lower() in (
                    '-replace', '-ireplace', '-creplace'):
                right = _unwrap(node.next_named_sibling)
                if right is not None and right.type == 'array_literal_expression':
                    parts = list(right.named_children)
                    if len(parts) >= 2 and _unwrap(parts[-1]).type == 'script_block_expression':
                        self.add_node('ps7-syntax', node, '-replace with a script block replacement is PowerShell '
                                      '6.1+; 5.1 uses the block\'s source text as the replacement. Use '
                                      '[regex]::Replace($s, $pattern, { ... }) (a MatchEvaluator)')

    # -- ps7-params, write-host, json-depth, strict-mode method syntax --------------------------------
    def check_commands(self):
        for node in self.nodes:
            if node.type != 'command':
                continue
            command, name_node = _command_name(self.src, node)
            if not command:
                continue
            elements = _command_elements(node)
            params = [(i, _parameter_name(self.src, e)) for i, e in enumerate(elements) if e.type == 'command_parameter']
            if command in PS7_COMMANDS:
                version, reason = PS7_COMMANDS[command]
                self.add_node('ps7-params', name_node, '%s is PowerShell %s+, not in Windows PowerShell 5.1: %s'
                              % (self.src.node_text(name_node), version, reason))
            for commands, names, version, reason in PS7_PARAMETERS:
                if command not in commands:
                    continue
                for i, token in params:
                    for parameter in names:
                        if _matches_parameter(token, parameter, command):
                            self.add_node('ps7-params', elements[i], '%s -%s is PowerShell %s, not in Windows '
                                          'PowerShell 5.1: %s' % (command, parameter, version, reason))
            for commands, parameter, values, version, reason in PS7_PARAMETER_VALUES:
                if command not in commands:
                    continue
                for i, token in params:
                    if not _matches_parameter(token, parameter, command):
                        continue
                    value = _word_value(self.src, elements[i + 1] if i + 1 < len(elements) else None)
                    if value is not None and value.lower() in values:
                        self.add_node('ps7-params', elements[i + 1], '%s -%s %s is PowerShell %s, not in Windows '
                                      'PowerShell 5.1: %s' % (command, parameter, value, version, reason))
            if command == 'write-host':
                self.add_node('write-host', name_node, 'Write-Host writes to the host / information stream, not '
                              'the output stream: under psrp it never reaches the stdout Ansible parses, under '
                              'winrm it is console text mixed into stdout. Emit results with Write-Output (or a '
                              'bare expression), diagnostics with Write-Verbose/Write-Warning')
            if command == 'convertto-json':
                splatted = any(_unwrap(e).type == 'variable' and self.src.node_text(e).startswith('@') for e in elements)
                if not splatted and not any(_matches_parameter(pair[1], 'Depth', command) for pair in params):
                    self.add_node('json-depth', name_node, 'ConvertTo-Json without -Depth: the default depth is 2 '
                                  'and deeper values silently become their type name ("System.Collections.'
                                  'Hashtable"); give -Depth explicitly')
            if (len(elements) == 1 and elements[0].type == 'parenthesized_expression'
                    and elements[0].start_byte == name_node.end_byte):
                inner = _unwrap(elements[0].named_children[0]) if elements[0].named_child_count else None
                if inner is not None and inner.type == 'array_literal_expression' and any(
                        c.type == ',' for c in inner.children):
                    self.add_node('strict-mode', name_node, '%s(a, b) calls a command with method syntax: under '
                                  'Set-StrictMode -Version 2+ this throws StrictModeFunctionCallWithParens; write '
                                  '"%s a b"' % ((self.src.node_text(name_node),) * 2))
        for match in re.finditer(r'\[(System\.)?Console\]::(Write|WriteLine|Out\.Write\w*)\s*\(', self.masked, re.I):
            self.add('write-host', match.start(), '[Console] output bypasses the output stream: psrp has no console '
                     '(the text is lost), winrm mixes it into stdout; emit results with Write-Output')

    # -- netcore-api ---------------------------------------------------------------------------------
    def check_netcore(self):
        code = self.masked
        for spec, reason in NETCORE_APIS:
            if isinstance(spec, str):
                spec = {'pattern': spec}
            if 'unless' in spec and re.search(spec['unless'], self.src.text, re.I):
                continue
            if 'method' in spec:
                for match in re.finditer(r'\.(%s)\s*\(' % spec['method'], code, re.I):
                    args = _balanced_args(code, match.end() - 1)
                    if args is None:
                        continue
                    raw = self.src.text[match.end():match.end() + len(args)]
                    if re.search(spec['args'], raw, re.I):
                        self.add('netcore-api', match.start() + 1, '.%s(%s): %s' % (
                            match.group(1), ' '.join(raw.split())[:60], reason))
            else:
                for match in re.finditer(spec['pattern'], code, re.I):
                    self.add('netcore-api', match.start(), '%s: %s' % (match.group(0).strip(), reason))

    # -- no-splice -----------------------------------------------------------------------------------
    def _in_string_or_comment(self, char_offset):
        byte = len(self.src.text[:char_offset].encode('utf-8', 'surrogateescape'))
        node = self.root.descendant_for_byte_range(byte, byte + 1)
        while node is not None:
            if node.type in ('string_literal', 'comment', 'expandable_string_literal', 'verbatim_string_characters',
                             'expandable_here_string_literal', 'verbatim_here_string_characters'):
                return node
            node = node.parent
        return None

    def _is_uformat_argument(self, string_node):
        node = string_node
        while node.parent is not None and node.parent.type != 'command_elements':
            node = node.parent
        if node.parent is None:
            return False
        siblings = [c for c in node.parent.named_children if c.type != 'command_argument_sep']
        ids = [c.id for c in siblings]
        index = ids.index(node.id) if node.id in ids else -1
        return index > 0 and siblings[index - 1].type == 'command_parameter' and \
            _parameter_name(self.src, siblings[index - 1]).startswith('uf')

    def check_placeholders(self):
        for pattern, strings_only in _PLACEHOLDERS:
            for match in pattern.finditer(self.src.text):
                if match.group(0) in self.allowed:
                    continue
                if strings_only:
                    node = self._in_string_or_comment(match.start())
                    if node is None or (node.type != 'comment' and self._is_uformat_argument(node)):
                        continue
                self.add('no-splice', match.start(), 'placeholder-looking text %r: the Python side must not '
                         'splice data into script text; ship a fixed script and send the data as input '
                         '($input / stdin) or as arguments%s' % (
                             match.group(0), ' (allowed here: %s)' % ', '.join(self.allowed) if self.allowed else ''))

    # -- variables: script-scope and strict-mode -----------------------------------------------------
    def _owner(self, node):
        """(owner, in_block): the nearest function/method (None = top level) and whether a script block
        literal lies between."""
        in_block = False
        for anc in _ancestors(node):
            if anc.type in ('function_statement', 'class_method_definition'):
                return anc, in_block
            if anc.type == 'script_block_expression':
                in_block = True
        return None, in_block

    def _collect(self):
        """Variable events: dicts with kind (read / assign / call), scope, name, node, pos (char offset)."""
        src = self.src
        events = []
        functions = {}

        def event(kind, scope, name, node, pos=None, extra=None):
            owner, in_block = self._owner(node)
            ev = {'kind': kind, 'scope': scope, 'name': name, 'node': node, 'owner': owner, 'in_block': in_block,
                  'pos': src.char(node.start_byte) if pos is None else pos}
            if extra:
                ev.update(extra)
            events.append(ev)

        def scope_of(qualifier):
            if qualifier in ('', 'local', 'private', 'variable'):
                return 'plain'
            if qualifier in ('script', 'global'):
                return qualifier
            return None     # env:, using:, function:, drives...: not variables this checks

        assigned_nodes = {}
        for node in self.nodes:
            if node.type == 'function_statement':
                for child in node.children:
                    if child.type == 'function_name':
                        functions[src.node_text(child).lower()] = node
            elif node.type == 'assignment_expression':
                lhs = node.children[0]
                op = src.node_text(node.children[1]) if node.child_count > 1 else '='
                end = src.char(node.end_byte)
                for var in _walk(lhs):
                    if var.type != 'variable':
                        continue
                    direct = True
                    for anc in _ancestors(var):
                        if anc.id == lhs.id:
                            break
                        if anc.type not in _LHS_DIRECT:
                            direct = False
                            break
                    if direct:
                        assigned_nodes[var.id] = ('assign', end, op.strip() != '=')
            elif node.type == 'foreach_statement':
                for child in node.children:
                    if child.type == 'variable':
                        assigned_nodes[child.id] = ('assign', None, False)
            elif node.type in ('script_parameter', 'class_method_parameter'):
                for child in node.children:
                    if child.type == 'variable':
                        assigned_nodes[child.id] = ('param', None, False)
            elif node.type == 'class_property_definition':
                for child in node.children:
                    if child.type == 'variable':
                        assigned_nodes[child.id] = ('ignore', None, False)
            elif node.type == 'cast_expression':
                type_node = node.children[0] if node.child_count else None
                if type_node is not None and type_node.type == 'type_literal' and \
                        re.match(r'\[\s*ref\s*\]', src.node_text(type_node), re.I):
                    for var in _walk(node):
                        if var.type == 'variable' and _unwrap(var) is var:
                            assigned_nodes.setdefault(var.id, ('assign', None, False))
                            break
            elif node.type == 'data_name':
                events.append({'kind': 'assign', 'scope': 'plain', 'name': src.node_text(node).lower(), 'node': node,
                               'owner': self._owner(node)[0], 'in_block': self._owner(node)[1],
                               'pos': src.char(node.start_byte)})
            elif node.type == 'command':
                self._command_events(node, event, scope_of)

        for node in self.nodes:
            if node.type != 'variable':
                continue
            qualifier, name = _parse_variable(src.node_text(node))[1:]
            scope = scope_of(qualifier)
            if scope is None or not name:
                continue
            kind, pos, compound = assigned_nodes.get(node.id, ('read', None, False))
            if kind == 'ignore':
                continue
            if kind == 'param':
                event('assign', scope, name, node, extra={'param': True})
                continue
            if kind == 'assign':
                if compound:
                    event('read', scope, name, node)
                event('assign', scope, name, node, pos=pos, extra={'statement': pos is not None})
                continue
            event('read', scope, name, node)
        return events, functions

    def _command_events(self, node, event, scope_of):
        src = self.src
        command, name_node = _command_name(src, node)
        if not command:
            return
        elements = _command_elements(node)
        event('call', None, command, name_node, extra={'command': node})
        for i, element in enumerate(elements):
            if element.type != 'command_parameter':
                continue
            parameter = _parameter_name(src, element)
            if parameter in _OUT_VARIABLE_PARAMS:
                value = _word_value(src, elements[i + 1] if i + 1 < len(elements) else None)
                if value:
                    event('assign', 'plain', value.lstrip('+').lower(), element, pos=src.char(node.end_byte))
        if command in ('set-variable', 'new-variable'):
            name, scope = None, 'plain'
            positional = []
            i = 0
            while i < len(elements):
                element = elements[i]
                if element.type == 'command_parameter':
                    parameter = _parameter_name(src, element)
                    value = _word_value(src, elements[i + 1] if i + 1 < len(elements) else None)
                    if 'name'.startswith(parameter) and parameter:
                        name = value
                    elif 'scope'.startswith(parameter) and len(parameter) >= 2 and value:
                        scope = {'script': 'script', 'global': 'global', '1': 'script'}.get(value.lower(), 'plain')
                    i += 2 if value is not None and parameter not in ('force', 'passthru', 'whatif', 'confirm') else 1
                    continue
                positional.append(element)
                i += 1
            if name is None and positional:
                name = _word_value(src, positional[0])
            if name:
                event('assign', scope, name.lower(), node, pos=src.char(node.end_byte))

    def check_variables(self):
        events, functions = self._collect()
        events.sort(key=lambda e: e['pos'])
        assigned_any = {}
        assigned_script = {}
        assigned_plain = {}
        for ev in events:
            if ev['kind'] != 'assign':
                continue
            assigned_any.setdefault(ev['name'], ev)
            if ev['scope'] in ('script', 'global'):
                assigned_script.setdefault(ev['name'], ev)
            else:
                assigned_plain.setdefault(ev['name'], ev)
        reads = [e for e in events if e['kind'] == 'read']

        # script-scope, flow-insensitive
        script_reads = {}
        for ev in reads:
            if ev['scope'] == 'script' and ev['name'] not in AUTOMATIC_VARIABLES:
                script_reads.setdefault(ev['name'], []).append(ev)
        for name, evs in script_reads.items():
            if name in assigned_script:
                continue
            first = evs[0]
            more = ' (%d reads)' % len(evs) if len(evs) > 1 else ''
            plain = assigned_plain.get(name)
            if plain is not None:
                where = self._where(plain)
                self.add_node('script-scope', first['node'], '$script:%s is read%s but only ever assigned as plain '
                              '$%s (line %d, %s): that assignment creates a variable in the current scope, not the '
                              'script scope, so $script:%s is never set (and throws under strict mode). Assign '
                              '$script:%s = ... instead'
                              % (name, more, name, self.line_of(plain['node']), where, name, name))
            else:
                self.add_node('script-scope', first['node'], '$script:%s is read%s but never assigned in script '
                              'scope in this file ($script:%s = ... or Set-Variable -Scope Script)'
                              % (name, more, name))

        # script-scope, the classic bug: `$x = ...` (a plain assignment statement) where $script:x is meant.
        # Reported at the first such assignment of each scope (function, script block, top level) when
        # $script:x is read somewhere and also assigned somewhere (else the read is reported above).
        seen_scopes = set()
        for ev in events:
            name = ev['name']
            if ev['kind'] != 'assign' or ev['scope'] != 'plain' or not ev.get('statement') or \
                    name not in script_reads or name not in assigned_script:
                continue
            owner = (name, ev['owner'].id if ev['owner'] is not None else None, self._block_of(ev['node']))
            if owner in seen_scopes:
                continue
            seen_scopes.add(owner)
            self.add_node('script-scope', ev['node'], '$%s = ... assigns a variable of this scope (%s), not '
                          '$script:%s, which is read on line %d: assign $script:%s = ... (or rename the local '
                          'variable)' % (name, self._where(ev), name, self.line_of(script_reads[name][0]['node']),
                                         name))

        # strict-mode, flow-insensitive
        plain_reads = {}
        for ev in reads:
            if ev['scope'] in ('plain', 'global') and ev['name'] not in AUTOMATIC_VARIABLES:
                plain_reads.setdefault(ev['name'], []).append(ev)
        for name, evs in plain_reads.items():
            if name in assigned_any:
                continue
            first = evs[0]
            more = ' (%d reads)' % len(evs) if len(evs) > 1 else ''
            shown = self.src.node_text(first['node'])
            if name in PS6_AUTOMATIC_VARIABLES:
                self.add_node('strict-mode', first['node'], '%s is an automatic variable of PowerShell %s+ only: in '
                              '5.1 it does not exist and reading it throws under strict mode' % (
                                  shown, PS6_AUTOMATIC_VARIABLES[name]))
            elif not name.startswith(('logengine', 'logprovider')):
                self.add_node('strict-mode', first['node'], '%s is read%s but never assigned in this file: under '
                              'Set-StrictMode -Version Latest reading it throws' % (shown, more))

        self._order_walk(events, functions, 'script', set(assigned_script))
        self._order_walk(events, functions, 'plain', set(assigned_any))

    @staticmethod
    def _block_of(node):
        for anc in _ancestors(node):
            if anc.type in ('script_block_expression', 'function_statement', 'class_method_definition'):
                return anc.id
        return None

    def _where(self, ev):
        if ev['owner'] is not None:
            kind = 'a class method' if ev['owner'].type == 'class_method_definition' else 'a function'
            return 'inside %s' % kind
        if ev['in_block']:
            return 'inside a script block'
        return 'at the top level, which is a child scope when psrp or & ([ScriptBlock]::Create($s)) runs the text'

    # -- text-order walk -----------------------------------------------------------------------------
    def _relevant(self, ev, mode):
        """Does ev read / assign a variable of this mode ('script': $script:x; 'plain': plain reads)?"""
        if ev['kind'] == 'read':
            if ev['name'] in AUTOMATIC_VARIABLES:
                return False
            return ev['scope'] == 'script' if mode == 'script' else ev['scope'] == 'plain'
        if ev['kind'] == 'assign':
            return ev['scope'] in ('script', 'global') if mode == 'script' else True
        return False

    def _function_summary(self, fnode, mode, functions, events, cache, active):
        """(needs, exports) of a function: variables it reads before assigning them itself (name -> read event),
        and script/global variables it assigns, both through the functions it calls."""
        key = (fnode.id, mode)
        if key in cache:
            return cache[key]
        if key in active:
            return {}, set()
        active.add(key)
        needs, exports, assigned = {}, set(), set()
        for ev in events:
            if ev['owner'] is None or ev['owner'].id != fnode.id:
                continue
            if ev['kind'] == 'assign' and self._relevant(ev, mode):
                assigned.add(ev['name'])
                if ev['scope'] in ('script', 'global'):
                    exports.add(ev['name'])
            elif ev['kind'] == 'read' and not ev['in_block'] and self._relevant(ev, mode):
                if ev['name'] not in assigned:
                    needs.setdefault(ev['name'], ev)
            elif ev['kind'] == 'call' and not ev['in_block'] and ev['name'] in functions:
                callee = functions[ev['name']]
                if callee.id == fnode.id:
                    continue
                sub_needs, sub_exports = self._function_summary(callee, mode, functions, events, cache, active)
                for name, read in sub_needs.items():
                    if name not in assigned:
                        needs.setdefault(name, read)
                assigned |= sub_exports
                exports |= sub_exports
        active.discard(key)
        cache[key] = (needs, exports)
        return cache[key]

    def _order_walk(self, events, functions, mode, assigned_somewhere):
        rule = 'script-scope' if mode == 'script' else 'strict-mode'
        prefix = '$script:' if mode == 'script' else '$'
        first_assign = {}
        for ev in events:
            if ev['kind'] == 'assign' and self._relevant(ev, mode):
                first_assign.setdefault(ev['name'], ev)
        cache = {}
        assigned = set()
        for ev in events:
            if ev['owner'] is not None:
                continue
            if ev['kind'] == 'assign':
                if self._relevant(ev, mode):
                    assigned.add(ev['name'])
                continue
            if ev['in_block']:
                continue
            if ev['kind'] == 'read' and self._relevant(ev, mode):
                name = ev['name']
                if name in assigned or name not in assigned_somewhere:
                    continue
                assigned.add(name)      # report once
                first = first_assign[name]
                if first['owner'] is not None and first['scope'] == 'plain':
                    where = 'its assignment on line %d is inside a function, local to it' % self.line_of(first['node'])
                else:
                    where = 'first assignment on line %d' % self.line_of(first['node'])
                self.add_node(rule, ev['node'], '%s%s is read before anything assigns it%s (%s): under '
                              'Set-StrictMode -Version Latest this throws; initialise it first' % (
                                  prefix, name, ' in script scope' if mode == 'script' else '', where))
            elif ev['kind'] == 'call' and ev['name'] in functions:
                needs, exports = self._function_summary(functions[ev['name']], mode, functions, events, cache, set())
                missing = sorted(n for n in needs if n not in assigned and n in assigned_somewhere)
                if missing:
                    detail = ', '.join('%s%s (line %d)' % (prefix, n, self.line_of(needs[n]['node'])) for n in missing)
                    self.add_node(rule, ev['node'], '%s (called here) reads %s before anything assigns %s%s: under '
                                  'Set-StrictMode -Version Latest this throws; initialise %s before the first call, '
                                  'e.g. %s%s = $null' % (
                                      self.src.node_text(ev['node']), detail, 'it' if len(missing) == 1 else 'them',
                                      ' in script scope' if mode == 'script' else '',
                                      'it' if len(missing) == 1 else 'them', prefix, missing[0]))
                    assigned.update(missing)
                assigned |= exports


# ---- public API ----------------------------------------------------------------------------------------

def check_text(text, name='<text>', allowed_placeholders=()):
    """Findings (sorted by line) for one PowerShell text."""
    return _Checker(text, name, allowed_placeholders).run()


def check_file(path, allowed_placeholders=()):
    with open(path, 'rb') as handle:
        text = handle.read().decode('utf-8', 'surrogateescape')
    return check_text(text, str(path), allowed_placeholders)


def powershell_files(paths):
    """*.ps1 / *.psm1 files of the given files and directories (recursively), sorted."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for folder, _dirs, files in os.walk(path):
                found.extend(os.path.join(folder, f) for f in files if f.lower().endswith(('.ps1', '.psm1')))
        else:
            found.append(path)
    return sorted(found)


# ---- the Python side of no-splice ----------------------------------------------------------------------

_PS_MARKERS = re.compile(r'\$\w+\s*=|\$ErrorActionPreference|-(eq|ne|lt|gt|le|ge|match|and|or|not)\b|'
                         r'\b(Get|Set|New|Remove|Add|Clear|Write|Out|ConvertTo|ConvertFrom|Invoke|Start|Stop|Test|'
                         r'Select|Where|ForEach|Sort|Import|Export|Enable|Disable)-[A-Za-z]+\b|'
                         r'\bfunction\s+[\w-]+|\bparam\s*\(', re.I)


def looks_like_powershell(text):
    return len(_PS_MARKERS.findall(text or '')) >= 2


def python_splice_findings(text, name='<python>'):
    """Places where Python code builds PowerShell text from data: ``script.replace(PLACEHOLDER, data)``,
    ``'...' % data``, ``'...'.format(...)``, f-strings and ``+`` on string constants that look like PowerShell
    (or on module-level names bound to such constants). A ``Finding`` per place, rule ``no-splice``."""
    tree = ast.parse(text)
    ps_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and \
                isinstance(node.value.value, str) and looks_like_powershell(node.value.value):
            ps_names.update(t.id for t in node.targets if isinstance(t, ast.Name))

    def is_ps(expr):
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return looks_like_powershell(expr.value)
        if isinstance(expr, ast.Name):
            return expr.id in ps_names
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return is_ps(expr.left) or is_ps(expr.right)
        return False

    placeholder = re.compile('|'.join(pair[0].pattern for pair in _PLACEHOLDERS[:4]))
    out = []

    def add(node, message):
        out.append(Finding(name, node.lineno, node.col_offset + 1, 'no-splice', message))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == 'replace' and node.args and isinstance(node.args[0], ast.Constant) and \
                    isinstance(node.args[0].value, str) and placeholder.search(node.args[0].value):
                add(node, 'replaces the placeholder %r in script text with data' % node.args[0].value)
            elif node.func.attr in ('replace', 'format', 'format_map') and is_ps(node.func.value):
                add(node, 'builds PowerShell text with str.%s()' % node.func.attr)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and is_ps(node.left):
            add(node, 'builds PowerShell text with %-formatting')
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and is_ps(node) and not (
                isinstance(node.left, (ast.Constant, ast.Name)) and isinstance(node.right, (ast.Constant, ast.Name))
                and all(isinstance(s, ast.Constant) or (isinstance(s, ast.Name) and s.id in ps_names)
                        for s in (node.left, node.right))):
            add(node, 'concatenates data into PowerShell text')
        elif isinstance(node, ast.JoinedStr) and looks_like_powershell(''.join(
                v.value for v in node.values if isinstance(v, ast.Constant))):
            add(node, 'builds PowerShell text with an f-string')
    return sorted(out)


# ---- command line --------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description='Static checks for Windows PowerShell 5.1 scripts: %s.'
                                     % ', '.join(sorted(RULES)))
    parser.add_argument('paths', nargs='+', help='.ps1/.psm1 files or directories (searched recursively)')
    parser.add_argument('--allow-placeholder', action='append', default=[], metavar='TEXT',
                        help='placeholder text that no-splice accepts (repeatable)')
    parser.add_argument('--python', action='store_true',
                        help='check the given .py files / directories for PowerShell text built from data instead')
    args = parser.parse_args(argv)
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        print('pslint: no such file or directory: %s' % ', '.join(missing), file=sys.stderr)
        return 2
    if args.python:
        files = []
        for path in args.paths:
            if os.path.isdir(path):
                for folder, _dirs, names in os.walk(path):
                    files.extend(os.path.join(folder, f) for f in names if f.endswith('.py'))
            else:
                files.append(path)
        findings = []
        for path in sorted(files):
            with open(path, encoding='utf-8') as handle:
                findings.extend(python_splice_findings(handle.read(), path))
    else:
        files = powershell_files(args.paths)
        findings = []
        for path in files:
            findings.extend(check_file(path, args.allow_placeholder))
    if not files:
        print('pslint: no files found under %s' % ', '.join(args.paths), file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    print('pslint: %d file(s), %d finding(s)' % (len(files), len(findings)), file=sys.stderr)
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
