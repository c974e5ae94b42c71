//! The share document: what one sheet says, as text (FORMAT.md §8).
//!
//! A share document is `#` comment lines for people, the share block (`BG1-S-…`, secret) and a
//! copy of the vault block (`BG1-V-…`, not secret), so any k documents recover with no separate
//! vault file to lose. The PDF sheet prints the same pieces, and [`SheetWording`] holds the
//! English it adds (recovery steps, the format in brief, the command to run), so every word a
//! custodian reads is written here and the paper layer only lays it out. Decoding takes any mix
//! of blocks (a file, typed text, QR payloads) through the one text parser.

use crate::secret::SecretBytes;
use crate::share::{Share, ShareError};
use crate::text::{self, Block, Kind, TextError, TextForm};
use crate::vault::{MAX_VAULT_BYTES, Vault, VaultError, VaultHeader};
use zeroize::Zeroizing;

/// Lines per QR code for the vault: at most ~790 characters, QR version 22 or below at level Q (4 parts fit a sheet).
pub const VAULT_LINES_PER_QR: usize = 32;
/// Most QR codes a vault needs: an envelope at the [`MAX_VAULT_BYTES`] cap (FORMAT.md §3) is
/// 984 base32 lines (§6), 31 codes of [`VAULT_LINES_PER_QR`] lines.
pub const MAX_VAULT_QR_PARTS: usize = (MAX_VAULT_BYTES * 8)
    .div_ceil(5)
    .div_ceil(text::LINE_CHARS)
    .div_ceil(VAULT_LINES_PER_QR);
/// Seconds in a day: sheets and the drill log count drill intervals in whole days.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// Vault QR parts that fit page 1 of a printed sheet beside its share code (the sheet layout
/// fits this many at the largest QR version); a larger vault continues on later pages, and the
/// sheet's wording then says which pages to scan.
pub const PAGE_ONE_VAULT_PARTS: usize = 4;

/// Up to this many sheets the printed recovery command names each scan; above, a folder of scans.
const FEW_SHEETS: u8 = 5;

/// Why a document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("the share text decodes, but the share inside is not valid: {0}")]
    Share(#[from] ShareError),
    #[error("the vault text decodes, but the vault inside is not valid: {0}")]
    Vault(#[from] VaultError),
}

/// The human-facing facts of one share, computed once for the text file and the PDF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetFacts {
    pub title: String,
    pub subtitle: String,
    /// The tenant whose credentials the vault holds, as sealed (the subtitle names it too).
    pub tenant: String,
    pub vault_id: String,
    pub fingerprint: String,
    pub generation: u32,
    pub created: String,
    pub next_drill_due: String,
    pub location: String,
    pub custodian: String,
    pub index: u8,
    pub threshold: u8,
    pub count: u8,
    pub passphrase: bool,
}

/// When the next drill is due: `interval_days` after `from` (Unix seconds), or `None` when no
/// drill is scheduled (interval 0). Saturates: a forged date far in the future is out of range,
/// not a wrapped one in the past.
pub fn next_drill_due(from: u64, interval_days: u16) -> Option<u64> {
    (interval_days != 0).then(|| from.saturating_add(u64::from(interval_days) * SECONDS_PER_DAY))
}

/// The next drill as sheets and the drill log print it: an ISO date, or "not scheduled".
pub fn next_drill_date(from: u64, interval_days: u16) -> String {
    next_drill_due(from, interval_days).map_or_else(|| "not scheduled".into(), iso_date)
}

