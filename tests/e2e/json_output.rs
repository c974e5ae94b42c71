//! `--json`, `-q` and `-v` on the commands that report (FORMAT.md §12): each document parses,
//! carries its schema name and version, has exactly the keys of its frozen example in
//! `tests/vectors/json/`, says what the text report says, and the exit code is the same as
//! without `--json`.

use crate::common;
use common::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn fixture(name: &str) -> Value {
    let path = vectors().join("json").join(name);
    serde_json::from_str(&fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts `actual` has exactly the keys (recursively; arrays by their first element) of the
/// frozen example: a key renamed, dropped or added breaks the schema and this test. A null on
/// either side matches anything (nullable fields).
fn same_shape(actual: &Value, example: &Value, at: &str) {
    match (actual, example) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(a), Value::Object(e)) => {
            let ka: Vec<&String> = a.keys().collect();
            let ke: Vec<&String> = e.keys().collect();
            assert_eq!(ka, ke, "keys at {at}");
            for (k, v) in a {
                same_shape(v, &e[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            if let (Some(x), Some(y)) = (a.first(), e.first()) {
                same_shape(x, y, &format!("{at}[0]"));
            }
        }
        (a, e) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(e),
            "type at {at}: {a} vs {e}"
        ),
    }
}

/// Parses the document and checks its schema name, version and shape against the example.
fn document(r: &Run, format: &str, example: &str) -> Value {
    let j: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.all()));
    assert_eq!(j["format"], format);
    assert_eq!(j["version"], 1);
    let ex = fixture(example);
    assert_eq!(ex["format"], format, "the example names its schema");
    same_shape(&j, &ex, "$");
    j
}

#[test]
fn inspect_json_matches_the_text_report_and_keeps_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let r = run(&["inspect", "--json", p(&sheets[1])]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = document(&r, "breakglass-inspect", "inspect.json");
    let s = &j["sheets"][0];
    assert_eq!(s["kind"], "share");
    assert_eq!(s["share"]["index"], 2);
    assert_eq!(s["share"]["count"], 3);
    assert_eq!(s["share"]["threshold"], 2);
    assert_eq!(s["vault"]["location"], "Safe B (DR site)");
    assert_eq!(s["vault"]["custodian"], "Jane Doe");
    assert_eq!(s["vault"]["tenant"], "contoso.onmicrosoft.com");
    assert_eq!(s["integrity"], "match");
    let text = run(&["inspect", p(&sheets[1])]);
    let id = s["vault_id"].as_str().unwrap();
    assert!(text.stdout.contains(id), "{}", text.stdout);

    // An unreadable file: the same exit code as the text report, and still one document.
    let missing = dir.path().join("nope.txt");
    let r = run(&["inspect", "--json", p(&sheets[0]), p(&missing)]);
    let t = run(&["inspect", p(&sheets[0]), p(&missing)]);
    assert_eq!((r.code, t.code), (3, 3), "{}", r.all());
    let j = document(&r, "breakglass-inspect", "inspect.json");
    assert_eq!(j["problems"].as_array().unwrap().len(), 1);
    assert!(j["problems"][0].as_str().unwrap().contains("nope.txt"));

    // -q: nothing on standard output; -v: what was read from where, on standard error.
    let q = run(&["inspect", "-q", p(&sheets[1])]);
    assert_eq!((q.code, q.stdout.as_str()), (0, ""), "{}", q.all());
    let v = run(&["inspect", "-v", p(&sheets[1])]);
    assert!(
        v.stderr.contains(&format!(
            "read: {}: share 2 of 3, 1 vault copy",
            p(&sheets[1])
        )),
        "{}",
        v.stderr
    );
    assert!(v.stdout.contains("share 2 of 3; any 2 recover"));
    // -q with --json makes no sense: refused as a usage error.
    assert_eq!(run(&["inspect", "-q", "--json", p(&sheets[1])]).code, 2);
}

