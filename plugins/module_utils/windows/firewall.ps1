# printfleet.mve firewall step (module_utils/firewall/windows.py builds its payload and reads its result; the
# shared transport sends it). One script, two operations, chosen by the payload:
#   read:  one enumeration of the local policy store through HNetCfg.FwPolicy2; only rules whose Grouping is
#          the payload's group come back, with every INetFwRule property the module owns or must see drift in;
#          plus the profiles, the policy's LocalPolicyModifyState, the TCP dynamic port range, and the enabled
#          inbound allow rules of other groups that open one of the payload's management ports (reported, never
#          changed).
#   apply: the planner's steps in order, touching only rules whose Grouping is ours. On a failure at step k,
#          steps k..1 are undone in reverse order from the before-state snapshots, so nothing is half-applied.
# Its Python reference (lab/windows/fwpolicy_sim.py) follows the same contract and is what the tests run.
param($Payload)
$ErrorActionPreference = 'Stop'
$group = [string]$Payload.group
$policy = New-Object -ComObject HNetCfg.FwPolicy2

function Get-RuleState($r) {
    $interfaces = $null
    if ($r.Interfaces) { $interfaces = (@($r.Interfaces) | ForEach-Object { [string]$_ }) -join ',' }
    [ordered]@{
        Name = $r.Name; Description = $r.Description; Grouping = $r.Grouping; Protocol = [int]$r.Protocol
        LocalPorts = $r.LocalPorts; RemotePorts = $r.RemotePorts; RemoteAddresses = $r.RemoteAddresses
        Direction = [int]$r.Direction; Action = [int]$r.Action; Profiles = [int]$r.Profiles; Enabled = [bool]$r.Enabled
        ApplicationName = $r.ApplicationName; ServiceName = $r.ServiceName; LocalAddresses = $r.LocalAddresses
        InterfaceTypes = $r.InterfaceTypes; Interfaces = $interfaces; EdgeTraversal = [bool]$r.EdgeTraversal
        IcmpTypesAndCodes = $r.IcmpTypesAndCodes
    }
}

# Whether a rule's LocalPorts ('*', '5985', '5985-5986', '22,5985', keywords) opens one of the wanted ports.
function Test-OpensPort([string]$ports, [int[]]$wanted) {
    if (-not $ports -or $ports -eq '*') { return $true }
    foreach ($token in $ports.Split(',')) {
        $t = $token.Trim()
        if ($t -match '^(\d+)-(\d+)$') {
            $lo = [int]$Matches[1]
            $hi = [int]$Matches[2]
            foreach ($p in $wanted) { if ($p -ge $lo -and $p -le $hi) { return $true } }
        } elseif ($t -match '^\d+$') {
            if ($wanted -contains [int]$t) { return $true }
        }
    }
    return $false
}

function Read-Store {
    $rules = New-Object System.Collections.ArrayList
    $management = New-Object System.Collections.ArrayList
    $wantedPorts = @($Payload.management_ports | ForEach-Object { [int]$_ })
    $count = 0
    foreach ($r in $policy.Rules) {
        $count++
        if ($r.Grouping -ceq $group) { [void]$rules.Add((Get-RuleState $r)) }
        elseif ($wantedPorts.Count -gt 0 -and $r.Enabled -and [int]$r.Direction -eq 1 -and [int]$r.Action -eq 1 -and
                ([int]$r.Protocol -eq 6 -or [int]$r.Protocol -eq 256) -and (Test-OpensPort ([string]$r.LocalPorts) $wantedPorts)) {
            [void]$management.Add([ordered]@{
                Name = $r.Name; Grouping = $r.Grouping; LocalPorts = $r.LocalPorts; RemoteAddresses = $r.RemoteAddresses
                Profiles = [int]$r.Profiles
            })
        }
    }
    $current = [int]$policy.CurrentProfileTypes
    $profiles = New-Object System.Collections.ArrayList
    foreach ($p in @(@{ name = 'domain'; bit = 1 }, @{ name = 'private'; bit = 2 }, @{ name = 'public'; bit = 4 })) {
        [void]$profiles.Add([ordered]@{
            name = $p.name; current = (($current -band $p.bit) -ne 0)
            enabled = [bool]$policy.FirewallEnabled($p.bit)
            default_inbound_action = [int]$policy.DefaultInboundAction($p.bit)
            default_outbound_action = [int]$policy.DefaultOutboundAction($p.bit)
        })
    }
    # 0: local rules take effect; 1: a Group Policy overrides the local policy; 2: inbound rules are ignored.
    $modify = $null
    try { $modify = [int]$policy.LocalPolicyModifyState } catch { $modify = $null }
    # The TCP dynamic port range (active-mode FTP data arrives there); optional, the planner has a default.
    $dynamic = $null
    try {
        $setting = @(Get-NetTCPSetting -ErrorAction Stop | Where-Object { $_.DynamicPortRangeStartPort -gt 0 })
        if ($setting.Count -gt 0) {
            $dynamic = @{ start = [int]$setting[0].DynamicPortRangeStartPort; count = [int]$setting[0].DynamicPortRangeNumberOfPorts }
        }
    } catch { $dynamic = $null }
    [ordered]@{
        op = 'read'; group = $group; rules = @($rules.ToArray()); profiles = @($profiles.ToArray())
        dynamic_ports = $dynamic; rule_count = $count; local_policy_modify_state = $modify
        management = @($management.ToArray())
    }
}

function New-TempName([string]$name) { return "$name [pfmve $([guid]::NewGuid().ToString('N'))]" }

