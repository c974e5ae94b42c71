//! Sealing a vault (split, commit, encrypt) and recovering it (check every untrusted input,
//! combine, derive, open), FORMAT.md §7.

pub mod recover;
pub mod seal;
