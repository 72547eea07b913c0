# printfleet.mve Windows transport: the bootstrap of every step (plugins/plugin_utils/windows_transport.py).
# Sent as the command (through the shell plugin's _encode_script, which prepends Set-StrictMode -Version Latest
# and strips every line, so this file has no here-strings). The step itself arrives as input: two base64 lines,
# the UTF-8 script and the UTF-8 JSON payload. Over WinRM that input is the process's stdin, over PSRP it is
# pipeline input; $input enumerates both. Nothing the user wrote is ever part of a script's text: it only
# travels in the payload, as data.
# The step's script is a scriptblock with param($Payload) that returns one object; the bootstrap prints it as
# one ASCII line, PFMVE-RESULT: and the base64 of its UTF-8 JSON, so no console code page can garble it.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$pfUtf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false
try { [Console]::OutputEncoding = $pfUtf8 } catch { $null = $_ }  # PSRP has no console: nothing to set
$pfLines = @(foreach ($pfLine in $input) { $pfText = ([string]$pfLine).Trim(); if ($pfText) { $pfText } })
try {
    if ($pfLines.Count -ne 2) { throw "the step expects 2 input lines (script, payload), got $($pfLines.Count)" }
    $pfScript = $pfUtf8.GetString([Convert]::FromBase64String($pfLines[0]))
    $pfPayload = ConvertFrom-Json -InputObject $pfUtf8.GetString([Convert]::FromBase64String($pfLines[1]))
    $pfBlock = [ScriptBlock]::Create($pfScript)
    $pfValue = & $pfBlock -Payload $pfPayload
    $pfOut = @{ ok = $true; value = $pfValue }
} catch {
    $pfOut = @{
        ok = $false
        error = $_.Exception.Message
        type = $_.Exception.GetType().FullName
        line = $_.InvocationInfo.ScriptLineNumber
    }
}
$pfOut.ps_version = $PSVersionTable.PSVersion.ToString()
$pfJson = ConvertTo-Json -InputObject $pfOut -Depth 12 -Compress
'PFMVE-RESULT:' + [Convert]::ToBase64String($pfUtf8.GetBytes($pfJson))
