# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows side of the replay driver: one small PowerShell step that performs a batch of actions.

``relay_script(actions, timeout, ca_pem)`` returns the PowerShell text (Windows PowerShell 5.1 and
PowerShell 7) that connects, sends, receives framed messages and upgrades to TLS exactly as the action
list says, then prints one JSON array of step results (the contract in remote_replay.py). It holds no
protocol knowledge: the framings are the conversation layer's, re-implemented in PowerShell.

TLS on Windows: SslStream with a validation callback that accepts the certificate and records what .NET's
validation found (SslPolicyErrors: chain errors, name mismatch). With a CA bundle from the controller
(``ca_path`` is read on the controller and its PEM text sent along), the chain is rebuilt against that
bundle; the host name check stays .NET's. The Python side turns the returned DER certificate into the
collection's TLS facts.

This text is not executed by the CI (there is no PowerShell on the build machines): docs/windows.md
describes the opt-in test against a real Windows host. Its Python counterpart (tests/support/
replay_executor.py) follows the same contract and is tested against real servers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

_SCRIPT = r'''
$ErrorActionPreference = 'Stop'
$req = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('@@PAYLOAD@@')) | ConvertFrom-Json
$timeout = [int]$req.timeout_ms
$steps = New-Object System.Collections.ArrayList
$tcp = $null; $udp = $null; $stream = $null
$buf = New-Object System.Collections.Generic.List[byte]

function New-Err([string]$name, [string]$message, [string]$kind) {
    $e = New-Object System.Exception($message)
    $e.Data['pf_error'] = $name
    if ($kind) { $e.Data['pf_kind'] = $kind }
    return $e
}

function Close-All {
    if ($script:stream) { try { $script:stream.Dispose() } catch { } }
    if ($script:tcp) { try { $script:tcp.Close() } catch { } }
    if ($script:udp) { try { $script:udp.Close() } catch { } }
    $script:tcp = $null; $script:udp = $null; $script:stream = $null; $script:buf.Clear()
}

function Get-BE([byte[]]$b, [int]$at, [int]$count) {
    $n = [int64]0
    for ($i = 0; $i -lt $count; $i++) { $n = $n * 256 + $b[$at + $i] }
    return $n
}

# Length of the first complete message in $b, or -1 when more bytes are needed (conversation.frame_complete).
function Get-FrameLength([byte[]]$b, [string]$framing, $size) {
    $max = 1048576
    switch ($framing) {
        'exact' { if ($b.Length -ge [int]$size) { return [int]$size } else { return -1 } }
        'line' { $i = [Array]::IndexOf($b, [byte]10); if ($i -ge 0) { return $i + 1 } else { return -1 } }
        'smtp' {
            $start = 0
            while ($true) {
                $i = [Array]::IndexOf($b, [byte]10, $start)
                if ($i -lt 0) { return -1 }
                if (($i - $start + 1) -lt 4 -or $b[$start + 3] -ne 45) { return $i + 1 }
                $start = $i + 1
            }
        }
        'len4' {
            if ($b.Length -lt 4) { return -1 }
            $n = Get-BE $b 0 4
            if ($n -gt $max) { throw (New-Err 'FramingError' "a length prefix of $n bytes is beyond the limit") }
            if ($b.Length -ge 4 + $n) { return [int](4 + $n) } else { return -1 }
        }
        'ber' {
            if ($b.Length -lt 2) { return -1 }
            $first = $b[1]
            if ($first -lt 128) { if ($b.Length -ge 2 + $first) { return 2 + $first } else { return -1 } }
            $count = $first -band 127
            if ($count -eq 0 -or $count -gt 4) {
                throw (New-Err 'FramingError' 'a BER length form this check does not accept')
            }
            if ($b.Length -lt 2 + $count) { return -1 }
            $n = Get-BE $b 2 $count
            if ($n -gt $max) { throw (New-Err 'FramingError' "a BER message of $n bytes is beyond the limit") }
            $total = 2 + $count + $n
            if ($b.Length -ge $total) { return [int]$total } else { return -1 }
        }
        'tds' {
            $pos = 0
            while ($true) {
                if ($b.Length -lt $pos + 8) { return -1 }
                $len = Get-BE $b ($pos + 2) 2
                if ($len -lt 8) { throw (New-Err 'FramingError' "a TDS packet header announces $len bytes") }
                if ($b.Length -lt $pos + $len) { return -1 }
                $status = $b[$pos + 1]
                $pos += $len
                if ($status -band 1) { return [int]$pos }
            }
        }
    }
    throw (New-Err 'FramingError' "unknown framing $framing")
}

function Convert-SocketError($ex, [string]$what) {
    $se = $ex
    while ($se -and -not ($se -is [System.Net.Sockets.SocketException])) { $se = $se.InnerException }
    if (-not $se) { return (New-Err 'PeerClosed' "$what failed: $($ex.Message)") }
    switch ($se.SocketErrorCode.ToString()) {
        'ConnectionRefused' { return (New-Err 'ConnectFailed' "$what refused: nothing listens there" 'refused') }
        'ConnectionReset' {
            if ($script:udp) { return (New-Err 'ConnectFailed' 'ICMP port unreachable: nothing listens on that UDP port' 'refused') }
        }
        'TimedOut' {
            if ($what -eq 'connect') { return (New-Err 'ConnectFailed' "no answer within $($timeout / 1000) s" 'timeout') }
            return (New-Err 'ReceiveTimeout' "no complete reply within $($timeout / 1000) s")
        }
        'HostNotFound' { return (New-Err 'ConnectFailed' "cannot resolve the host: $($se.Message)" 'dns') }
        'NoData' { return (New-Err 'ConnectFailed' "cannot resolve the host: $($se.Message)" 'dns') }
        'HostUnreachable' { return (New-Err 'ConnectFailed' "host unreachable: $($se.Message)" 'unreachable') }
        'NetworkUnreachable' { return (New-Err 'ConnectFailed' "network unreachable: $($se.Message)" 'unreachable') }
    }
    return (New-Err 'PeerClosed' "$what failed: $($se.Message)")
}

$caCerts = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
if ($req.ca_pem) {
    $blocks = [regex]::Matches($req.ca_pem, '-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----')
    foreach ($m in $blocks) {
        $der = [Convert]::FromBase64String(($m.Groups[1].Value -replace '\s', ''))
        [void]$caCerts.Add((New-Object System.Security.Cryptography.X509Certificates.X509Certificate2(,$der)))
    }
}

foreach ($a in $req.actions) {
    try {
        $value = $null
        switch ($a.action) {
            'connect' {
                Close-All
                $sw = [Diagnostics.Stopwatch]::StartNew()
                if ($a.transport -eq 'tcp') {
                    $script:tcp = New-Object System.Net.Sockets.TcpClient
                    try {
                        $iar = $script:tcp.BeginConnect([string]$a.host, [int]$a.port, $null, $null)
                        if (-not $iar.AsyncWaitHandle.WaitOne($timeout)) {
                            $text = "no answer from $($a.host):$($a.port) within $($timeout / 1000) s (filtered, or the host is down)"
                            throw (New-Err 'ConnectFailed' $text 'timeout')
                        }
                        $script:tcp.EndConnect($iar)
                    } catch {
                        if ($_.Exception.Data['pf_error']) { throw $_.Exception }
                        throw (Convert-SocketError $_.Exception 'connect')
                    }
                    $script:stream = $script:tcp.GetStream()
                    $script:stream.ReadTimeout = $timeout
                    $script:stream.WriteTimeout = $timeout
                    $peer = $script:tcp.Client.RemoteEndPoint
                } else {
                    $script:udp = New-Object System.Net.Sockets.UdpClient
                    $script:udp.Client.ReceiveTimeout = $timeout
                    try { $script:udp.Connect([string]$a.host, [int]$a.port) }
                    catch { throw (Convert-SocketError $_.Exception 'connect') }
                    $peer = $script:udp.Client.RemoteEndPoint
                }
                $value = @{ rtt_ms = [math]::Round($sw.Elapsed.TotalMilliseconds, 2); peer = "$($peer.Address):$($peer.Port)" }
            }
            'send' {
                $bytes = New-Object byte[] ($a.data.Length / 2)
                for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($a.data.Substring(2 * $i, 2), 16) }
                try {
                    if ($script:udp) { [void]$script:udp.Send($bytes, $bytes.Length) }
                    else { $script:stream.Write($bytes, 0, $bytes.Length); $script:stream.Flush() }
                } catch { throw (Convert-SocketError $_.Exception 'send') }
            }
            'recv' {
                if ($script:udp) {
                    $ep = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
                    try { $data = $script:udp.Receive([ref]$ep) } catch { throw (Convert-SocketError $_.Exception 'receive') }
                    $value = [Convert]::ToBase64String($data)
                } else {
                    $chunk = New-Object byte[] 65536
                    $deadline = [DateTime]::UtcNow.AddMilliseconds($timeout)
                    while ($true) {
                        $n = Get-FrameLength $script:buf.ToArray() $a.framing $a.size
                        if ($n -ge 0) {
                            $msg = $script:buf.GetRange(0, $n).ToArray()
                            $script:buf.RemoveRange(0, $n)
                            $value = [Convert]::ToBase64String($msg)
                            break
                        }
                        if ([DateTime]::UtcNow -gt $deadline) {
                            throw (New-Err 'ReceiveTimeout' "no complete reply within $($timeout / 1000) s")
                        }
                        try { $got = $script:stream.Read($chunk, 0, $chunk.Length) } catch { throw (Convert-SocketError $_.Exception 'receive') }
                        if ($got -le 0) {
                            $e = New-Err 'PeerClosed' 'the peer closed the connection'
                            $e.Data['pf_partial'] = [Convert]::ToBase64String($script:buf.ToArray())
                            throw $e
                        }
                        for ($i = 0; $i -lt $got; $i++) { $script:buf.Add($chunk[$i]) }
                    }
                }
            }
            'starttls' {
                $script:policy = 'None'
                $script:chainOk = $true
                $script:chainError = $null
                $callback = [System.Net.Security.RemoteCertificateValidationCallback] {
                    param($sender, $cert, $chain, $errors)
                    $script:policy = $errors.ToString()
                    if ($caCerts.Count -gt 0 -and $cert) {
                        $c2 = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($cert)
                        $own = New-Object System.Security.Cryptography.X509Certificates.X509Chain
                        $own.ChainPolicy.RevocationMode = 'NoCheck'
                        $own.ChainPolicy.VerificationFlags = 'AllowUnknownCertificateAuthority'
                        [void]$own.ChainPolicy.ExtraStore.AddRange($caCerts)
                        $built = $own.Build($c2)
                        $root = $own.ChainElements[$own.ChainElements.Count - 1].Certificate
                        $trusted = @($caCerts | Where-Object { $_.Thumbprint -eq $root.Thumbprint }).Count -gt 0
                        $bad = @($own.ChainStatus | Where-Object { $_.Status -ne 'UntrustedRoot' -and $_.Status -ne 'NoError' })
                        $script:chainOk = $trusted -and $bad.Count -eq 0
                        if (-not $script:chainOk) {
                            $script:chainError = (@($own.ChainStatus | ForEach-Object { $_.StatusInformation.Trim() }) -join '; ')
                            if (-not $trusted) { $script:chainError = "the chain does not end at a CA of ca_path. $($script:chainError)" }
                        }
                    } elseif ($chain -and ($errors -band [System.Net.Security.SslPolicyErrors]::RemoteCertificateChainErrors)) {
                        $script:chainOk = $false
                        $script:chainError = (@($chain.ChainStatus | ForEach-Object { $_.StatusInformation.Trim() }) -join '; ')
                    }
                    return $true
                }
                if ($script:buf.Count -gt 0) { throw (New-Err 'FramingError' "$($script:buf.Count) unread bytes before the TLS handshake") }
                $ssl = New-Object System.Net.Security.SslStream($script:stream, $false, $callback)
                $ssl.ReadTimeout = $timeout
                $ssl.WriteTimeout = $timeout
                $protocols = [System.Security.Authentication.SslProtocols]::Tls12
                try { $protocols = $protocols -bor [System.Security.Authentication.SslProtocols]'Tls13' } catch { }
                try {
                    $ssl.AuthenticateAsClient([string]$a.server_name, $null, $protocols, $false)
                } catch {
                    throw (New-Err 'TlsFailed' "TLS handshake failed: $($_.Exception.GetBaseException().Message)")
                }
                $script:stream = $ssl
                $nameOk = -not ($script:policy -match 'RemoteCertificateNameMismatch')
                $errorText = $null
                if (-not $script:chainOk) { $errorText = "certificate verify failed: $($script:chainError)" }
                elseif (-not $nameOk) {
                    $errorText = "certificate verify failed: the certificate does not match the host name $($a.server_name)"
                }
                elseif ($script:policy -match 'RemoteCertificateNotAvailable') { $errorText = 'certificate verify failed: no certificate' }
                $value = @{
                    version = $ssl.SslProtocol.ToString(); cipher = $ssl.CipherAlgorithm.ToString()
                    cert = [Convert]::ToBase64String($ssl.RemoteCertificate.Export('Cert'))
                    validated = ($null -eq $errorText); validation_error = $errorText
                }
            }
            'close' { Close-All }
        }
        [void]$steps.Add(@{ ok = $true; value = $value; at = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 })
    } catch {
        $ex = $_.Exception
        $name = $ex.Data['pf_error']
        if (-not $name) { $name = 'ConversationError' }
        $step = @{ ok = $false; error = $name; message = $ex.Message; at = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0 }
        if ($ex.Data['pf_kind']) { $step.kind = $ex.Data['pf_kind'] }
        if ($ex.Data['pf_partial']) { $step.partial = $ex.Data['pf_partial'] }
        [void]$steps.Add($step)
        break
    }
}
Close-All
ConvertTo-Json -InputObject @($steps.ToArray()) -Depth 6 -Compress
'''

