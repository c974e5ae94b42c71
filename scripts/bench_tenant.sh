#!/usr/bin/env bash
# Times `tenant audit` (release binary) on a large generated export: 500 Conditional Access
# policies, 20 accounts, an exclusion group of 10,000 members (9,980 of them not emergency
# accounts, so the report holds as many findings: the worst case for the printers too).
# Goal: under a second. A benchmark, not a test: the figure depends on the machine.
# Usage: scripts/bench_tenant.sh [RUNS]     (default 5 runs each; prints medians)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
runs=${1:-5}
exec python3 - "$runs" "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time
runs, target = int(sys.argv[1]), sys.argv[2]
bg = os.path.abspath(os.path.join(target, "release/breakglass"))
work = tempfile.mkdtemp()
exp = os.path.join(work, "export")
os.mkdir(exp)
G = "https://graph.microsoft.com/v1.0/$metadata#"
GA = "62e90394-69f5-4237-9190-012177145e10"
GROUP = "99999999-9999-9999-9999-999999999999"
ids = ["%08x-0000-4000-8000-%012x" % (i, i) for i in range(1, 21)]
upns = ["breakglass%d@contoso.onmicrosoft.com" % i for i in range(1, 21)]

def save(name, body):
    with open(os.path.join(exp, name), "w") as f:
        json.dump(body, f)

def policy(n):
    users = {"includeUsers": ["All"] if n % 3 else [], "excludeUsers": [],
             "includeGroups": [], "excludeGroups": [GROUP, "88888888-0000-0000-0000-%012x" % n],
             "includeRoles": [GA] if n % 3 == 0 else [], "excludeRoles": []}
    return {"id": "aaaaaaaa-0000-0000-0000-%012x" % n, "displayName": "Policy %d" % n,
            "state": ["enabled", "enabledForReportingButNotEnforced", "disabled"][n % 3],
            "conditions": {"users": users, "clientAppTypes": ["all"],
                           "applications": {"includeApplications": ["All"],
                                            "includeAuthenticationContextClassReferences": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}

save("conditional-access-policies.json",
     {"@odata.context": G + "identity/conditionalAccess/policies", "value": [policy(n) for n in range(500)]})
save("users.json", {"@odata.context": G + "users(id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled,passwordPolicies,signInActivity)",
     "value": [{"id": i, "userPrincipalName": u, "displayName": "Emergency %s" % u, "accountEnabled": True,
                "onPremisesSyncEnabled": None, "passwordPolicies": "DisablePasswordExpiration",
                "signInActivity": {"lastSignInDateTime": "2026-01-10T10:05:00Z"}} for i, u in zip(ids, upns)]})
save("role-assignments.json", {"@odata.context": G + "roleManagement/directory/roleAssignmentScheduleInstances",
     "value": [{"id": "ra-%d" % n, "principalId": i, "roleDefinitionId": GA, "directoryScopeId": "/",
                "endDateTime": None, "assignmentType": "Assigned", "memberType": "Direct"} for n, i in enumerate(ids)]})
save("role-eligibilities.json", {"@odata.context": G + "roleManagement/directory/roleEligibilityScheduleInstances", "value": []})
save("exclusion-group.json", {"@odata.context": G + "groups/$entity", "id": GROUP,
     "displayName": "Emergency access exclusion", "isAssignableToRole": True, "securityEnabled": True})
others = [{"@odata.type": "#microsoft.graph.user", "id": "33333333-0000-4000-8000-%012x" % n,
           "displayName": "User %d" % n, "userPrincipalName": "user%d@contoso.com" % n,
           "businessPhones": [], "mail": "user%d@contoso.com" % n} for n in range(10000 - len(ids))]
mine = [{"@odata.type": "#microsoft.graph.user", "id": i, "userPrincipalName": u} for i, u in zip(ids, upns)]
save("exclusion-group-members.json", {"@odata.context": G + "directoryObjects", "value": mine + others})
for i in ids:
    save("methods-%s.json" % i, {"@odata.context": G + "users('%s')/authentication/methods" % i, "value": [
        {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"},
        {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "k-" + i, "displayName": "YubiKey", "model": "YubiKey 5"}]})
    save("member-of-%s.json" % i, {"@odata.context": G + "directoryObjects", "value": [
        {"@odata.type": "#microsoft.graph.group", "id": GROUP, "displayName": "Emergency access exclusion"}]})
size = sum(os.path.getsize(os.path.join(exp, f)) for f in os.listdir(exp))
print(f"export: {len(os.listdir(exp))} files, {size / 1e6:.1f} MB")
accounts = sum((["--object-id", i] for i in ids), [])

def timed(extra):
    times, peak = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        child = subprocess.Popen([bg, "tenant", "audit", exp, "--group", GROUP] + accounts + extra,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - t)
        code = os.waitstatus_to_exitcode(status)
        if code != 8:
            sys.exit(f"unexpected exit {code}: {child.stderr.read().decode()}")
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(times), peak

for label, extra in [("text", []), ("--json", ["--json"])]:
    t, peak = timed(extra)
    print(f"tenant audit ({label}): median {t * 1000:.0f} ms over {runs} runs, peak RSS {peak / 1024:.0f} MiB"
          f" ({'under' if t < 1 else 'OVER'} the 1 s goal)")
PY
