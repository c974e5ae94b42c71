//! What a ceremony may generate and how it is shown: Entra ID naming and password rules, the
//! placement of shares, the ceremony plan and its rules, the credentials generated for each
//! account, TOTP codes and the phonetic spelling of credentials.

pub mod credentials;
pub mod entra;
pub mod password;
pub mod phonetic;
pub mod placement;
pub mod plan;
pub mod tenant;
pub mod totp;
