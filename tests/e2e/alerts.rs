//! `breakglass monitoring --format kql|sentinel-arm|azure-monitor-arm|json`: every format
//! carries the one query the KQL output holds, the schedule the KQL comment states, and a UPN
//! stays inside its KQL string literal. The outputs for the frozen plan are frozen as well
//! (`tests/vectors/json/`, `monitoring.kql`).

use crate::common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn monitoring(extra: &[&str], format: &str) -> Run {
    let mut args = vec!["monitoring", "--format", format];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{format}: {}", r.all());
    r
}

/// The query part of the KQL output: everything before the checklist.
fn kql_query(kql: &str) -> &str {
    kql.split_once("\n// Checklist:")
        .expect("the KQL output ends with the checklist")
        .0
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
        let query = kql_query(&kql);
        assert!(query.starts_with("// breakglass") && query.contains("SigninLogs"));
        for q in json_queries(&extra) {
            assert_eq!(q, query);
        }
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
    // Nothing after the list but the projection: no UPN text leaked into the query itself.
    assert!(rest.trim_start().starts_with("| project"), "{rest}");
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
    assert_eq!((freq.as_str(), window.as_str(), sev), ("PT5M", "PT5M", 0));

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
        ("kql", "json/monitoring.kql"),
        ("json", "json/monitoring.json"),
        ("sentinel-arm", "json/sentinel-arm.json"),
        ("azure-monitor-arm", "json/azure-monitor-arm.json"),
    ] {
        let want = std::fs::read_to_string(vectors().join(file)).unwrap();
        assert_eq!(
            monitoring(&["--plan", p(&plan)], format).stdout,
            want,
            "{file}"
        );
    }
}
