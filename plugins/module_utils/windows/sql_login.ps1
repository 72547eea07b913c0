# printfleet.mve SQL Server login step (module_utils/checks/database.py builds its payload and reads its result;
# the shared transport sends it). The login MVE's own database connection makes, from the MVE server itself:
# SQL authentication through .NET Framework's System.Data.SqlClient, which every Windows Server has (nothing is
# installed). The password travels in the payload only, never in script text, and is never returned.
# TLS: Encrypt when the server's PRELOGIN asked for it (or the task wants it); the certificate is validated
# against the Windows trust store unless validate_certs is false (TrustServerCertificate).
param($Payload)
$ErrorActionPreference = 'Stop'
Add-Type -AssemblyName System.Data
$builder = New-Object System.Data.SqlClient.SqlConnectionStringBuilder
$builder.DataSource = 'tcp:' + [string]$Payload.host + ',' + [string]$Payload.port
$builder.UserID = [string]$Payload.username
$builder.Password = [string]$Payload.password
if ($Payload.database) { $builder.InitialCatalog = [string]$Payload.database }
$builder.ConnectTimeout = [int][math]::Max(1, [math]::Ceiling([double]$Payload.timeout))
$builder.Encrypt = [bool]$Payload.encrypt
$builder.TrustServerCertificate = -not [bool]$Payload.validate_certs
$builder.ApplicationName = 'printfleet.mve database_check'
$builder.Pooling = $false
$out = [ordered]@{
    attempted = $true; ok = $false; error_code = $null; error = $null; server_version = $null
    encrypt = [bool]$Payload.encrypt
}
$connection = New-Object System.Data.SqlClient.SqlConnection($builder.ConnectionString)
try {
    $connection.Open()
    $out.ok = $true
    $out.server_version = [string]$connection.ServerVersion
} catch [System.Data.SqlClient.SqlException] {
    $out.error_code = [int]$_.Exception.Number
    $out.error = [string]$_.Exception.Message
} catch {
    $out.error = [string]$_.Exception.GetBaseException().Message
} finally {
    $connection.Dispose()
}
$out
