//! The tenant audit (FORMAT.md §13): Microsoft Graph's documented shapes (`graph`) and the
//! eight rules that judge an export of them (`audit`). Values in, findings out: nothing here
//! reads a file, the network or the clock.

pub mod audit;
pub mod graph;

pub use audit::{
    Account, AuditInput, AuditReport, ChosenGroup, Evidence, ExpectedKey, Export, Finding, Fix,
    GroupSource, Inputs, LogEvent, NotApplicable, Resolved, Severity, Skipped, Unresolved, audit,
    most_excluded_group, resolve_accounts,
};
pub use graph::{ExportError, ExportFile};