#[test]
fn status_json_from_a_sheet_and_from_an_overdue_log() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let r = run(&["status", "--json", p(&sheets[0])]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = document(&r, "breakglass-status", "status.json");
    assert_eq!(j["overdue"], false);
    let v = &j["vaults"][0];
    assert_eq!(v["overdue"], false);
    assert_eq!(v["drill_interval_days"], 90);
    assert_eq!(v["last_what"], "created");
    let left = v["days_left"].as_i64().unwrap();
    assert!((89..=90).contains(&left), "{left}");

    // The frozen drill log: overdue since 2026-04-10, exit 7 with or without --json.
    let log = vectors().join("drill-log-v1.jsonl");
    let r = run(&["status", "--json", "--log", p(&log)]);
    assert_eq!(r.code, 7, "{}", r.all());
    assert_eq!(run(&["status", "--log", p(&log)]).code, 7);
    let j = document(&r, "breakglass-status", "status.json");
    assert_eq!(j["overdue"], true);
    let v = &j["vaults"][0];
    assert_eq!(v["vault_id"], "3TVV-RA7T-JAQE-H32G-N0W7-TRYD-9W");
    assert_eq!(v["last_date"], "2026-01-10");
    assert_eq!(v["next_due"], "2026-04-10");
    assert!(v["days_left"].as_i64().unwrap() < 0);
    // -q: only the error, same exit code.
    let q = run(&["status", "-q", "--log", p(&log)]);
    assert_eq!((q.code, q.stdout.as_str()), (7, ""));
    assert!(q.stderr.contains("a drill is overdue"));
    let v = run(&["status", "-v", "--log", p(&log)]);
    assert!(v.stderr.contains("drill log, 2 line(s)"), "{}", v.stderr);
}

#[test]
fn drill_json_passed_and_failed_show_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &[]);
    let log = dir.path().join("drills.jsonl");
    let r = run(&[
        "drill",
        "--json",
        "--log",
        p(&log),
        p(&sheets[0]),
        p(&sheets[2]),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = document(&r, "breakglass-drill", "drill.json");
    assert_eq!(j["passed"], true);
    assert!(
        j["record"]["result"]
            .as_str()
            .unwrap()
            .starts_with("PASSED")
    );
    assert_eq!(j["logged_to"], p(&log));
    // The document's record is the line the log received.
    let logged: Value =
        serde_json::from_str(fs::read_to_string(&log).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(j["record"], logged);
    for pw in passwords(&c.stdout) {
        assert!(!r.all().contains(&pw), "a password reached the output");
    }

    // One sheet of two: the same exit code as the text report, and a FAILED record.
    let r = run(&["drill", "--json", p(&sheets[1])]);
    let t = run(&["drill", p(&sheets[1])]);
    assert_eq!(r.code, t.code, "{}", r.all());
    assert_ne!(r.code, 0);
    let j = document(&r, "breakglass-drill", "drill.json");
    assert_eq!(j["passed"], false);
    assert!(
        j["record"]["result"]
            .as_str()
            .unwrap()
            .starts_with("FAILED")
    );
    assert_eq!(j["logged_to"], Value::Null);
    let v = run(&["drill", "-v", p(&sheets[0]), p(&sheets[1])]);
    assert!(
        v.stderr
            .contains(&format!("read: {}: share 1 (used)", p(&sheets[0]))),
        "{}",
        v.stderr
    );
}

#[test]
fn verify_print_json_certifies_and_names_missing_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let folder = dir.path().join("sheets");
    let all: Vec<&str> = sheets.iter().map(|s| p(s)).collect();
    let mut args = vec!["verify-print", "--json", "--sheets", p(&folder)];
    args.extend(&all);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = document(&r, "breakglass-verify-print", "verify-print.json");
    assert_eq!(j["verified"], true);
    assert_eq!(j["opens"], "opened");
    let statuses: Vec<&str> = j["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "ok", "ok"]);
    assert_eq!(j["sheets"][1]["location"], "Safe B (DR site)");

    // Sheet 3 not scanned: exit 4 as without --json, and the document says which.
    let r = run(&[
        "verify-print",
        "--json",
        "--sheets",
        p(&folder),
        all[0],
        all[1],
    ]);
    let t = run(&["verify-print", "--sheets", p(&folder), all[0], all[1]]);
    assert_eq!((r.code, t.code), (4, 4), "{}", r.all());
    let j = document(&r, "breakglass-verify-print", "verify-print.json");
    assert_eq!(j["verified"], false);
    assert_eq!(j["sheets"][2]["status"], "not-read");
    let q = run(&["verify-print", "-q", all[0], all[1], all[2]]);
    assert_eq!((q.code, q.stdout.as_str()), (0, ""), "{}", q.all());
}

#[test]
fn preflight_json_has_the_same_verdict_and_exit_code() {
    let text = run(&["preflight"]);
    let r = run(&["preflight", "--json"]);
    assert_eq!(r.code, text.code, "{}", r.all());
    let j = document(&r, "breakglass-preflight", "preflight.json");
    assert_eq!(j["ready"], r.code == 0);
    let names: Vec<&str> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "network",
            "swap",
            "core dumps",
            "memory lock",
            "clock",
            "random source"
        ]
    );
    for c in j["checks"].as_array().unwrap() {
        assert!(["pass", "warn", "fail"].contains(&c["level"].as_str().unwrap()));
    }
    let q = run(&["preflight", "-q"]);
    assert_eq!((q.code, q.stdout.as_str()), (text.code, ""));
}