/// Formats Unix seconds as an ISO date (UTC).
pub fn iso_date(unix_seconds: u64) -> String {
    i64::try_from(unix_seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map(|t| t.date().to_string())
        .unwrap_or_else(|| "(date out of range)".into())
}

impl SheetFacts {
    pub fn new(header: &VaultHeader, index: u8) -> Self {
        let label = header.label(index).cloned().unwrap_or_default();
        Self {
            title: format!("BREAK-GLASS KEY SHARE {index} of {}", header.share_count()),
            subtitle: format!(
                "any {} shares recover the emergency credentials of {}",
                header.threshold, header.tenant
            ),
            tenant: header.tenant.clone(),
            vault_id: header.vault_id.to_string(),
            fingerprint: header.vault_id.fingerprint(),
            generation: header.generation,
            created: iso_date(header.created),
            next_drill_due: next_drill_date(header.created, header.drill_interval_days),
            location: label.location,
            custodian: label.custodian,
            index,
            threshold: header.threshold,
            count: header.share_count(),
            passphrase: header.passphrase.is_some(),
        }
    }
}

/// The share document of one share (FORMAT.md §8): its facts, and share and vault in printable
/// and QR forms.
pub struct ShareDocument {
    pub facts: SheetFacts,
    pub share: TextForm,
    pub vault: TextForm,
}

impl ShareDocument {
    /// # Errors
    /// [`TextError::TooLong`] when the vault cannot be written as text.
    pub fn new(share: &Share, vault: &Vault) -> Result<Self, TextError> {
        Ok(Self {
            facts: SheetFacts::new(&vault.header, share.index()),
            share: TextForm::encode(Kind::Share, share.to_bytes().expose_secret())?,
            vault: TextForm::encode(Kind::Vault, &vault.to_bytes())?,
        })
    }

    /// The vault's QR payloads (one or more parts).
    pub fn vault_qr(&self) -> Vec<Zeroizing<String>> {
        self.vault.qr_chunks(VAULT_LINES_PER_QR)
    }

    /// The share document as written to `share-N.txt`.
    pub fn to_file(&self) -> Zeroizing<String> {
        let f = &self.facts;
        let mut s = Zeroizing::new(String::with_capacity(4096));
        let mut line = |l: &str| {
            s.push_str(l);
            s.push('\n');
        };
        line(&format!("# {}", f.title));
        line(&format!("# {}", f.subtitle));
        line("#");
        line(&format!(
            "# Vault:        {}  (fingerprint {})",
            f.vault_id, f.fingerprint
        ));
        line(&format!("# Generation:   {}", f.generation));
        line(&format!("# Created:      {}", f.created));
        line(&format!("# Next drill:   {}", f.next_drill_due));
        line(&format!("# Location:     {}", f.location));
        if !f.custodian.is_empty() {
            line(&format!("# Custodian:    {}", f.custodian));
        }
        if f.passphrase {
            line("# Passphrase:   required as well (not on any sheet)");
        }
        line("#");
        line("# KEEP SECRET. The BG1-S block below is this sheet's key share. Together with");
        line(&format!(
            "# {} more share(s) it opens the vault. Recover with:",
            f.threshold - 1
        ));
        line("#     breakglass recover share-A.txt share-B.txt ...");
        line("# or type the blocks by hand: breakglass recover (with no files).");
        line("# Without breakglass: recover.html (any browser, offline) or recover.py from the");
        line("# kit, and recovery-kit.pdf (text form BG1).");
        line("");
        for l in self.share.display_lines() {
            line(&l);
        }
        line("");
        line("# The vault (not secret; the same on every sheet of this set):");
        for l in self.vault.display_lines() {
            line(&l);
        }
        s
    }
}

/// The English a printed sheet adds to its share document: the recovery steps, the format in
/// brief and the command to run. Not secret; the paper layer prints it as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetWording {
    /// Numbered steps ("1. ..."), in order.
    pub instructions: Vec<String>,
    /// A few lines on the format, for whoever must write a decoder.
    pub format_summary: Vec<String>,
    /// What to type on the recovery computer, e.g. `./breakglass recover sheet-1.png sheet-2.png`.
    pub recover_command: String,
}

