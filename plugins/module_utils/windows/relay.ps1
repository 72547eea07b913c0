# printfleet.mve relay step (module_utils/windows/relay.py builds its payload, the shared transport sends it).
# Performs a batch of conversation actions from the Windows host and returns one result per action: the
# executor contract of module_utils/windows/replay.py, whose Python reference is lab/windows/executors.py.
# No protocol knowledge here: the framings are the conversation layer's, re-implemented for the sockets.
# State lives in one hashtable ($pf) that the functions below reach through PowerShell's dynamic scoping;
# no $pf. variables (this script runs as a scriptblock, where $pf. names another scope).
param($Payload)
# pfmve-include: _tls
$ErrorActionPreference = 'Stop'
$timeout = [int]$Payload.timeout_ms
$steps = New-Object System.Collections.ArrayList
$pf = @{ tcp = $null; udp = $null; stream = $null; buf = (New-Object System.Collections.Generic.List[byte]) }

function New-Err([string]$name, [string]$message, [string]$kind) {
    $e = New-Object System.Exception($message)
    $e.Data['pf_error'] = $name
    if ($kind) { $e.Data['pf_kind'] = $kind }
    return $e
}

function Close-All {
    if ($pf.stream) { try { $pf.stream.Dispose() } catch { $null = $_ } }
    if ($pf.tcp) { try { $pf.tcp.Close() } catch { $null = $_ } }
    if ($pf.udp) { try { $pf.udp.Close() } catch { $null = $_ } }
    $pf.tcp = $null; $pf.udp = $null; $pf.stream = $null; $pf.buf.Clear()
}

# Every address of the host, in the resolver's order (IPv6 and IPv4): .NET Framework's TcpClient() and
# UdpClient() without an address family are IPv4-only, so each socket is made for its address's family.
function Resolve-Peer([string]$name) {
    $literal = $null
    if ([System.Net.IPAddress]::TryParse($name.Trim('[', ']'), [ref]$literal)) { return ,@($literal) }
    try { $found = [System.Net.Dns]::GetHostAddresses($name) } catch { throw (Convert-SocketError $_.Exception 'resolve') }
    if (@($found).Count -eq 0) { throw (New-Err 'ConnectFailed' "cannot resolve the host: $name has no address" 'dns') }
    return ,@($found)
}

function Connect-Tcp([string]$name, [int]$port) {
    $last = $null
    foreach ($address in (Resolve-Peer $name)) {
        $client = New-Object System.Net.Sockets.TcpClient($address.AddressFamily)
        try {
            $iar = $client.BeginConnect($address, $port, $null, $null)
            if (-not $iar.AsyncWaitHandle.WaitOne($timeout)) {
                $text = "no answer from ${name}:$port within $($timeout / 1000) s (filtered, or the host is down)"
                throw (New-Err 'ConnectFailed' $text 'timeout')
            }
            $client.EndConnect($iar)
            return $client
        } catch {
            $client.Close()
            if ($_.Exception.Data['pf_error']) { $last = $_.Exception } else { $last = Convert-SocketError $_.Exception 'connect' }
        }
    }
    throw $last
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
            if ($pf.udp) { return (New-Err 'ConnectFailed' 'ICMP port unreachable: nothing listens on that UDP port' 'refused') }
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

$caCerts = Read-CaBundle ([string]$Payload.ca_pem)

foreach ($a in $Payload.actions) {
    try {
        $value = $null
        switch ($a.action) {
            'connect' {
                Close-All
                $sw = [Diagnostics.Stopwatch]::StartNew()
                if ($a.transport -eq 'tcp') {
                    $pf.tcp = Connect-Tcp ([string]$a.host) ([int]$a.port)
                    $pf.stream = $pf.tcp.GetStream()
                    $pf.stream.ReadTimeout = $timeout
                    $pf.stream.WriteTimeout = $timeout
                    $peer = $pf.tcp.Client.RemoteEndPoint
                } else {
                    $address = (Resolve-Peer ([string]$a.host))[0]
                    $pf.udp = New-Object System.Net.Sockets.UdpClient($address.AddressFamily)
                    $pf.udp.Client.ReceiveTimeout = $timeout
                    try { $pf.udp.Connect($address, [int]$a.port) }
                    catch { throw (Convert-SocketError $_.Exception 'connect') }
                    $peer = $pf.udp.Client.RemoteEndPoint
                }
                $value = @{ rtt_ms = [math]::Round($sw.Elapsed.TotalMilliseconds, 2); peer = "$($peer.Address):$($peer.Port)" }
            }
            'send' {
                $bytes = New-Object byte[] ($a.data.Length / 2)
                for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($a.data.Substring(2 * $i, 2), 16) }
                try {
                    if ($pf.udp) { [void]$pf.udp.Send($bytes, $bytes.Length) }
                    else { $pf.stream.Write($bytes, 0, $bytes.Length); $pf.stream.Flush() }
                } catch { throw (Convert-SocketError $_.Exception 'send') }
            }
            'recv' {
                if ($pf.udp) {
                    $ep = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::IPv6Any, 0)
                    try { $data = $pf.udp.Receive([ref]$ep) } catch { throw (Convert-SocketError $_.Exception 'receive') }
                    $value = [Convert]::ToBase64String($data)
                } else {
                    $chunk = New-Object byte[] 65536
                    $deadline = [DateTime]::UtcNow.AddMilliseconds($timeout)
                    while ($true) {
                        $n = Get-FrameLength $pf.buf.ToArray() $a.framing $a.size
                        if ($n -ge 0) {
                            $msg = $pf.buf.GetRange(0, $n).ToArray()
                            $pf.buf.RemoveRange(0, $n)
                            $value = [Convert]::ToBase64String($msg)
                            break
                        }
                        if ([DateTime]::UtcNow -gt $deadline) {
                            throw (New-Err 'ReceiveTimeout' "no complete reply within $($timeout / 1000) s")
                        }
                        try { $got = $pf.stream.Read($chunk, 0, $chunk.Length) } catch { throw (Convert-SocketError $_.Exception 'receive') }
                        if ($got -le 0) {
                            $e = New-Err 'PeerClosed' 'the peer closed the connection'
                            $e.Data['pf_partial'] = [Convert]::ToBase64String($pf.buf.ToArray())
                            throw $e
                        }
                        for ($i = 0; $i -lt $got; $i++) { $pf.buf.Add($chunk[$i]) }
                    }
                }
            }
            'starttls' {
                if ($pf.buf.Count -gt 0) { throw (New-Err 'FramingError' "$($pf.buf.Count) unread bytes before the TLS handshake") }
                $tls = Invoke-TlsClient $pf.stream ([string]$a.server_name) $caCerts $timeout
                if (-not $tls.ok) { throw (New-Err 'TlsFailed' $tls.error) }
                $pf.stream = $tls.ssl
                $value = $tls.value
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
@{ steps = @($steps.ToArray()) }
