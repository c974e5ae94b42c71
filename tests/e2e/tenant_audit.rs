//! `breakglass tenant audit` on the exports under `tests/tenant/` (one folder per case, laid
//! over `base/`; see its README), and `drill --tenant-export` / `status` reading the result
//! back from the drill log.

use crate::common::*;
use std::fs;
use std::path::{Path, PathBuf};

const B1: &str = "11111111-1111-1111-1111-111111111111";
const B2: &str = "22222222-2222-2222-2222-222222222222";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tenant")
}

/// `base/` with the case's files laid over it, in a fresh folder.
fn export(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for layer in ["base", case] {
        for e in fs::read_dir(fixtures().join(layer)).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
    }
    dir
}

fn plan() -> String {
    fixtures().join("plan.toml").display().to_string()
}

/// Audits a case with the fixtures' plan and `--json`; returns the run and the document.
fn audit(case: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let dir = export(case);
    let plan = plan();
    let mut args = vec!["tenant", "audit", p(dir.path()), "--plan", &plan, "--json"];
    args.extend(extra);
    let r = run(&args);
    let doc = serde_json::from_str(&r.stdout).unwrap_or(serde_json::Value::Null);
    (r, doc)
}

/// The (code, account UPN) of every finding.
fn findings(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["account"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn only(doc: &serde_json::Value, code: &str, accounts: &[&str]) {
    let mut want: Vec<(String, String)> = accounts
        .iter()
        .map(|a| (code.to_string(), a.to_string()))
        .collect();
    let mut got = findings(doc);
    want.sort();
    got.sort();
    assert_eq!(got, want, "{doc:#}");
}

const U1: &str = "breakglass1@contoso.onmicrosoft.com";
const U2: &str = "breakglass2@contoso.onmicrosoft.com";

#[test]
fn a_tenant_set_up_as_advised_passes_every_rule() {
    let (r, doc) = audit("base", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(doc["format"], "breakglass-tenant-audit");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["clean"], true);
    assert_eq!(doc["policies_checked"], 2);
    assert_eq!(doc["exclusion_group"]["chosen_by"], "plan");
    assert_eq!(doc["exclusion_group"]["role_assignable"], true);
    // Rules 7 and 8 say why they were not checked.
    let skipped: Vec<u64> = doc["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_u64().unwrap())
        .collect();
    assert_eq!(skipped, [7, 8]);
    // The text report says the same, and the exit code is the same.
    let dir = export("base");
    let t = run(&["tenant", "audit", p(dir.path()), "--plan", &plan()]);
    assert_eq!(t.code, 0, "{}", t.all());
    assert!(t.stdout.contains("RESULT: nothing found"), "{}", t.stdout);
}

#[test]
fn a_policy_on_all_users_that_excludes_one_account_is_found_for_the_other() {
    let (r, doc) = audit("all-users-excludes-one", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "ca-not-excluded", &[U2]);
    let f = &doc["findings"][0];
    assert_eq!(f["severity"], "high");
    assert_eq!(f["rule"], 3);
    assert_eq!(
        f["evidence"][0]["id"],
        "bbbbbbb1-0000-0000-0000-000000000003"
    );
    assert!(
        f["fix"]["portal"]
            .as_str()
            .unwrap()
            .contains("Conditional Access")
    );
    assert!(
        f["fix"]["powershell"]
            .as_str()
            .unwrap()
            .contains("Update-MgIdentityConditionalAccessPolicy")
    );
}

#[test]
fn a_policy_on_the_global_administrator_role_applies_to_both() {
    let (r, doc) = audit("ga-role-policy", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "ca-not-excluded", &[U1, U2]);
    assert!(
        doc["findings"][0]["what"]
            .as_str()
            .unwrap()
            .contains("Global Administrator role")
    );
}

#[test]
fn a_report_only_policy_counts_at_medium_severity() {
    let (r, doc) = audit("report-only", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "ca-not-excluded", &[U1, U2]);
    assert_eq!(doc["findings"][0]["severity"], "medium");
    assert_eq!(doc["counts"]["medium"], 2);
}

#[test]
fn disabled_service_principal_and_authentication_context_policies_are_not_applicable() {
    for (case, reason) in [
        ("disabled-policy", "disabled"),
        (
            "service-principals",
            "scoped to service principals (workload identities)",
        ),
        ("auth-context", "scoped to an authentication context"),
    ] {
        let (r, doc) = audit(case, &[]);
        assert_eq!(r.code, 0, "{case}: {}", r.all());
        let na = doc["not_applicable"].as_array().unwrap();
        assert_eq!(na.len(), 1, "{case}");
        assert_eq!(na[0]["reason"], reason, "{case}");
        assert_eq!(doc["policies_checked"], 2, "{case}");
    }
}

#[test]
fn a_policy_on_a_group_an_account_is_in_through_nesting_applies_to_it() {
    let (r, doc) = audit("nested-group-include", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "ca-not-excluded", &[U1]);
}

#[test]
fn an_extra_member_of_the_exclusion_group_is_high() {
    let (r, doc) = audit("group-extra-member", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "exclusion-group-extra-member", &[""]);
    let f = &doc["findings"][0];
    assert_eq!(f["severity"], "high");
    assert_eq!(
        f["evidence"][1]["id"],
        "33333333-3333-3333-3333-333333333333"
    );
    assert_eq!(f["evidence"][1]["name"], "mallory@contoso.com");
    assert!(
        f["fix"]["powershell"]
            .as_str()
            .unwrap()
            .starts_with("Remove-MgGroupMemberDirectoryObjectByRef -GroupId '99999999-")
    );
}

#[test]
fn a_group_that_is_not_role_assignable_is_a_warning() {
    let (r, doc) = audit("group-not-role-assignable", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "exclusion-group-not-role-assignable", &[""]);
    assert_eq!(doc["findings"][0]["severity"], "medium");
}

#[test]
fn global_administrator_must_be_active_and_permanent() {
    let (r, doc) = audit("eligible-only", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "ga-eligible-only", &[U2]);
    let (r, doc) = audit("assignment-end-date", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "ga-expiring", &[U2]);
    assert!(
        doc["findings"][0]["what"]
            .as_str()
            .unwrap()
            .contains("2026-06-30")
    );
}

#[test]
fn a_synchronised_account_is_found() {
    let (r, doc) = audit("synchronised-account", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "account-synchronised", &[U2]);
}

#[test]
fn an_expiring_password_is_found() {
    let (r, doc) = audit("expiring-password", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "password-expires", &[U2]);
    assert!(
        doc["findings"][0]["fix"]["powershell"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "Update-MgUser -UserId '{B2}' -PasswordPolicies 'DisablePasswordExpiration'"
            ))
    );
}

#[test]
fn methods_phone_missing_key_and_password_only() {
    let (r, doc) = audit("phone-method", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "personal-method", &[U2]);
    let (r, doc) = audit("fido2-missing", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    only(&doc, "fido2-key-missing", &[U2]);
    // Only a password: no MFA is possible (and the vault's key is missing too).
    let (r, doc) = audit("password-only", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    let got = findings(&doc);
    assert!(
        got.contains(&("no-mfa-method".into(), U1.into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("fido2-key-missing".into(), U1.into())),
        "{got:?}"
    );
    assert_eq!(got.len(), 2, "{got:?}");
}

#[test]
fn a_sign_in_no_drill_explains_is_found_and_one_a_drill_explains_is_not() {
    let log = fixtures().join("sign-in-no-drill/drills.jsonl");
    let log = log.to_str().unwrap();
    let (r, doc) = audit("sign-in-no-drill", &["--log", log]);
    assert_eq!(r.code, 8, "{}", r.all());
    let got = findings(&doc);
    assert!(
        got.contains(&("sign-in-unexplained".into(), U1.into())),
        "{got:?}"
    );
    // breakglass2 signed in five minutes after the logged drill: explained.
    assert!(
        !got.contains(&("sign-in-unexplained".into(), U2.into())),
        "{got:?}"
    );
    // Without the log, rule 7 is not checked.
    let (_, doc) = audit("sign-in-no-drill", &[]);
    assert!(!findings(&doc).iter().any(|(c, _)| c.starts_with("sign-in")));
}

#[test]
fn the_alert_rule_is_checked_when_exported() {
    let (r, doc) = audit("alert-rule-ok", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(doc["not_checked"].as_array().unwrap().len(), 1);
    let (r, doc) = audit("alert-rule-bad", &[]);
    assert_eq!(r.code, 8, "{}", r.all());
    let mut codes: Vec<String> = findings(&doc).into_iter().map(|(c, _)| c).collect();
    codes.dedup();
    assert_eq!(
        codes,
        [
            "alert-rule-disabled",
            "alert-rule-misses-account",
            "alert-rule-notifies-nobody"
        ]
    );
    assert!(
        doc["findings"][1]["what"]
            .as_str()
            .unwrap()
            .contains(&format!("object id {B1}"))
    );
}

#[test]
fn half_read_or_failed_exports_are_refused_by_name() {
    for (case, file, words) in [
        (
            "paged-nextlink",
            "conditional-access-policies.json",
            "nextLink",
        ),
        ("error-body", "users.json", "Authorization_RequestDenied"),
        ("wrong-context", "users.json", "another request"),
    ] {
        let (r, doc) = audit(case, &[]);
        assert_eq!(r.code, 3, "{case}: {}", r.all());
        assert!(r.stdout.is_empty() && doc.is_null(), "{case}");
        assert!(
            r.stderr.contains(file) && r.stderr.contains(words),
            "{case}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_missing_file_names_the_export_command_and_a_huge_one_is_not_read() {
    let dir = export("base");
    fs::remove_file(dir.path().join(format!("methods-{B1}.json"))).unwrap();
    let r = run(&["tenant", "audit", p(dir.path()), "--plan", &plan()]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(
        r.stderr.contains(&format!("methods-{B1}.json is missing")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("tenant export-script"), "{}", r.stderr);
    // A 1 GiB file (sparse: nothing is written) is refused by its size, not read.
    let dir = export("base");
    let big = fs::File::create(dir.path().join("users.json")).unwrap();
    big.set_len(1 << 30).unwrap();
    let r = run(&["tenant", "audit", p(dir.path()), "--plan", &plan()]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(
        r.stderr.contains("users.json is 1073741824 bytes"),
        "{}",
        r.stderr
    );
}

#[test]
fn without_a_plan_the_most_excluded_group_is_used_and_named() {
    let dir = export("base");
    let r = run(&[
        "tenant",
        "audit",
        p(dir.path()),
        "--upn",
        U1,
        "--object-id",
        B2,
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("the group most policies exclude (2 of them)"),
        "{}",
        r.stdout
    );
    // An account that is not in the export is a finding, not an error.
    let r = run(&[
        "tenant",
        "audit",
        p(dir.path()),
        "--upn",
        "nobody@contoso.onmicrosoft.com",
        "--json",
    ]);
    assert_eq!(r.code, 8, "{}", r.all());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["findings"][0]["code"], "account-missing");
}

#[test]
fn export_text_cannot_reach_the_terminal_raw() {
    let dir = export("base");
    let path = dir.path().join("conditional-access-policies.json");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("Block legacy authentication", "Block \\u001b[2J legacy");
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["value"][1]["conditions"]["users"]["excludeGroups"] = serde_json::json!([]);
    fs::write(&path, doc.to_string()).unwrap();
    let r = run(&["tenant", "audit", p(dir.path()), "--plan", &plan()]);
    assert_eq!(r.code, 8, "{}", r.all());
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
    assert!(r.stdout.contains("Block"), "{}", r.stdout);
}

#[test]
fn a_drill_audits_the_vaults_accounts_and_status_shows_the_last_audit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheets");
    let c = run(&[
        "ceremony",
        "--print-credentials",
        "--allow-online",
        "--plan",
        &plan(),
        "--out",
        p(&out),
    ]);
    assert_eq!(c.code, 0, "{}", c.all());
    let (s1, s2) = (out.join("share-1.txt"), out.join("share-2.txt"));
    let log = dir.path().join("drills.jsonl");
    // A clean export: the drill passes and logs a clean audit; the vault's FIDO2 keys (with
    // their serials) are the ones registered.
    let clean = export("base");
    let d = run(&[
        "drill",
        p(&s1),
        p(&s2),
        "--log",
        p(&log),
        "--tenant-export",
        p(clean.path()),
    ]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(d.stdout.contains("RESULT: nothing found"), "{}", d.stdout);
    // One with an extra member of the exclusion group: exit 8, and the log says so.
    let bad = export("group-extra-member");
    let d = run(&[
        "drill",
        p(&s1),
        p(&s2),
        "--log",
        p(&log),
        "--tenant-export",
        p(bad.path()),
        "--group",
        "99999999-9999-9999-9999-999999999999",
    ]);
    assert_eq!(d.code, 8, "{}", d.all());
    assert!(d.stdout.contains("PASSED"), "{}", d.stdout);
    let lines: Vec<serde_json::Value> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["tenant_audit"]["result"], "clean");
    assert_eq!(lines[1]["tenant_audit"]["result"], "findings");
    // The extra member, and (the log now holding the first drill, rule 7 runs) each account's
    // January sign-in that today's drill does not explain and that is older than 90 days.
    assert_eq!(lines[1]["tenant_audit"]["findings"], 5);
    assert_eq!(lines[1]["tenant_audit"]["high"], 3);
    // status names the last audit, in text and JSON.
    let s = run(&["status", "--log", p(&log)]);
    assert_eq!(s.code, 0, "{}", s.all());
    assert!(
        s.stdout.contains("last audit:") && s.stdout.contains("findings (5 finding(s), 3 high)"),
        "{}",
        s.stdout
    );
    let s = run(&["status", "--log", p(&log), "--json"]);
    let j: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(j["vaults"][0]["last_audit"]["findings"], 5);
    // A log without the key (an older drill) still reads, and shows no audit.
    let old = dir.path().join("old.jsonl");
    let first = fs::read_to_string(&log).unwrap();
    let mut rec: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    rec.as_object_mut().unwrap().remove("tenant_audit");
    fs::write(&old, format!("{rec}\n")).unwrap();
    let s = run(&["status", "--log", p(&old)]);
    assert_eq!(s.code, 0, "{}", s.all());
    assert!(!s.stdout.contains("last audit"), "{}", s.stdout);
}

#[test]
fn tenant_audit_help_has_examples_and_names_exit_8() {
    for cmd in [&["tenant", "--help"][..], &["tenant", "audit", "--help"]] {
        let r = run(cmd);
        assert_eq!(r.code, 0, "{cmd:?}");
        assert!(
            r.stdout.contains("Examples:\n  breakglass tenant audit"),
            "{}",
            r.stdout
        );
    }
    assert!(
        run(&["tenant", "audit", "--help"])
            .stdout
            .contains("8 findings")
    );
    // Naming no account is a usage error, before anything is read.
    let r = run(&["tenant", "audit", "no-such-folder"]);
    assert_eq!(r.code, 2, "{}", r.all());
}
