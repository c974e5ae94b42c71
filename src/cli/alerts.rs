//! Deployable sign-in alerts for the emergency accounts: a Microsoft Sentinel scheduled
//! analytics rule and an Azure Monitor log search alert rule, each as an ARM template.
//!
//! Pure functions from the query (built once by `entra::sentinel_query`) to JSON values: the
//! query is carried as one JSON string, so the template holds exactly the KQL that
//! `monitoring --format kql` prints, and a UPN can only end up inside KQL string literals that
//! `entra::kql_string` already escaped. Schedule and severity come from the `entra::ALERT_*`
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

/// A Sentinel scheduled analytics rule on the workspace named by the `workspaceName`
/// parameter, creating an incident for every result of `query`.
///
/// # Security
/// `query` must start with something other than `[`: ARM evaluates a string that starts with
/// `[` as a template expression. `entra::sentinel_query` starts with a `//` comment.
pub fn sentinel_arm(query: &str) -> Value {
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
                "metadata": { "description": "The rule's id; give the same one to update it in place." }
            }
        },
        "resources": [{
            "type": "Microsoft.SecurityInsights/alertRules",
            "apiVersion": SENTINEL_API_VERSION,
            "scope": "[format('Microsoft.OperationalInsights/workspaces/{0}', parameters('workspaceName'))]",
            "name": "[parameters('ruleId')]",
            "kind": "Scheduled",
            "properties": {
                "displayName": DISPLAY_NAME,
                "description": DESCRIPTION,
                "severity": sentinel_severity(),
                "enabled": true,
                "query": query,
                "queryFrequency": iso_minutes(ALERT_FREQUENCY_MINUTES),
                "queryPeriod": iso_minutes(ALERT_WINDOW_MINUTES),
                "triggerOperator": "GreaterThan",
                "triggerThreshold": 0,
                "suppressionEnabled": false,
                "suppressionDuration": "PT1H",
                "tactics": ["InitialAccess", "PrivilegeEscalation"],
                "eventGroupingSettings": { "aggregationKind": "AlertPerResult" },
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
        }]
    })
}

/// An Azure Monitor log search alert rule on the workspace named by `workspaceName`, firing
/// when `query` returns any row and notifying the action groups given as `actionGroupIds`.
///
/// # Security
/// As for [`sentinel_arm`]: `query` must not start with `[`.
pub fn azure_monitor_arm(query: &str) -> Value {
    json!({
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": { "generator": "breakglass monitoring --format azure-monitor-arm" },
        "parameters": {
            "workspaceName": {
                "type": "string",
                "metadata": { "description": "The Log Analytics workspace that receives the Entra ID SigninLogs." }
            },
            "location": {
                "type": "string",
                "defaultValue": "[resourceGroup().location]",
                "metadata": { "description": "Region of the alert rule (the workspace's region)." }
            },
            "actionGroupIds": {
                "type": "array",
                "defaultValue": [],
                "metadata": { "description": "Resource ids of the action groups that email, text and call the security team." }
            },
            "ruleName": {
                "type": "string",
                "defaultValue": "breakglass-emergency-account-sign-in"
            }
        },
        "resources": [{
            "type": "Microsoft.Insights/scheduledQueryRules",
            "apiVersion": AZURE_MONITOR_API_VERSION,
            "name": "[parameters('ruleName')]",
            "location": "[parameters('location')]",
            "kind": "LogAlert",
            "properties": {
                "displayName": DISPLAY_NAME,
                "description": DESCRIPTION,
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
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::entra::sentinel_query;

    #[test]
    fn both_templates_hold_the_query_and_the_checklist_schedule() {
        let q = sentinel_query(&["o'k@contoso.com".into()], &[]);
        assert!(
            !q.starts_with('['),
            "ARM would evaluate it as an expression"
        );
        let s = sentinel_arm(&q);
        let p = &s["resources"][0]["properties"];
        assert_eq!(p["query"], q.as_str());
        assert_eq!(p["queryFrequency"], "PT5M");
        assert_eq!(p["queryPeriod"], "PT5M");
        assert_eq!(p["severity"], "High");
        let m = azure_monitor_arm(&q);
        let p = &m["resources"][0]["properties"];
        assert_eq!(p["criteria"]["allOf"][0]["query"], q.as_str());
        assert_eq!(p["evaluationFrequency"], "PT5M");
        assert_eq!(p["windowSize"], "PT5M");
        assert_eq!(p["severity"], 0);
        // The schedule the KQL comment states is the one the templates carry.
        assert!(q.contains("run every 5 minutes over the last 5 minutes"));
        assert!(q.contains("(Sev 0)"));
    }
}