# Rules.Remove() goes by name and names are not unique across groups: rename the live rule object (ours) to
# a fresh unique name first, so that Remove() can only hit that one rule.
function Remove-Ours($r) {
    $name = $r.Name
    $tmp = New-TempName $name
    $r.Name = $tmp
    try { $policy.Rules.Remove($tmp) } catch { $r.Name = $name; throw }
}

function Set-RuleState($r, $s) {
    # Protocol must be set before the ports (INetFwRule documentation); ICMP types only on ICMP rules.
    $r.Description = [string]$s.Description
    $r.Grouping = $group
    $r.Protocol = [int]$s.Protocol
    if ($null -ne $s.LocalPorts) { $r.LocalPorts = [string]$s.LocalPorts }
    if ($null -ne $s.RemotePorts) { $r.RemotePorts = [string]$s.RemotePorts }
    $r.RemoteAddresses = [string]$s.RemoteAddresses
    $r.LocalAddresses = [string]$s.LocalAddresses
    $r.ApplicationName = $s.ApplicationName
    $r.ServiceName = $s.ServiceName
    $r.InterfaceTypes = [string]$s.InterfaceTypes
    if ($s.Interfaces) { $r.Interfaces = [object[]]@(([string]$s.Interfaces).Split(',')) }
    elseif ($r.Interfaces) { $r.Interfaces = $null }
    $r.EdgeTraversal = [bool]$s.EdgeTraversal
    if (([int]$s.Protocol -eq 1 -or [int]$s.Protocol -eq 58) -and $null -ne $s.IcmpTypesAndCodes) {
        $r.IcmpTypesAndCodes = [string]$s.IcmpTypesAndCodes
    }
    $r.Direction = [int]$s.Direction
    $r.Action = [int]$s.Action
    $r.Profiles = [int]$s.Profiles
    $r.Enabled = [bool]$s.Enabled
}

# Adds a rule under a unique temporary name, takes the live object back by that name, then renames it: the
# returned object is the one rule this run created, whatever other rules share its name.
function Add-Rule($s) {
    $new = New-Object -ComObject HNetCfg.FWRule
    $tmp = New-TempName ([string]$s.Name)
    $new.Name = $tmp
    Set-RuleState $new $s
    $policy.Rules.Add($new)
    $live = $policy.Rules.Item($tmp)
    $live.Name = [string]$s.Name
    return $live
}

function Invoke-Apply {
    # Case-sensitive, like the planner (a PowerShell @{} literal would not be).
    $ours = New-Object System.Collections.Hashtable
    foreach ($r in $policy.Rules) {
        if ($r.Grouping -ceq $group) {
            if (-not $ours.ContainsKey($r.Name)) { $ours[$r.Name] = New-Object System.Collections.ArrayList }
            [void]$ours[$r.Name].Add($r)
        }
    }
    $undo = New-Object System.Collections.ArrayList
    $done = New-Object System.Collections.ArrayList
    $k = 0
    $result = [ordered]@{ op = 'apply'; ok = $true; group = $group }
    try {
        foreach ($s in $Payload.steps) {
            $k++
            $name = [string]$s.name
            switch ([string]$s.op) {
                'add' {
                    $live = Add-Rule $s.rule
                    [void]$undo.Add(@{ op = 'add'; name = $name; rule = $live })
                }
                'update' {
                    # The first of ours by that name (duplicates are removed from the end, see remove).
                    if (-not $ours.ContainsKey($name) -or $ours[$name].Count -eq 0) { throw "rule '$name' of group $group is gone" }
                    $r = $ours[$name][0]
                    [void]$undo.Add(@{ op = 'update'; name = $name; rule = $r; before = (Get-RuleState $r) })
                    Set-RuleState $r $s.rule
                }
                'remove' {
                    if (-not $ours.ContainsKey($name) -or $ours[$name].Count -eq 0) { throw "rule '$name' of group $group is gone" }
                    $r = $ours[$name][$ours[$name].Count - 1]
                    $before = Get-RuleState $r
                    Remove-Ours $r
                    $ours[$name].RemoveAt($ours[$name].Count - 1)
                    [void]$undo.Add(@{ op = 'remove'; name = $name; before = $before })
                }
                default { throw "unknown step $($s.op)" }
            }
            [void]$done.Add([ordered]@{ step = $k; op = [string]$s.op; name = $name })
        }
    } catch {
        $result.ok = $false
        $result.failed_step = $k
        $result.error = $_.Exception.Message
        $rolled = New-Object System.Collections.ArrayList
        $rollbackErrors = New-Object System.Collections.ArrayList
        for ($i = $undo.Count - 1; $i -ge 0; $i--) {
            $u = $undo[$i]
            try {
                switch ($u.op) {
                    'add' { Remove-Ours $u.rule }
                    'update' { Set-RuleState $u.rule $u.before }
                    'remove' { [void](Add-Rule $u.before) }
                }
                [void]$rolled.Add([ordered]@{ op = $u.op; name = $u.name })
            } catch {
                [void]$rollbackErrors.Add([ordered]@{ op = $u.op; name = $u.name; error = $_.Exception.Message })
            }
        }
        $result.rolled_back = @($rolled.ToArray())
        $result.rollback_errors = @($rollbackErrors.ToArray())
    }
    $result.done = @($done.ToArray())
    $result
}

switch ([string]$Payload.op) {
    'read' { Read-Store }
    'apply' { Invoke-Apply }
    default { throw "unknown firewall operation $($Payload.op)" }
}