# .NET SslProtocols names -> the names Python's ssl reports, so facts read the same from either vantage point.
TLS_VERSION_NAMES = {'Tls': 'TLSv1', 'Tls11': 'TLSv1.1', 'Tls12': 'TLSv1.2', 'Tls13': 'TLSv1.3', 'Ssl3': 'SSLv3'}


def relay_script(actions, timeout, ca_pem=None):
    """The PowerShell text that performs ``actions`` (list of action dicts) with ``timeout`` seconds per step."""
    payload = json.dumps({'actions': actions, 'timeout_ms': int(float(timeout) * 1000), 'ca_pem': ca_pem or None})
    return _SCRIPT.replace('@@PAYLOAD@@', base64.b64encode(payload.encode('utf-8')).decode('ascii'))


def parse_relay_output(stdout):
    """Steps from the script's stdout (the last JSON array printed), with TLS version names normalized."""
    text = stdout.decode('utf-8', 'replace') if isinstance(stdout, bytes) else stdout
    start = text.find('[')
    if start < 0:
        raise ValueError('the PowerShell step printed no JSON result: %s' % text.strip()[:500])
    steps = json.loads(text[start:])
    if isinstance(steps, dict):   # ConvertTo-Json of a one-element array on old PowerShell versions
        steps = [steps]
    for step in steps:
        value = step.get('value')
        if isinstance(value, dict) and 'version' in value and 'cert' in value:
            value['version'] = TLS_VERSION_NAMES.get(value['version'], value['version'])
    return steps