impl SheetWording {
    /// The words of the sheet with facts `f`, whose vault is printed as `vault_parts` QR codes
    /// (codes beyond [`PAGE_ONE_VAULT_PARTS`] continue on later pages, which the steps name).
    pub fn new(f: &SheetFacts, vault_parts: usize) -> Self {
        let mut instructions = vec![
            format!(
                "1. This sheet is one of {} key shares. Any {} of them together open the vault with the emergency (break-glass) administrator credentials of {}. Fewer reveal nothing.",
                f.count, f.threshold, f.tenant
            ),
            format!(
                "2. Bring {} different sheets of this set together: the fingerprint {} and the generation ({}) must be the same on all of them.",
                f.threshold, f.fingerprint, f.generation
            ),
        ];
        // Codes beyond page 1 get a bold note naming the pages to scan; it stays the rule then.
        let scan = if vault_parts <= PAGE_ONE_VAULT_PARTS {
            format!(
                "Scan or photograph page 1 of each of {} different sheets (PNG or JPEG); page 2 needs no scan.",
                f.threshold
            )
        } else {
            "Scan or photograph the pages the bold note below names (PNG or JPEG).".to_string()
        };
        let few = f.threshold <= FEW_SHEETS && vault_parts <= PAGE_ONE_VAULT_PARTS;
        let names = (1..=f.threshold)
            .map(|i| format!("sheet-{i}.png"))
            .collect::<Vec<_>>()
            .join(" ");
        let run = if few {
            format!(
                "run the command below, replacing {names} with the file names of your scans of page 1 of {} different sheets",
                f.threshold
            )
        } else {
            "run the command below".to_string()
        };
        instructions.push(format!(
            "3. {scan} On the recovery computer, in the folder that holds the breakglass program (kept with these sheets' recovery kit, or ask whoever keeps it) and the scans, {run}. Recovery writes no file: the credentials are shown on the screen only. It warns if the computer is online; recovery still works."
        ));
        instructions.push(format!(
            "4. QUICKEST WITHOUT SCANNING EVERY SHEET (ABOUT 5 MINUTES): scan page 1 of one sheet, run the command with that one scan, and type only the 5-line share block of {} when asked. With no scanner at all, run ./breakglass recover with no files and type everything (about 30 minutes): the share block of each sheet, and the vault block of any one sheet (it is the same on all; it is printed in columns: type down the first column, then the next). Line 01 of the share block is the same on every sheet. The last line of each block is shorter: type every character, including the last one (the check character); spaces do not matter.",
            if f.threshold == 2 {
                "the other sheet".to_string()
            } else {
                format!("each of the other {} sheets", f.threshold - 1)
            }
        ));
        instructions.push(if f.passphrase {
            "5. This vault also needs its passphrase, which is on no sheet: the program asks for it.".to_string()
        } else {
            "5. This vault needs no passphrase: the sheets are enough.".to_string()
        });
        instructions.push(
            "6. Sign in with the credentials shown. The sign-in raises a critical alert, as intended: tell the security team why (drill or emergency).".to_string(),
        );
        instructions.push(
            "7. Afterwards delete the scans (they are copies of a secret), rotate the credentials with ./breakglass rotate (offline) and seal new sheets in new tamper-evident bags.".to_string(),
        );
        instructions.push(
            "8. Without breakglass: recover.html from the kit in any browser, offline (Windows, macOS), or recover.py with Python; recovery-kit.pdf explains both and the format (`breakglass kit` writes them all).".to_string(),
        );
        // A few sheets whose codes all sit on page 1 are named one by one; more sheets, or
        // vault codes over several pages, are simpler as one folder of scans.
        let recover_command = if few {
            (1..=f.threshold)
                .map(|i| format!("sheet-{i}.png"))
                .fold("./breakglass recover".to_string(), |acc, s| acc + " " + &s)
        } else {
            instructions[2].push_str(&format!(
                " With {} sheets, put all the scans (every page with QR codes) in one folder named scans.",
                f.threshold
            ));
            "./breakglass recover scans/*.png".to_string()
        };
        let format_summary = vec![
            "Text form BG1: Crockford base32 (0-9, A-Z without I L O U), 20 characters per numbered line, then a check character (GF(32)).".to_string(),
            "Header BG1-<S share | V vault>-<lines>-<first 32 bits of SHA-256, base32>. Spaces, dashes, case and I/L/O are forgiven.".to_string(),
            "Share: version, vault id, generation, k, n, x, 32-byte Shamir value over GF(2^8) (x^8+x^4+x^3+x^2+1).".to_string(),
            "Vault: header (authenticated), XChaCha20-Poly1305; key = HKDF-SHA256(vault id, secret [+ Argon2id(passphrase)]).".to_string(),
            "Without breakglass: recover.html or recover.py from the kit, and recovery-kit.pdf. Full specification: FORMAT.md in the breakglass source.".to_string(),
        ];
        Self {
            instructions,
            format_summary,
            recover_command,
        }
    }
}

/// Shares and vault copies found in some text.
#[derive(Debug, Default)]
pub struct Decoded {
    pub shares: Vec<Share>,
    pub vaults: Vec<Vault>,
    /// Blocks that are still missing lines (e.g. one QR part of a two-part vault).
    pub incomplete: Vec<Block>,
}

