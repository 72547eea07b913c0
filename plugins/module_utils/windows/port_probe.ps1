# printfleet.mve port probe step (module_utils/probes/windows.py builds its payload and reads its result; the
# shared transport sends it). port_check from the Windows MVE server: the whole target list in one round trip.
# The controller built every probe's bytes (SNMP GET, mDNS query, SNMPv3 discovery, nothing for a bare UDP
# port) and parses every reply with the same parsers as on Linux; this script only does the socket work:
#   TCP: non-blocking connects (BeginConnect), at most "concurrency" in flight, each with its own deadline;
#        refused (RST) or timeout (filtered); then the TLS handshake where the target asks for one.
#   UDP: one connected socket per target, the probe datagram resent "retries" times; a reply, ICMP port
#        unreachable (WSAECONNRESET on the next receive of a connected UDP socket), or silence.
# Sockets are made for the resolved address's family (IPv4 preferred, like the Linux engine), so IPv6 works.
param($Payload)
# pfmve-include: _tls
$ErrorActionPreference = 'Stop'
$timeout = [int]$Payload.timeout_ms
$attempts = [int]$Payload.retries + 1
$limit = [math]::Max(1, [int]$Payload.concurrency)
$caCerts = Read-CaBundle ([string]$Payload.ca_pem)
$targets = @($Payload.targets)
$results = New-Object 'System.Collections.Generic.Dictionary[int,object]'
$active = New-Object System.Collections.ArrayList
$resolved = @{}
$buffer = New-Object byte[] 65535

function Resolve-Target([string]$name) {
    if ($resolved.ContainsKey($name)) { return $resolved[$name] }
    $literal = $null
    if ([System.Net.IPAddress]::TryParse($name.Trim('[', ']'), [ref]$literal)) {
        $address = $literal
    } else {
        $found = @([System.Net.Dns]::GetHostAddresses($name))
        if ($found.Count -eq 0) { throw "$name has no address" }
        $v4 = @($found | Where-Object { $_.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetwork })
        if ($v4.Count -gt 0) { $address = $v4[0] } else { $address = $found[0] }
    }
    $resolved[$name] = $address
    return $address
}

function Get-SocketErrorName($ex) {
    $se = $ex
    while ($se -and -not ($se -is [System.Net.Sockets.SocketException])) { $se = $se.InnerException }
    if ($se) { return $se.SocketErrorCode.ToString() }
    return 'Unknown'
}

function Complete-Target($s, $outcome) {
    $outcome.id = $s.id
    $results[$s.index] = $outcome
    if ($s.sock) { try { $s.sock.Close() } catch { $null = $_ } }
}

function Start-Target([int]$index) {
    $t = $targets[$index]
    $s = @{ index = $index; id = $t.id; t = $t; clock = [Diagnostics.Stopwatch]::StartNew(); attempt = 1
            sock = $null; iar = $null; data = $null; sent = 0.0 }
    try {
        $address = Resolve-Target ([string]$t.host)
    } catch {
        $results[$index] = @{ id = $t.id; outcome = 'resolve_error'; error = $_.Exception.GetBaseException().Message }
        return $null
    }
    try {
        if ($t.transport -eq 'tcp') {
            $s.sock = New-Object System.Net.Sockets.Socket($address.AddressFamily,
                [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Tcp)
            $s.iar = $s.sock.BeginConnect($address, [int]$t.port, $null, $null)
        } else {
            $s.sock = New-Object System.Net.Sockets.Socket($address.AddressFamily,
                [System.Net.Sockets.SocketType]::Dgram, [System.Net.Sockets.ProtocolType]::Udp)
            $s.sock.Connect($address, [int]$t.port)
            $s.data = [Convert]::FromBase64String([string]$t.payload)
            [void]$s.sock.Send($s.data)
            $s.sent = $s.clock.Elapsed.TotalMilliseconds
        }
    } catch {
        Complete-Target $s @{ outcome = 'error'; error_name = (Get-SocketErrorName $_.Exception)
                              error = $_.Exception.GetBaseException().Message }
        return $null
    }
    return $s
}

# $true when the target is finished.
function Step-Tcp($s) {
    if ($s.iar.IsCompleted) {
        $rtt = $s.clock.Elapsed.TotalMilliseconds
        try {
            $s.sock.EndConnect($s.iar)
        } catch {
            $name = Get-SocketErrorName $_.Exception
            if ($name -eq 'ConnectionRefused') { Complete-Target $s @{ outcome = 'refused'; rtt_ms = $rtt } }
            else { Complete-Target $s @{ outcome = 'error'; error_name = $name; error = $_.Exception.GetBaseException().Message } }
            return $true
        }
        $out = @{ outcome = 'open'; rtt_ms = $rtt }
        if ($s.t.tls) {
            $stream = New-Object System.Net.Sockets.NetworkStream($s.sock, $true)
            $tls = Invoke-TlsClient $stream ([string]$s.t.tls) $caCerts $timeout
            if ($tls.ok) { $out.tls = $tls.value; $tls.ssl.Dispose() } else { $out.tls_error = $tls.error; $stream.Dispose() }
        }
        Complete-Target $s $out
        return $true
    }
    if ($s.clock.Elapsed.TotalMilliseconds -ge $timeout) {
        Complete-Target $s @{ outcome = 'timeout' }
        return $true
    }
    return $false
}

function Step-Udp($s) {
    try {
        if ($s.sock.Available -gt 0 -or $s.sock.Poll(0, [System.Net.Sockets.SelectMode]::SelectRead)) {
            $n = $s.sock.Receive($buffer)
            $copy = New-Object byte[] $n
            [Array]::Copy($buffer, $copy, $n)
            Complete-Target $s @{ outcome = 'reply'; rtt_ms = ($s.clock.Elapsed.TotalMilliseconds - $s.sent)
                                  datagrams = @([Convert]::ToBase64String($copy)) }
            return $true
        }
    } catch {
        $name = Get-SocketErrorName $_.Exception
        if ($name -eq 'ConnectionReset' -or $name -eq 'ConnectionRefused') {
            Complete-Target $s @{ outcome = 'refused'; rtt_ms = ($s.clock.Elapsed.TotalMilliseconds - $s.sent) }
        } else {
            Complete-Target $s @{ outcome = 'error'; error_name = $name; error = $_.Exception.GetBaseException().Message }
        }
        return $true
    }
    if ($s.clock.Elapsed.TotalMilliseconds - $s.sent -ge $timeout) {
        if ($s.attempt -lt $attempts) {
            $s.attempt += 1
            try { [void]$s.sock.Send($s.data) } catch { $null = $_ }
            $s.sent = $s.clock.Elapsed.TotalMilliseconds
            return $false
        }
        Complete-Target $s @{ outcome = 'silence' }
        return $true
    }
    return $false
}

$next = 0
while ($next -lt $targets.Count -or $active.Count -gt 0) {
    while ($active.Count -lt $limit -and $next -lt $targets.Count) {
        $started = Start-Target $next
        $next += 1
        if ($null -ne $started) { [void]$active.Add($started) }
    }
    for ($i = $active.Count - 1; $i -ge 0; $i--) {
        $current = $active[$i]
        if ($current.t.transport -eq 'tcp') { $finished = Step-Tcp $current } else { $finished = Step-Udp $current }
        if ($finished) { $active.RemoveAt($i) }
    }
    if ($active.Count -gt 0) { Start-Sleep -Milliseconds 2 }
}
$list = New-Object System.Collections.ArrayList
for ($i = 0; $i -lt $targets.Count; $i++) { [void]$list.Add($results[$i]) }
@{ results = @($list.ToArray()) }
