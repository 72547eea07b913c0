# printfleet.mve TLS client, included by the steps that need it (relay.ps1, port_probe.ps1) where they say
# "# pfmve-include: _tls" (the shared transport inlines it when it loads the step; it is never sent alone).
# SslStream with the protocol versions the OS allows (SslProtocols None: Microsoft's guidance; Server 2016/2019
# have no TLS 1.3), and a validation callback that accepts the certificate and records what .NET's validation
# found; with a CA bundle from the controller (ca_path, read there), the chain is rebuilt against that bundle.
# The handshake is synchronous: the callback must run on the runspace's own thread.

function Read-CaBundle([string]$pem) {
    $certs = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
    if ($pem) {
        $blocks = [regex]::Matches($pem, '-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----')
        foreach ($m in $blocks) {
            $der = [Convert]::FromBase64String(($m.Groups[1].Value -replace '\s', ''))
            [void]$certs.Add((New-Object System.Security.Cryptography.X509Certificates.X509Certificate2(,$der)))
        }
    }
    return ,$certs
}

# Returns @{ ok; ssl (the SslStream); value = TLS facts in .NET's words; error }.
function Invoke-TlsClient($stream, [string]$serverName, $caCerts, [int]$timeoutMs) {
    $check = @{ policy = 'None'; chainOk = $true; chainError = $null }
    # GetNewClosure: the callback keeps $check and $caCerts whatever scope .NET invokes it from.
    $callback = [System.Net.Security.RemoteCertificateValidationCallback] ({
        param($sender, $cert, $chain, $errors)
        $check.policy = $errors.ToString()
        if ($caCerts.Count -gt 0 -and $cert) {
            $c2 = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($cert)
            $own = New-Object System.Security.Cryptography.X509Certificates.X509Chain
            $own.ChainPolicy.RevocationMode = 'NoCheck'
            $own.ChainPolicy.VerificationFlags = 'AllowUnknownCertificateAuthority'
            [void]$own.ChainPolicy.ExtraStore.AddRange($caCerts)
            [void]$own.Build($c2)
            $root = $own.ChainElements[$own.ChainElements.Count - 1].Certificate
            $trusted = @($caCerts | Where-Object { $_.Thumbprint -eq $root.Thumbprint }).Count -gt 0
            $bad = @($own.ChainStatus | Where-Object { $_.Status -ne 'UntrustedRoot' -and $_.Status -ne 'NoError' })
            $check.chainOk = $trusted -and $bad.Count -eq 0
            if (-not $check.chainOk) {
                $check.chainError = (@($own.ChainStatus | ForEach-Object { $_.StatusInformation.Trim() }) -join '; ')
                if (-not $trusted) { $check.chainError = "the chain does not end at a CA of ca_path. $($check.chainError)" }
            }
        } elseif ($chain -and ($errors -band [System.Net.Security.SslPolicyErrors]::RemoteCertificateChainErrors)) {
            $check.chainOk = $false
            $check.chainError = (@($chain.ChainStatus | ForEach-Object { $_.StatusInformation.Trim() }) -join '; ')
        }
        return $true
    }.GetNewClosure())
    $ssl = New-Object System.Net.Security.SslStream($stream, $false, $callback)
    $ssl.ReadTimeout = $timeoutMs
    $ssl.WriteTimeout = $timeoutMs
    try {
        $ssl.AuthenticateAsClient($serverName, $null, [System.Security.Authentication.SslProtocols]::None, $false)
    } catch {
        $ssl.Dispose()
        return @{ ok = $false; ssl = $null; value = $null; error = "TLS handshake failed: $($_.Exception.GetBaseException().Message)" }
    }
    $errorText = $null
    if (-not $check.chainOk) { $errorText = "certificate verify failed: $($check.chainError)" }
    elseif ($check.policy -match 'RemoteCertificateNameMismatch') {
        $errorText = "certificate verify failed: the certificate does not match the host name $serverName"
    }
    elseif ($check.policy -match 'RemoteCertificateNotAvailable') { $errorText = 'certificate verify failed: no certificate' }
    $cert = $null
    if ($ssl.RemoteCertificate) { $cert = [Convert]::ToBase64String($ssl.RemoteCertificate.Export('Cert')) }
    $value = @{
        version = $ssl.SslProtocol.ToString()
        cipher_algorithm = $ssl.CipherAlgorithm.ToString(); cipher_bits = [int]$ssl.CipherStrength
        cert = $cert; validated = ($null -eq $errorText); validation_error = $errorText
    }
    return @{ ok = $true; ssl = $ssl; value = $value; error = $null }
}
