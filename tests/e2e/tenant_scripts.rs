//! `breakglass tenant export-script` and `tenant setup-script` through the binary: which
//! sections print, which accounts they name, that a hostile plan value stays a quoted literal,
//! and that bad input prints no script.

use crate::common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};

fn plan_file(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let p = dir.join("plan.toml");
    let r = run(&["plan", "new", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    let text = fs::read_to_string(&p).unwrap();
    fs::write(&p, edit(text)).unwrap();
    p
}

#[test]
fn export_script_prints_the_sections_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_file(dir.path(), |t| {
        t.replace(
            "# object_id = \"00000000-0000-0000-0000-000000000000\"",
            "object_id = \"11111111-2222-3333-4444-555555555555\"",
        )
        .replace(
            "threshold = 2\n",
            "threshold = 2\nexclusion_group = \"99999999-2222-3333-4444-555555555555\"\n",
        )
    });
    let both = run(&["tenant", "export-script", "--plan", p(&plan)]);
    assert_eq!(both.code, 0, "{}", both.all());
    assert!(both.stdout.contains("Invoke-MgGraphRequest -Method GET"));
    assert!(both.stdout.contains("az rest --method get"));
    assert!(
        both.stdout
            .contains("$AccountIds = @('11111111-2222-3333-4444-555555555555')")
    );
    assert!(
        both.stdout
            .contains("$AccountUpns = @('breakglass2@contoso.onmicrosoft.com')")
    );
    assert!(
        both.stdout
            .contains("$ExclusionGroup = '99999999-2222-3333-4444-555555555555'")
    );
    let ps = run(&[
        "tenant",
        "export-script",
        "--plan",
        p(&plan),
        "--shell",
        "powershell",
    ]);
    assert!(
        ps.stdout
            .starts_with("# breakglass tenant export (Microsoft Graph PowerShell)")
    );
    assert!(!ps.stdout.contains("az rest"));
    let az = run(&[
        "tenant",
        "export-script",
        "--plan",
        p(&plan),
        "--shell",
        "az",
    ]);
    assert!(az.stdout.starts_with("#!/bin/sh\n"));
    assert!(!az.stdout.contains("Invoke-MgGraphRequest"));
    let flags = run(&[
        "tenant",
        "export-script",
        "--upn",
        "bg1@contoso.onmicrosoft.com",
        "--group",
        "99999999-2222-3333-4444-555555555555",
        "--shell",
        "az",
    ]);
    assert_eq!(flags.code, 0, "{}", flags.all());
    assert!(
        flags
            .stdout
            .contains("ACCOUNT_UPNS='bg1@contoso.onmicrosoft.com'")
    );
}

#[test]
fn bad_input_prints_no_script() {
    for args in [
        &["tenant", "export-script"][..],
        &[
            "tenant",
            "export-script",
            "--upn",
            "x'); Remove-MgUser ('@c.com",
        ],
        &["tenant", "export-script", "--object-id", "nope"],
        &[
            "tenant",
            "export-script",
            "--upn",
            "a@c.com",
            "--group",
            "nope",
        ],
    ] {
        let r = run(args);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (2, ""),
            "{args:?}: {}",
            r.stderr
        );
    }
    let missing = run(&["tenant", "setup-script", "--plan", "no-such-plan.toml"]);
    assert_ne!(missing.code, 0);
    assert_eq!(missing.stdout, "");
}

#[test]
fn setup_script_keeps_a_hostile_display_name_inside_its_literal() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "Evil\u{2019}; Remove-MgUser -UserId admin; \u{2018}' $(whoami)";
    let plan = plan_file(dir.path(), |t| {
        t.replace(
            "display_name = \"Emergency access 1\"",
            &format!("display_name = \"{hostile}\""),
        )
    });
    let r = run(&["tenant", "setup-script", "--plan", p(&plan)]);
    assert_eq!(r.code, 0, "{}", r.all());
    let quoted =
        "'Evil\u{2019}\u{2019}; Remove-MgUser -UserId admin; \u{2018}\u{2018}'' $(whoami)'";
    assert!(r.stdout.contains(&format!(
        "DisplayName = {quoted}; MailNickname = 'breakglass1'"
    )));
    assert_eq!(r.stdout.matches("Remove-MgUser").count(), 1);
    assert!(r.stdout.contains("param([switch]$DryRun)"));
    assert!(r.stdout.contains("Read-Host -AsSecureString"));
    // No exclusion_group in the plan: said on standard error, not in the script.
    assert!(r.stderr.contains("no exclusion_group"), "{}", r.stderr);
}
