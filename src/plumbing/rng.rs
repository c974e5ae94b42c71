//! The one random source the binary uses: the operating system's. No seeded or deterministic
//! generator is reachable from the command line; tests inject theirs through the core's API.

use super::CliResult;

/// The OS random source, checked once so a broken source is an error, not a panic.
pub fn os_rng() -> CliResult<rand::rand_core::UnwrapErr<rand::rngs::SysRng>> {
    let mut probe = [0u8; 32];
    rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut probe)
        .map_err(|e| anyhow::anyhow!("the operating system's random source failed: {e}"))?;
    Ok(rand::rand_core::UnwrapErr(rand::rngs::SysRng))
}
