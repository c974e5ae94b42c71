//! Deployable alerts for the emergency accounts, on any sign-in (interactive or not) and on
//! any directory change to them or their exclusion group: Microsoft Sentinel scheduled
//! analytics rules and Azure Monitor log search alert rules, each pair as one ARM template.
//!
//! Pure functions from the queries (built once by `entra::sentinel_query` and
//! `entra::audit_query`) to JSON values: each query is carried as one JSON string, so the
//! templates hold exactly the KQL that `monitoring --format kql` prints, and a UPN can only
//! end up inside KQL string literals that `entra::kql_string` already escaped. Schedule and severity come from the `entra::ALERT_*`
//! constants the KQL comment and the ceremony checklist state. Nothing here reads or writes.
//!
//! Schemas (looked up November 2026):
//! - `Microsoft.SecurityInsights/alertRules`, kind `Scheduled`, API 2022-11-01 (GA), an extension
//!   resource scoped to the Log Analytics workspace:
//!   <https://learn.microsoft.com/en-us/azure/templates/microsoft.securityinsights/2022-11-01/alertrules>
//! - `Microsoft.Insights/scheduledQueryRules`, kind `LogAlert`, API 2023-12-01 (GA; same
//!   criteria shape as 2021-08-01 and 2023-03-15-preview):
//!   <https://learn.microsoft.com/en-us/azure/templates/microsoft.insights/2023-12-01/scheduledqueryrules>

use breakglass_core::entra::{ALERT_FREQUENCY_MINUTES, ALERT_SEVERITY, ALERT_WINDOW_MINUTES};
use serde_json::{Value, json};

/// API version of `Microsoft.SecurityInsights/alertRules` the Sentinel template uses.
pub const SENTINEL_API_VERSION: &str = "2022-11-01";
/// API version of `Microsoft.Insights/scheduledQueryRules` the Azure Monitor template uses.
pub const AZURE_MONITOR_API_VERSION: &str = "2023-12-01";

const TEMPLATE_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const DISPLAY_NAME: &str = "breakglass: sign-in of an emergency access account";
const DESCRIPTION: &str = "Any sign-in of an emergency (break-glass) account is an incident: \
confirm it was a planned drill or a real emergency, otherwise treat it as a compromise and rotate \
(breakglass rotate).";

/// ISO 8601 duration of a number of minutes (`PT5M`), as both resource types take it.
pub fn iso_minutes(minutes: u16) -> String {
    format!("PT{minutes}M")
}

/// Sentinel's severity for [`ALERT_SEVERITY`]: Sentinel has no "Critical"; High is its top.
pub fn sentinel_severity() -> &'static str {
    match ALERT_SEVERITY {
        0 | 1 => "High",
        2 => "Medium",
        3 => "Low",
        _ => "Informational",
    }
}

const AUDIT_DISPLAY_NAME: &str =
    "breakglass: change to an emergency access account or its exclusion group";
const AUDIT_DESCRIPTION: &str = "A directory change that targets an emergency (break-glass) \
account or the group that Conditional Access policies exclude (password reset, security info \
registered or deleted, group member added or removed, role assignment removed): confirm it was \
planned, otherwise restore the account and treat it as a compromise.";

/// Sentinel's entity mappings for the sign-in rule: the account by object id (`AadUserId`)
/// and by UPN (`Name` + `UPNSuffix`), and the IP address, so an incident names them.
fn sign_in_entities() -> Value {
    json!([
        {
            "entityType": "Account",
            "fieldMappings": [
                { "identifier": "AadUserId", "columnName": "UserId" },
                { "identifier": "Name", "columnName": "AccountName" },
                { "identifier": "UPNSuffix", "columnName": "AccountUPNSuffix" }
            ]
        },
        {
            "entityType": "IP",
            "fieldMappings": [{ "identifier": "Address", "columnName": "IPAddress" }]
        }
    ])
}

/// Entity mappings for the audit rule: the account changed (object id and UPN), the account
/// that made the change, and its IP address.
fn audit_entities() -> Value {
    json!([
        {
            "entityType": "Account",
            "fieldMappings": [
                { "identifier": "AadUserId", "columnName": "TargetId" },
                { "identifier": "FullName", "columnName": "TargetUPN" }
            ]
        },
        {
            "entityType": "Account",
            "fieldMappings": [{ "identifier": "FullName", "columnName": "ActorUPN" }]
        },
        {
            "entityType": "IP",
            "fieldMappings": [{ "identifier": "Address", "columnName": "ActorIPAddress" }]
        }
    ])
}