/// Decodes every block in `blocks`; a block still missing lines goes to `incomplete`.
///
/// # Errors
/// The first block that is complete but does not decode.
pub fn decode_blocks(blocks: Vec<Block>) -> Result<Decoded, DocumentError> {
    let mut out = Decoded::default();
    for b in text::merge_blocks(blocks)? {
        if !b.is_complete() {
            out.incomplete.push(b);
            continue;
        }
        let bytes: SecretBytes = b.decode()?;
        match b.header.kind {
            Kind::Share => out.shares.push(Share::from_bytes(bytes.expose_secret())?),
            Kind::Vault => out.vaults.push(Vault::from_bytes(bytes.expose_secret())?),
        }
    }
    Ok(out)
}

/// Decodes a document, typed text or a QR payload.
///
/// # Errors
/// [`DocumentError`] for text that does not parse, or blocks that do not decode. A block with
/// lines missing is an error here too (use [`decode_blocks`] to gather pieces).
pub fn decode_text(input: &str) -> Result<Decoded, DocumentError> {
    let d = decode_blocks(text::parse_blocks(input)?)?;
    if let Some(b) = d.incomplete.first() {
        b.decode()?;
    }
    Ok(d)
}

crate::error_kinds! { DocumentError {
    Text(inner) => "Text" / inner,
    Share(inner) => "Share" / inner,
    Vault(inner) => "Vault" / inner,
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::contents::{Entry, VaultContents};
    use crate::seal::{SealParams, seal};
    use crate::secret::SecretString;
    use crate::testkit;
    use crate::vault::ShareLabel;
    use rand::SeedableRng;

    fn sealed() -> crate::seal::Sealed {
        testkit::ceremony(&mut rand::rngs::ChaCha20Rng::seed_from_u64(5))
    }

    #[test]
    fn file_round_trips_and_carries_the_facts() {
        let s = sealed();
        let doc = ShareDocument::new(&s.shares[1], &s.vault).unwrap();
        assert_eq!(doc.facts.created, "2025-11-25");
        assert_eq!(doc.facts.next_drill_due, "2026-02-23");
        assert_eq!(doc.facts.title, "BREAK-GLASS KEY SHARE 2 of 3");
        let file = doc.to_file();
        assert!(file.contains("# Location:     Safe B (DR site)"));
        let d = decode_text(&file).unwrap();
        assert_eq!(d.shares.len(), 1);
        assert_eq!(d.shares[0].to_bytes(), s.shares[1].to_bytes());
        assert_eq!(d.vaults, vec![s.vault.clone()]);
    }

    #[test]
    fn qr_parts_reassemble() {
        let s = sealed();
        let doc = ShareDocument::new(&s.shares[0], &s.vault).unwrap();
        let mut blocks = Vec::new();
        for q in doc.vault_qr().iter().rev() {
            blocks.extend(text::parse_blocks(q).unwrap());
        }
        blocks.extend(text::parse_blocks(&doc.share.to_qr()).unwrap());
        let d = decode_blocks(blocks).unwrap();
        assert_eq!(d.vaults.len(), 1);
        assert_eq!(d.shares.len(), 1);
        assert!(d.incomplete.is_empty());
    }

    fn sealed_with(
        custodian: &str,
        drill_days: u16,
        created: u64,
        pass: bool,
    ) -> crate::seal::Sealed {
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(6);
        let labels = testkit::labels(4)
            .into_iter()
            .map(|l| ShareLabel {
                custodian: custodian.into(),
                ..l
            })
            .collect();
        let plan = SealParams {
            generation: 7,
            tenant: "fabrikam.onmicrosoft.com".into(),
            created,
            drill_interval_days: drill_days,
            labels,
            ..testkit::params(3, 4)
        };
        let plan = if pass {
            testkit::with_passphrase(plan)
        } else {
            plan
        };
        let contents = VaultContents {
            entries: vec![Entry::Note {
                label: "n".into(),
                text: SecretString::new("x".repeat(900)),
            }],
        };
        seal(&plan, &contents, &mut rng).unwrap()
    }

    #[test]
    fn next_drill_is_interval_days_later_or_not_scheduled() {
        assert_eq!(next_drill_due(testkit::CREATED, 0), None);
        assert_eq!(next_drill_date(testkit::CREATED, 0), "not scheduled");
        assert_eq!(next_drill_due(0, 1), Some(86_400));
        assert_eq!(
            next_drill_due(testkit::CREATED, 90),
            Some(testkit::CREATED + 90 * 86_400)
        );
        assert_eq!(next_drill_date(testkit::CREATED, 90), "2026-02-23");
        assert_eq!(
            next_drill_due(0, u16::MAX),
            Some(u64::from(u16::MAX) * 86_400)
        );
        // A forged date near the end of time saturates instead of wrapping to 1970.
        assert_eq!(next_drill_due(u64::MAX - 1, 1), Some(u64::MAX));
        assert_eq!(next_drill_date(u64::MAX - 1, 1), "(date out of range)");
    }

    #[test]
    fn a_vault_at_the_size_cap_needs_max_vault_qr_parts_codes() {
        assert_eq!(MAX_VAULT_QR_PARTS, 31);
        let most = TextForm::encode(Kind::Vault, &[0xA5; MAX_VAULT_BYTES]).unwrap();
        assert_eq!(most.qr_chunks(VAULT_LINES_PER_QR).len(), MAX_VAULT_QR_PARTS);
        let a_part_less = TextForm::encode(Kind::Vault, &[0xA5; MAX_VAULT_BYTES - 400]).unwrap();
        assert!(a_part_less.qr_chunks(VAULT_LINES_PER_QR).len() < MAX_VAULT_QR_PARTS);
    }

    #[test]
    fn facts_of_every_field() {
        let s = sealed_with("Dana", 30, 86_400 * 365, false);
        let f = SheetFacts::new(&s.vault.header, 4);
        assert_eq!(f.title, "BREAK-GLASS KEY SHARE 4 of 4");
        assert_eq!(
            f.subtitle,
            "any 3 shares recover the emergency credentials of fabrikam.onmicrosoft.com"
        );
        assert_eq!(f.vault_id, s.vault.header.vault_id.to_string());
        assert_eq!(f.fingerprint, s.vault.header.vault_id.fingerprint());
        assert_eq!((f.generation, f.index, f.threshold, f.count), (7, 4, 3, 4));
        assert_eq!(f.created, "1971-01-01");
        assert_eq!(f.next_drill_due, "1971-01-31");
        assert_eq!(
            (f.location.as_str(), f.custodian.as_str()),
            ("Bank box", "Dana")
        );
        assert!(!f.passphrase);
        // Index 1 is the first label; an index without a label gets none (not a panic).
        assert_eq!(SheetFacts::new(&s.vault.header, 1).location, "Safe A (HQ)");
        assert_eq!(SheetFacts::new(&s.vault.header, 0).location, "");
        assert_eq!(SheetFacts::new(&s.vault.header, 5).location, "");
        let none = sealed_with("", 0, 0, false);
        assert_eq!(
            SheetFacts::new(&none.vault.header, 1).next_drill_due,
            "not scheduled"
        );
        let far = sealed_with("", 1, u64::MAX, false);
        let f = SheetFacts::new(&far.vault.header, 1);
        assert_eq!(f.created, "(date out of range)");
        assert_eq!(f.next_drill_due, "(date out of range)");
        assert_eq!(iso_date(253_402_300_799), "9999-12-31");
        assert_eq!(iso_date(86_399), "1970-01-01");
    }

    #[test]
    fn file_states_custodian_passphrase_and_how_many_more() {
        let s = sealed_with("Dana", 30, 0, true);
        let doc = ShareDocument::new(&s.shares[0], &s.vault).unwrap();
        assert!(doc.facts.passphrase);
        let file = doc.to_file();
        assert!(file.contains("\n# Custodian:    Dana\n"));
        assert!(file.contains("\n# Passphrase:   required as well (not on any sheet)\n"));
        assert!(file.contains("\n# 2 more share(s) it opens the vault. Recover with:\n"));
        assert!(file.starts_with("# BREAK-GLASS KEY SHARE 1 of 4\n# any 3 shares"));
        assert!(file.ends_with(&format!(
            "{}\n",
            doc.vault.display_lines().last().unwrap().as_str()
        )));
        let plain = sealed_with("", 30, 0, false);
        let file = ShareDocument::new(&plain.shares[0], &plain.vault)
            .unwrap()
            .to_file();
        assert!(!file.contains("Custodian:"));
        assert!(!file.contains("Passphrase:"));
        // The share block and the vault block are in the file whole, each once.
        let doc = ShareDocument::new(&plain.shares[2], &plain.vault).unwrap();
        let file = doc.to_file();
        for form in [&doc.share, &doc.vault] {
            let block: String = form
                .display_lines()
                .iter()
                .map(|l| format!("\n{}", l.as_str()))
                .collect();
            assert_eq!(file.matches(&format!("{block}\n")).count(), 1);
        }
    }

    #[test]
    fn a_missing_qr_part_is_incomplete_not_an_error() {
        let s = sealed_with("", 30, 0, false);
        let doc = ShareDocument::new(&s.shares[0], &s.vault).unwrap();
        let parts = doc.vault_qr();
        assert!(
            parts.len() >= 2,
            "the 900-byte note needs two vault QR codes"
        );
        for p in &parts {
            let lines = p.split(' ').count() - 1;
            assert!(lines <= VAULT_LINES_PER_QR, "{lines} lines in one QR code");
        }
        let blocks = text::parse_blocks(&parts[1]).unwrap();
        let d = decode_blocks(blocks).unwrap();
        assert!(d.vaults.is_empty() && d.shares.is_empty());
        assert_eq!(d.incomplete.len(), 1);
        assert!(matches!(
            decode_text(&parts[1]),
            Err(DocumentError::Text(_))
        ));
        // A block that is complete but whose share does not parse is an error naming the share.
        let d = decode_text(&doc.share.to_qr()).unwrap();
        assert_eq!(d.shares.len(), 1);
        assert!(d.incomplete.is_empty());
    }

    #[test]
    fn error_kinds_are_the_frozen_names() {
        let t = decode_text("BG1-V-XX").unwrap_err();
        assert!(t.kind().starts_with("Text/"), "{}", t.kind());
        let garbage_share = TextForm::encode(Kind::Share, &[0u8; 10]).unwrap().to_qr();
        let e = decode_text(&garbage_share).unwrap_err();
        assert!(e.kind().starts_with("Share/"), "{}", e.kind());
        assert!(matches!(e, DocumentError::Share(_)));
        let garbage_vault = TextForm::encode(Kind::Vault, &[0u8; 10]).unwrap().to_qr();
        let e = decode_text(&garbage_vault).unwrap_err();
        assert!(e.kind().starts_with("Vault/"), "{}", e.kind());
        assert!(matches!(e, DocumentError::Vault(_)));
    }
    #[test]
    fn wording_names_the_tenant_whole_and_counts_the_sheets() {
        let mut s = sealed_with("", 30, 0, true);
        s.vault.header.tenant = "Contoso Ltd".into();
        let f = SheetFacts::new(&s.vault.header, 2);
        assert_eq!(f.tenant, "Contoso Ltd");
        let w = SheetWording::new(&f, 2);
        assert!(
            w.instructions[0].starts_with("1. This sheet is one of 4 key shares. Any 3 of them")
                && w.instructions[0].ends_with("credentials of Contoso Ltd. Fewer reveal nothing."),
            "{}",
            w.instructions[0]
        );
        assert!(w.instructions[1].contains(&format!("the fingerprint {} and", f.fingerprint)));
        assert!(w.instructions[4].contains("also needs its passphrase"));
        assert_eq!(
            w.recover_command,
            "./breakglass recover sheet-1.png sheet-2.png sheet-3.png"
        );
        assert!(w.instructions[2].contains("page 1 of each of 3 different sheets"));
        assert_eq!(w.instructions.len(), 8);
        assert!(w.format_summary.iter().any(|l| l.contains("FORMAT.md")));
    }

    #[test]
    fn many_sheets_or_parts_scan_into_one_folder() {
        let s = sealed_with("", 30, 0, false);
        let mut f = SheetFacts::new(&s.vault.header, 1);
        assert!(SheetWording::new(&f, 1).instructions[4].contains("needs no passphrase"));
        let folder = "./breakglass recover scans/*.png";
        let named = SheetWording::new(&f, PAGE_ONE_VAULT_PARTS);
        assert_ne!(named.recover_command, folder);
        // Vault codes beyond page 1: the bold note names the pages, scans go in a folder.
        let more = SheetWording::new(&f, PAGE_ONE_VAULT_PARTS + 1);
        assert_eq!(more.recover_command, folder);
        assert!(more.instructions[2].starts_with("3. Scan or photograph the pages the bold note"));
        assert!(more.instructions[2].ends_with("in one folder named scans."));
        // More sheets than are named one by one.
        f.threshold = FEW_SHEETS;
        assert_ne!(SheetWording::new(&f, 1).recover_command, folder);
        f.threshold = FEW_SHEETS + 1;
        let w = SheetWording::new(&f, 1);
        assert_eq!(w.recover_command, folder);
        assert!(w.instructions[2].contains(" With 6 sheets, put all the scans"));
    }
}
