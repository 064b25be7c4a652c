#!/usr/bin/env pwsh
# Thin wrapper over the dotnet commands, for those who have PowerShell (the README gives each command, none needs it).
# Usage: ./build.ps1 [build|test|run|publish] [extra dotnet args]
param(
    [ValidateSet('build', 'test', 'run', 'publish')]
    [string]$Task = 'build',
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$Rest = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
switch ($Task) {
    'build'   { dotnet build Gateway.sln @Rest }
    'test'    { dotnet test @Rest }
    'run'     { dotnet run --project Gateway.Host -- @Rest }
    'publish' { dotnet publish Gateway.Host -c Release -o artifacts/gateway @Rest }
}
exit $LASTEXITCODE