/// One Sentinel scheduled rule resource.
fn sentinel_rule(
    name_param: &str,
    display: &str,
    description: &str,
    query: &str,
    entities: Value,
) -> Value {
    json!({
        "type": "Microsoft.SecurityInsights/alertRules",
        "apiVersion": SENTINEL_API_VERSION,
        "scope": "[format('Microsoft.OperationalInsights/workspaces/{0}', parameters('workspaceName'))]",
        "name": format!("[parameters('{name_param}')]"),
        "kind": "Scheduled",
        "properties": {
            "displayName": display,
            "description": description,
            "severity": sentinel_severity(),
            "enabled": true,
            "query": query,
            "queryFrequency": iso_minutes(ALERT_FREQUENCY_MINUTES),
            "queryPeriod": iso_minutes(ALERT_WINDOW_MINUTES),
            "triggerOperator": "GreaterThan",
            "triggerThreshold": 0,
            "suppressionEnabled": false,
            "suppressionDuration": "PT1H",
            "tactics": ["InitialAccess", "PrivilegeEscalation", "Persistence"],
            "eventGroupingSettings": { "aggregationKind": "AlertPerResult" },
            "entityMappings": entities,
            "incidentConfiguration": {
                "createIncident": true,
                "groupingConfiguration": {
                    "enabled": false,
                    "reopenClosedIncident": false,
                    "lookbackDuration": "PT5H",
                    "matchingMethod": "AllEntities"
                }
            }
        }
    })
}

/// Two Sentinel scheduled analytics rules on the workspace named by the `workspaceName`
/// parameter, creating an incident for every result: the sign-in rule (`query`, first) and
/// the audit rule (`audit_query`), each with its entity mappings.
///
/// # Security
/// The queries must start with something other than `[`: ARM evaluates a string that starts
/// with `[` as a template expression. `entra::sentinel_query` and `entra::audit_query` start
/// with a `//` comment.
pub fn sentinel_arm(query: &str, audit_query: &str) -> Value {
    json!({
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": { "generator": "breakglass monitoring --format sentinel-arm" },
        "parameters": {
            "workspaceName": {
                "type": "string",
                "metadata": { "description": "The Log Analytics workspace Microsoft Sentinel runs on." }
            },
            "ruleId": {
                "type": "string",
                "defaultValue": "[newGuid()]",
                "metadata": { "description": "The sign-in rule's id; give the same one to update it in place." }
            },
            "auditRuleId": {
                "type": "string",
                "defaultValue": "[newGuid()]",
                "metadata": { "description": "The audit rule's id; give the same one to update it in place." }
            }
        },
        "resources": [
            sentinel_rule("ruleId", DISPLAY_NAME, DESCRIPTION, query, sign_in_entities()),
            sentinel_rule("auditRuleId", AUDIT_DISPLAY_NAME, AUDIT_DESCRIPTION, audit_query, audit_entities()),
        ]
    })
}

/// Checks an action group's resource id, as `--action-group` takes it.
///
/// # Errors
/// A message naming the value and the shape expected.
pub fn check_action_group(id: &str) -> Result<(), String> {
    let lower = id.to_ascii_lowercase();
    let ok = lower.starts_with("/subscriptions/")
        && lower.contains("/providers/microsoft.insights/actiongroups/")
        && !lower.ends_with('/')
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' && c != '[' && c != ']');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--action-group {id:?} is not an action group's resource id: give /subscriptions/SUB/resourceGroups/RG/providers/microsoft.insights/actionGroups/NAME (Azure portal: Monitor > Alerts > Action groups > the group > JSON view)"
        ))
    }
}

/// One Azure Monitor log search alert rule resource.
fn azure_monitor_rule(name_param: &str, display: &str, description: &str, query: &str) -> Value {
    json!({
        "type": "Microsoft.Insights/scheduledQueryRules",
        "apiVersion": AZURE_MONITOR_API_VERSION,
        "name": format!("[parameters('{name_param}')]"),
        "location": "[parameters('location')]",
        "kind": "LogAlert",
        "properties": {
            "displayName": display,
            "description": description,
            "severity": ALERT_SEVERITY,
            "enabled": true,
            "evaluationFrequency": iso_minutes(ALERT_FREQUENCY_MINUTES),
            "windowSize": iso_minutes(ALERT_WINDOW_MINUTES),
            "scopes": ["[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspaceName'))]"],
            "criteria": {
                "allOf": [{
                    "query": query,
                    "timeAggregation": "Count",
                    "operator": "GreaterThan",
                    "threshold": 0,
                    "failingPeriods": {
                        "numberOfEvaluationPeriods": 1,
                        "minFailingPeriodsToAlert": 1
                    }
                }]
            },
            "autoMitigate": false,
            "actions": { "actionGroups": "[parameters('actionGroupIds')]" }
        }
    })
}