/// FORMAT.md §12: a file name is the path as given, never made absolute. The frozen example
/// `plan-check-relative.json` is this command's whole output, run where the plan is.
#[test]
fn plan_check_json_is_the_frozen_example_with_the_path_as_given() {
    let out = bin()
        .current_dir(vectors())
        .args(["plan", "check", "--json", "plan-v1.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got, fixture("plan-check-relative.json"));
    assert_eq!(got["file"], "plan-v1.toml");
}

#[test]
fn plan_check_json_valid_and_invalid() {
    let plan = vectors().join("plan-v1.toml");
    let r = run(&["plan", "check", "--json", p(&plan)]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j = document(&r, "breakglass-plan-check", "plan-check-relative.json");
    assert_eq!(j["valid"], true);
    assert_eq!(
        j["accounts"],
        serde_json::json!([
            "breakglass1@contoso.onmicrosoft.com",
            "breakglass2@contoso.onmicrosoft.com"
        ])
    );
    assert_eq!(j["threshold"], 2);
    assert_eq!(j["shares"], 3);

    // Two shares in one safe with threshold 2: refused, exit 2 with or without --json.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("plan.toml");
    let text = fs::read_to_string(&plan).unwrap().replace(
        "location = \"Safe B (DR site)\"",
        "location = \"Safe A (HQ)\"",
    );
    fs::write(&bad, text).unwrap();
    let r = run(&["plan", "check", "--json", p(&bad)]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert_eq!(run(&["plan", "check", p(&bad)]).code, 2);
    let j = document(&r, "breakglass-plan-check", "plan-check-relative.json");
    assert_eq!(j["valid"], false);
    assert!(
        j["errors"][0].as_str().unwrap().contains("Safe A (HQ)"),
        "{j}"
    );
    let q = run(&["plan", "check", "-q", p(&plan)]);
    assert_eq!((q.code, q.stdout.as_str()), (0, ""));
}

#[test]
fn recover_json_keeps_its_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &["--fido2", "YubiKey #1"]);
    let r = run(&["recover", "--json", p(&sheets[0]), p(&sheets[1])]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    same_shape(&j, &fixture("recover.json"), "$");
}

#[test]
fn tenant_audit_json_has_the_documented_shape_and_exit_code() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tenant");
    let dir = tempfile::tempdir().unwrap();
    for case in ["base", "group-extra-member", "disabled-policy"] {
        for e in fs::read_dir(fixtures.join(case)).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
    }
    let plan = fixtures.join("plan.toml");
    let args = ["tenant", "audit", p(dir.path()), "--plan", p(&plan)];
    let r = run(&[&args[..], &["--json"]].concat());
    assert_eq!(r.code, 8, "{}", r.all());
    let j = document(&r, "breakglass-tenant-audit", "tenant-audit.json");
    assert_eq!(j["clean"], false);
    assert_eq!(j["counts"]["high"], 1);
    // The text report says the same, with the same exit code; -q says nothing.
    let t = run(&args);
    assert_eq!(t.code, 8);
    assert!(t.stdout.contains("exclusion-group-extra-member"));
    let q = run(&[&args[..], &["-q"]].concat());
    assert_eq!((q.code, q.stdout.as_str()), (8, ""));
}
