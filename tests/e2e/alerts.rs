//! `breakglass monitoring --format kql|sentinel-arm|azure-monitor-arm|json`: every format
//! carries the two queries the KQL output holds (sign-in, then audit), the schedule the KQL
//! comment states, and a UPN stays inside its KQL string literal. The outputs for the frozen
//! plan are frozen as well (`tests/vectors/json/*-2.*`; the files without `-2` are 0.1's).

use crate::common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// An action group's resource id, as `--action-group` takes it.
const ACTION_GROUP: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/SOC-RG/providers/microsoft.insights/actionGroups/SECURITY-ONCALL";

fn monitoring(extra: &[&str], format: &str) -> Run {
    let mut args = vec!["monitoring", "--format", format];
    args.extend_from_slice(extra);
    if format == "azure-monitor-arm" {
        args.extend_from_slice(&["--action-group", ACTION_GROUP]);
    }
    let r = run(&args);
    assert_eq!(r.code, 0, "{format}: {}", r.all());
    r
}

/// The sign-in query of the KQL output: everything before the audit query.
fn kql_query(kql: &str) -> &str {
    kql_queries(kql).0
}

/// The two queries of the KQL output, sign-in then audit, each ending in its projection.
fn kql_queries(kql: &str) -> (&str, &str) {
    let queries = kql
        .split_once("\n// Checklist:")
        .expect("the KQL output ends with the checklist")
        .0;
    let at = queries
        .find("\n// breakglass: alert on ANY change")
        .expect("the audit query follows the sign-in query");
    let audit = &queries[at + 1..];
    let audit = &audit[..audit.find("\n\n").map_or(audit.len(), |e| e + 1)];
    (&queries[..at], audit)
}

/// The three queries the JSON formats carry, parsed from their documents.
fn json_queries(extra: &[&str]) -> [String; 3] {
    let parse = |f: &str| -> Value { serde_json::from_str(&monitoring(extra, f).stdout).unwrap() };
    let s = parse("sentinel-arm");
    let m = parse("azure-monitor-arm");
    let j = parse("json");
    [
        s["resources"][0]["properties"]["query"]
            .as_str()
            .unwrap()
            .into(),
        m["resources"][0]["properties"]["criteria"]["allOf"][0]["query"]
            .as_str()
            .unwrap()
            .into(),
        j["query"].as_str().unwrap().into(),
    ]
}

/// Reads the KQL string literals of `UserPrincipalName in~ (...)` by KQL's own rules
/// (double-quoted, backslash escapes) and returns their values and what follows the list.
fn upn_list(query: &str) -> (Vec<String>, String) {
    let start = query.find("UserPrincipalName in~ (").unwrap() + "UserPrincipalName in~ (".len();
    let mut chars = query[start..].chars();
    let mut values = Vec::new();
    loop {
        match chars.next().unwrap() {
            ' ' | ',' => {}
            ')' => break,
            '"' => {
                let mut v = String::new();
                loop {
                    match chars.next().unwrap() {
                        '\\' => v.push(match chars.next().unwrap() {
                            'n' => '\n',
                            c => c,
                        }),
                        '"' => break,
                        c => v.push(c),
                    }
                }
                values.push(v);
            }
            c => panic!("unexpected {c:?} in the UPN list: {query}"),
        }
    }
    (values, chars.collect())
}

#[test]
fn every_format_carries_the_query_the_kql_output_holds() {
    let plan = vectors().join("plan-v1.toml");
    for extra in [
        vec!["--plan", p(&plan)],
        vec![
            "--upn",
            "bg1@contoso.onmicrosoft.com",
            "--object-id",
            "11111111-2222-3333-4444-555555555555",
        ],
    ] {
        let kql = monitoring(&extra, "kql").stdout;
        let (query, audit) = kql_queries(&kql);
        assert!(query.starts_with("// breakglass") && query.contains("SigninLogs"));
        assert!(query.contains("AADNonInteractiveUserSignInLogs"));
        assert!(audit.contains("\nAuditLogs\n"));
        for q in json_queries(&extra) {
            assert_eq!(q, query);
        }
        // The audit query: second resource of both templates, and `audit_query` in the JSON.
        let parse =
            |f: &str| -> Value { serde_json::from_str(&monitoring(&extra, f).stdout).unwrap() };
        let s = parse("sentinel-arm");
        let m = parse("azure-monitor-arm");
        assert_eq!(s["resources"][1]["properties"]["query"], audit);
        assert_eq!(
            m["resources"][1]["properties"]["criteria"]["allOf"][0]["query"],
            audit
        );
        assert_eq!(parse("json")["audit_query"], audit);
    }
}

