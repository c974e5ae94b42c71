//! The placement check every command that makes sheets runs before any secret exists: what
//! losing each location or custodian means, in plain words, and a refusal when one place or
//! person could recover alone (unless explicitly allowed).

use super::{CliResult, Failure};
use breakglass_core::placement::Placement;
use breakglass_core::vault::ShareLabel;

/// Prints the placement in plain words; refuses one that lets a place or person recover alone.
pub fn check(threshold: u8, labels: &[ShareLabel], allow: bool) -> CliResult {
    let p = Placement::new(threshold, labels);
    if usize::from(threshold) > labels.len() || threshold < 2 {
        return Ok(()); // reported by the threshold rules with their own message
    }
    outln!(
        "Placement of the {} shares (any {threshold} recover):",
        labels.len()
    )?;
    for line in p.report() {
        outln!("  {}", super::visible(&line))?;
    }
    if p.refused() && !allow {
        return Err(Failure::Usage.because(
            "one location or custodian could recover alone: spread the shares, or pass --allow-single-location-recovery",
        ));
    }
    Ok(())
}
