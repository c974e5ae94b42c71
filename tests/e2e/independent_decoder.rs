//! Runs the independent Python decoder (written from FORMAT.md alone) over every test vector.
//!
//! Needs `python3` with the `nacl` (pynacl) and `argon2` (argon2-cffi) modules. Without them the
//! test prints a skip message and passes, unless `BREAKGLASS_REQUIRE_PYTHON` is set, in which
//! case it fails.

use std::path::Path;
use std::process::Command;

fn skip_or_fail(reason: &str) {
    if std::env::var_os("BREAKGLASS_REQUIRE_PYTHON").is_some() {
        panic!("independent decoder cannot run: {reason} (BREAKGLASS_REQUIRE_PYTHON is set)");
    }
    eprintln!(
        "SKIPPED independent_decoder: {reason}; install python3 and `pip install pynacl argon2-cffi`, \
         or set BREAKGLASS_REQUIRE_PYTHON=1 to make this a failure"
    );
}

#[test]
fn independent_python_decoder_agrees_with_vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let probe = Command::new("python3")
        .arg("-c")
        .arg("import nacl.bindings, argon2.low_level")
        .current_dir(root)
        .output();
    match probe {
        Err(e) => return skip_or_fail(&format!("python3 not found ({e})")),
        Ok(out) if !out.status.success() => {
            return skip_or_fail(&format!(
                "python3 lacks pynacl or argon2-cffi: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(_) => {}
    }

    let out = Command::new("python3")
        .arg("tests/independent/decode.py")
        .arg("--check-vectors")
        .arg("tests/vectors")
        .current_dir(root)
        .output()
        .expect("run python3 tests/independent/decode.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "independent decoder disagrees with the vectors (exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(
        stdout.contains(" passed, 0 failed"),
        "no summary line from the independent decoder:\n{stdout}"
    );
}