/// Two Azure Monitor log search alert rules on the workspace named by `workspaceName` (the
/// sign-in rule first, then the audit rule), firing when their query returns any row and
/// notifying `action_groups`. The `actionGroupIds` parameter defaults to them and takes at
/// least one (`minLength`): an enabled rule that notifies nobody is not a template we write.
/// The caller refuses an empty list before calling (`check_action_group` for each).
///
/// # Security
/// As for [`sentinel_arm`]: the queries must not start with `[`.
pub fn azure_monitor_arm(query: &str, audit_query: &str, action_groups: &[String]) -> Value {
    json!({
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": { "generator": "breakglass monitoring --format azure-monitor-arm" },
        "parameters": {
            "workspaceName": {
                "type": "string",
                "metadata": { "description": "The Log Analytics workspace that receives the Entra ID SigninLogs, AADNonInteractiveUserSignInLogs and AuditLogs." }
            },
            "location": {
                "type": "string",
                "defaultValue": "[resourceGroup().location]",
                "metadata": { "description": "Region of the alert rules (the workspace's region)." }
            },
            "actionGroupIds": {
                "type": "array",
                "defaultValue": action_groups,
                "minLength": 1,
                "metadata": { "description": "Resource ids of the action groups that email, text and call the security team (at least one)." }
            },
            "ruleName": {
                "type": "string",
                "defaultValue": "breakglass-emergency-account-sign-in"
            },
            "auditRuleName": {
                "type": "string",
                "defaultValue": "breakglass-emergency-account-change"
            }
        },
        "resources": [
            azure_monitor_rule("ruleName", DISPLAY_NAME, DESCRIPTION, query),
            azure_monitor_rule("auditRuleName", AUDIT_DISPLAY_NAME, AUDIT_DESCRIPTION, audit_query),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::entra::{audit_query, sentinel_query};

    const GROUP: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/soc/providers/microsoft.insights/actionGroups/oncall";

    #[test]
    fn both_templates_hold_the_queries_and_the_checklist_schedule() {
        let q = sentinel_query(&["o'k@contoso.com".into()], &[]);
        let a = audit_query(&["o'k@contoso.com".into()], &[], None);
        for x in [&q, &a] {
            assert!(
                !x.starts_with('['),
                "ARM would evaluate it as an expression"
            );
        }
        let s = sentinel_arm(&q, &a);
        let m = azure_monitor_arm(&q, &a, &[GROUP.into()]);
        for (i, want) in [(0, &q), (1, &a)] {
            let p = &s["resources"][i]["properties"];
            assert_eq!(p["query"], want.as_str());
            assert_eq!(p["queryFrequency"], "PT5M");
            assert_eq!(p["queryPeriod"], "PT30M");
            assert_eq!(p["severity"], "High");
            let p = &m["resources"][i]["properties"];
            assert_eq!(p["criteria"]["allOf"][0]["query"], want.as_str());
            assert_eq!(p["evaluationFrequency"], "PT5M");
            assert_eq!(p["windowSize"], "PT30M");
            assert_eq!(p["severity"], 0);
        }
        // The schedule the KQL comment states is the one the templates carry.
        assert!(q.contains("run every 5 minutes over the last 30 minutes"));
        assert!(q.contains("(Sev 0)"));
    }

    #[test]
    fn the_sentinel_rules_map_accounts_and_ips_to_columns_the_queries_project() {
        let q = sentinel_query(
            &["a@b.c".into()],
            &["11111111-2222-3333-4444-555555555555".into()],
        );
        let a = audit_query(&["a@b.c".into()], &[], None);
        let s = sentinel_arm(&q, &a);
        for (i, query) in [(0, &q), (1, &a)] {
            let maps = s["resources"][i]["properties"]["entityMappings"]
                .as_array()
                .unwrap();
            let types: Vec<&str> = maps
                .iter()
                .map(|m| m["entityType"].as_str().unwrap())
                .collect();
            assert!(
                types.contains(&"Account") && types.contains(&"IP"),
                "{types:?}"
            );
            let project = query.split("| project").nth(1).unwrap();
            for m in maps {
                for f in m["fieldMappings"].as_array().unwrap() {
                    let col = f["columnName"].as_str().unwrap();
                    assert!(project.contains(col), "{col} is not projected");
                }
            }
        }
        let sign_in = &s["resources"][0]["properties"]["entityMappings"][0]["fieldMappings"];
        let ids: Vec<&str> = sign_in
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["identifier"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["AadUserId", "Name", "UPNSuffix"]);
    }

    #[test]
    fn the_azure_monitor_template_needs_an_action_group() {
        let m = azure_monitor_arm("// q", "// a", &[GROUP.into()]);
        let p = &m["parameters"]["actionGroupIds"];
        assert_eq!(p["minLength"], 1);
        assert_eq!(p["defaultValue"][0], GROUP);
        assert!(check_action_group(GROUP).is_ok());
        for bad in [
            "",
            "oncall",
            "/subscriptions/x/resourceGroups/y/providers/microsoft.insights/actionGroups/",
            "[parameters('x')]",
            "/subscriptions/x/providers/microsoft.insights/actionGroups/a\"b",
        ] {
            assert!(check_action_group(bad).is_err(), "{bad}");
        }
    }
}