#[test]
fn a_upn_with_an_apostrophe_stays_inside_its_string_literal() {
    let upns = ["o'brien@contoso.com", "d'arcy.o'neil@contoso.com"];
    let extra = ["--upn", upns[0], "--upn", upns[1]];
    let kql = monitoring(&extra, "kql").stdout;
    let query = kql_query(&kql);
    let (values, rest) = upn_list(query);
    assert_eq!(values, upns);
    // Nothing after the list but the columns for the entity mapping: no UPN text leaked into
    // the query itself.
    assert!(
        rest.trim_start().starts_with("| extend AccountName"),
        "{rest}"
    );
    for q in json_queries(&extra) {
        assert_eq!(upn_list(&q), (values.clone(), rest.clone()));
    }
    // A UPN that could end the literal is refused before anything is written, in every format.
    for format in ["kql", "sentinel-arm", "azure-monitor-arm", "json"] {
        for bad in [
            "x\"@contoso.com",
            "x\\@contoso.com",
            "a\"), 1==1 or (\"@b.com",
        ] {
            let r = run(&["monitoring", "--format", format, "--upn", bad]);
            assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{format} {bad}");
        }
    }
}

/// "every N minutes over the last M minutes" and "(Sev S)" as the KQL comment states them.
fn stated_schedule(query: &str) -> (String, String, u64) {
    let after = |pat: &str| -> String {
        let i = query.find(pat).unwrap() + pat.len();
        query[i..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect()
    };
    (
        format!("PT{}M", after("run every ")),
        format!("PT{}M", after("over the last ")),
        after("(Sev ").parse().unwrap(),
    )
}

#[test]
fn templates_have_the_stated_schedule_severity_and_a_workspace_parameter() {
    let extra = ["--upn", "bg1@contoso.onmicrosoft.com"];
    let query = kql_query(&monitoring(&extra, "kql").stdout).to_string();
    let (freq, window, sev) = stated_schedule(&query);
    assert_eq!((freq.as_str(), window.as_str(), sev), ("PT5M", "PT30M", 0));

    let s: Value = serde_json::from_str(&monitoring(&extra, "sentinel-arm").stdout).unwrap();
    assert!(s["parameters"]["workspaceName"].is_object());
    let res = &s["resources"][0];
    assert_eq!(res["type"], "Microsoft.SecurityInsights/alertRules");
    assert_eq!(res["kind"], "Scheduled");
    assert!(
        res["scope"]
            .as_str()
            .unwrap()
            .contains("parameters('workspaceName')")
    );
    let p = &res["properties"];
    assert_eq!(
        (p["queryFrequency"].as_str(), p["queryPeriod"].as_str()),
        (Some(&*freq), Some(&*window))
    );
    assert_eq!(
        (
            p["triggerOperator"].as_str(),
            p["triggerThreshold"].as_u64()
        ),
        (Some("GreaterThan"), Some(0))
    );
    assert_eq!(p["severity"], "High");
    assert_eq!(p["incidentConfiguration"]["createIncident"], true);

    let m: Value = serde_json::from_str(&monitoring(&extra, "azure-monitor-arm").stdout).unwrap();
    assert!(m["parameters"]["workspaceName"].is_object());
    let res = &m["resources"][0];
    assert_eq!(res["type"], "Microsoft.Insights/scheduledQueryRules");
    let p = &res["properties"];
    assert!(
        p["scopes"][0]
            .as_str()
            .unwrap()
            .contains("parameters('workspaceName')")
    );
    assert_eq!(
        (p["evaluationFrequency"].as_str(), p["windowSize"].as_str()),
        (Some(&*freq), Some(&*window))
    );
    assert_eq!(p["severity"].as_u64(), Some(sev));
    let c = &p["criteria"]["allOf"][0];
    assert_eq!(
        (c["operator"].as_str(), c["threshold"].as_u64()),
        (Some("GreaterThan"), Some(0))
    );

    // ARM evaluates a string starting with '[' as an expression: only ours may.
    fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    for t in [&s, &m] {
        let mut all = Vec::new();
        strings(t, &mut all);
        for e in all.iter().filter(|s| s.starts_with('[')) {
            assert!(
                e.contains("parameters(") || e.contains("resourceGroup()") || *e == "[newGuid()]",
                "{e}"
            );
        }
    }
}

#[test]
fn outputs_for_the_frozen_plan_are_frozen() {
    let plan = vectors().join("plan-v1.toml");
    for (format, file) in [
        ("kql", "json/monitoring-2.kql"),
        ("json", "json/monitoring-2.json"),
        ("sentinel-arm", "json/sentinel-arm-2.json"),
        ("azure-monitor-arm", "json/azure-monitor-arm-2.json"),
    ] {
        let want = std::fs::read_to_string(vectors().join(file)).unwrap();
        assert_eq!(
            monitoring(&["--plan", p(&plan)], format).stdout,
            want,
            "{file}"
        );
    }
}

#[test]
fn the_azure_monitor_template_is_refused_without_an_action_group() {
    let r = run(&[
        "monitoring",
        "--format",
        "azure-monitor-arm",
        "--upn",
        "bg1@contoso.onmicrosoft.com",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.contains("--action-group"), "{}", r.stderr);
    let bad = run(&[
        "monitoring",
        "--format",
        "azure-monitor-arm",
        "--upn",
        "bg1@contoso.onmicrosoft.com",
        "--action-group",
        "oncall",
    ]);
    assert_eq!((bad.code, bad.stdout.as_str()), (2, ""));
    let m: Value = serde_json::from_str(
        &monitoring(
            &["--upn", "bg1@contoso.onmicrosoft.com"],
            "azure-monitor-arm",
        )
        .stdout,
    )
    .unwrap();
    let p = &m["parameters"]["actionGroupIds"];
    assert_eq!(
        (p["defaultValue"][0].as_str(), p["minLength"].as_u64()),
        (Some(ACTION_GROUP), Some(1))
    );
    for r in m["resources"].as_array().unwrap() {
        assert_eq!(
            r["properties"]["actions"]["actionGroups"],
            "[parameters('actionGroupIds')]"
        );
    }
}

#[test]
fn a_missing_object_id_is_warned_with_where_to_find_it() {
    let extra = ["--upn", "bg1@contoso.onmicrosoft.com"];
    for format in ["kql", "sentinel-arm", "json"] {
        let r = monitoring(&extra, format);
        assert!(
            r.stderr
                .contains("no object id is known for bg1@contoso.onmicrosoft.com"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("Overview > Object ID") && r.stderr.contains("object_id = "));
    }
    assert!(
        monitoring(&extra, "kql")
            .stdout
            .contains("// warning: no object id is known")
    );
    let with_id = monitoring(
        &[
            "--upn",
            "bg1@contoso.onmicrosoft.com",
            "--object-id",
            "11111111-2222-3333-4444-555555555555",
        ],
        "kql",
    );
    assert!(
        !with_id.stderr.contains("no object id"),
        "{}",
        with_id.stderr
    );
}

#[test]
fn the_exclusion_group_is_watched_by_the_audit_query() {
    let g = "99999999-2222-3333-4444-555555555555";
    let kql = monitoring(
        &["--upn", "bg1@contoso.onmicrosoft.com", "--group", g],
        "kql",
    )
    .stdout;
    let (_, audit) = kql_queries(&kql);
    assert!(
        audit.contains(&format!("tostring(Target.id) in (\"{g}\")")),
        "{audit}"
    );
    let r = run(&[
        "monitoring",
        "--upn",
        "bg1@contoso.onmicrosoft.com",
        "--group",
        "nope",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
}
