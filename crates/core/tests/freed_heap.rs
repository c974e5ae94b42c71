//! No freed heap block holds a generated secret after a ceremony and a recovery.
//!
//! A recording global allocator scans every block as it is freed for the secrets a ceremony
//! generates or reads (passwords, a FIDO2 PIN, a TOTP seed and its key, a note). A secret left in
//! a freed block outlives every `Zeroize` in the code: `Vec` growth (the old buffer is freed as
//! is), a temporary `String`, a copy made by a parser. The allocator's `realloc` is the default
//! one (allocate, copy, free the old block through `dealloc`), so a buffer that the system
//! allocator might have grown in place is scanned too: stricter than the real allocator.
//!
//! The binary itself cannot take a test allocator, so the ceremony and the recovery are built
//! here through the core API with the sizes a ceremony uses: what `breakglass ceremony` does
//! (generate, check, seal, write the sheet text) and what `breakglass recover` does (decode the
//! sheet text, check, combine, open, compute the TOTP code). Printing is the binary's part.
//!
//! One test only: the allocator is global, and a second test's frees would be scanned too.

// A recording global allocator is unsafe by its trait: allowed in this test only.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use breakglass_core::document::{self, ShareDocument};
use breakglass_core::password::{self, PasswordPolicy};
use breakglass_core::recover::{self, Sourced};
use breakglass_core::seal::{self, SealParams};
use breakglass_core::testkit;
use breakglass_core::totp::Totp;
use breakglass_core::{Entry, SecretString, VaultContents};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const MAX_NEEDLES: usize = 16;
const NEEDLE_BYTES: usize = 1536;

/// The secrets to look for, copied into static memory (never the heap) before recording starts.
struct Needles {
    bytes: UnsafeCell<[[u8; NEEDLE_BYTES]; MAX_NEEDLES]>,
    lens: UnsafeCell<[usize; MAX_NEEDLES]>,
}
// SAFETY: written only while `ARMED` is false, by the one test thread; read only while it is
// true.
unsafe impl Sync for Needles {}

static NEEDLES: Needles = Needles {
    bytes: UnsafeCell::new([[0; NEEDLE_BYTES]; MAX_NEEDLES]),
    lens: UnsafeCell::new([0; MAX_NEEDLES]),
};
static NEEDLE_COUNT: AtomicUsize = AtomicUsize::new(0);
static ARMED: AtomicBool = AtomicBool::new(false);
/// Freed blocks that held a secret: how many, and the first few (needle index, block size).
static HITS: AtomicUsize = AtomicUsize::new(0);
static HIT_LOG: [(AtomicUsize, AtomicUsize); 8] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 8];

struct Recording;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay.len() >= needle.len()
        && hay.windows(needle.len()).any(|w| w == needle)
}

// SAFETY: every allocation is the system allocator's; `dealloc` only reads the block first.
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on as the trait requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Acquire) {
            // SAFETY: the block is still allocated and `layout.size()` bytes long.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            let count = NEEDLE_COUNT.load(Ordering::Acquire);
            // SAFETY: the needles are not written while armed.
            let (bytes, lens) = unsafe { (&*NEEDLES.bytes.get(), &*NEEDLES.lens.get()) };
            for i in 0..count {
                if contains(block, &bytes[i][..lens[i]]) {
                    let n = HITS.fetch_add(1, Ordering::AcqRel);
                    if let Some((which, size)) = HIT_LOG.get(n) {
                        which.store(i, Ordering::Release);
                        size.store(layout.size(), Ordering::Release);
                    }
                }
            }
        }
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// Adds a secret to look for; only before recording starts.
fn watch(secret: &[u8]) {
    assert!(!ARMED.load(Ordering::Acquire));
    let i = NEEDLE_COUNT.load(Ordering::Acquire);
    assert!(i < MAX_NEEDLES && secret.len() <= NEEDLE_BYTES && secret.len() >= 8);
    // SAFETY: not armed, and this single test is the only writer.
    unsafe {
        let (bytes, lens) = (&mut *NEEDLES.bytes.get(), &mut *NEEDLES.lens.get());
        bytes[i][..secret.len()].copy_from_slice(secret);
        lens[i] = secret.len();
    }
    NEEDLE_COUNT.store(i + 1, Ordering::Release);
}

const SEED: u64 = 0x0b5e_55ed;
const TOTP_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPGEZDGNBVGY3TQOJQ";
const ACCOUNTS: [&str; 2] = ["bg1@contoso.onmicrosoft.com", "bg2@contoso.onmicrosoft.com"];

/// The secrets a ceremony generates (passwords, a PIN) from `rng`, in the ceremony's order.
fn generate(rng: &mut ChaCha20Rng) -> Vec<Entry> {
    let policy = PasswordPolicy::default();
    let mut entries = Vec::new();
    for upn in ACCOUNTS {
        entries.push(Entry::Account {
            upn: upn.into(),
            display_name: "Break Glass".into(),
            password: policy.generate(rng).expect("default policy"),
        });
        entries.push(Entry::Fido2 {
            label: format!("YubiKey 5 NFC #1234 for {upn}"),
            pin: password::generate_pin(rng, 8, false).expect("8 digits"),
        });
    }
    entries
}

fn totp_uri() -> SecretString {
    SecretString::new(format!(
        "otpauth://totp/Contoso:bg1?secret={TOTP_SEED}&issuer=Contoso&algorithm=SHA1&digits=6&period=30"
    ))
}

/// A page of registrar recovery codes: large enough that a growing buffer reallocates.
fn note() -> SecretString {
    let mut s = String::with_capacity(1200);
    for i in 0..60u32 {
        s.push_str(&format!("{:04}-{:08X}\n", i, i.wrapping_mul(0x9E37_79B9)));
    }
    SecretString::new(s)
}

fn ceremony_and_recover(rng: &mut ChaCha20Rng) {
    // Ceremony: generate, add what the operator gave, check, seal, write the sheet text.
    let mut entries = generate(rng);
    entries.push(Entry::Totp {
        label: "Contoso:bg1".into(),
        uri: totp_uri(),
    });
    entries.push(Entry::Note {
        label: "registrar-recovery-codes.txt".into(),
        text: note(),
    });
    if let Entry::Totp { uri, .. } = &entries[4] {
        Totp::from_uri(uri.expose_secret()).expect("a valid URI");
    }
    let contents = VaultContents { entries };
    contents.check_fields().expect("clean fields");
    let plan = SealParams {
        created: 1_790_000_000,
        drill_interval_days: 180,
        ..testkit::params(2, 3)
    };
    let sealed = seal::seal(&plan, &contents, rng).expect("seals");
    let files: Vec<_> = sealed
        .shares
        .iter()
        .map(|s| {
            let t = ShareDocument::new(s, &sealed.vault).expect("fits");
            let _qr = t.vault_qr();
            t.to_file()
        })
        .collect();

    // Recovery from two of the three sheet files.
    let mut shares = Vec::new();
    let mut vaults = Vec::new();
    for (i, f) in files.iter().enumerate().skip(1) {
        let d = document::decode_text(f).expect("a sheet decodes");
        let source = format!("share-{}.txt", i + 1);
        shares.extend(
            d.shares
                .into_iter()
                .map(|s| Sourced::new(source.clone(), s)),
        );
        vaults.extend(
            d.vaults
                .into_iter()
                .map(|v| Sourced::new(source.clone(), v)),
        );
    }
    let recovered = recover::match_shares(shares, vaults)
        .expect("two honest sheets")
        .open(None)
        .expect("opens");
    assert_eq!(recovered.contents, contents);
    for e in &recovered.contents.entries {
        if let Entry::Totp { uri, .. } = e {
            let code = Totp::from_uri(uri.expose_secret())
                .expect("valid")
                .code_at(1_790_000_000);
            assert_eq!(code.code.len(), 6);
        }
    }
}

#[test]
fn no_freed_block_holds_a_generated_secret() {
    // The same seed gives the same passwords and PINs: learn them first, unrecorded.
    {
        let mut rng = ChaCha20Rng::seed_from_u64(SEED);
        for e in generate(&mut rng) {
            match &e {
                Entry::Account { password, .. } => watch(password.expose_secret().as_bytes()),
                Entry::Fido2 { pin, .. } => watch(pin.expose_secret().as_bytes()),
                _ => unreachable!(),
            }
        }
        watch(TOTP_SEED.as_bytes());
        let key = data_encoding::BASE32_NOPAD
            .decode(TOTP_SEED.as_bytes())
            .expect("base32");
        watch(&key);
        let note = note();
        let text = note.expose_secret().as_bytes();
        watch(&text[..48]);
        watch(&text[text.len() - 48..]);
    }
    assert_eq!(NEEDLE_COUNT.load(Ordering::Acquire), 8);

    // The check can fail: a block freed with a secret in it is seen.
    ARMED.store(true, Ordering::Release);
    drop(std::hint::black_box(TOTP_SEED.to_string()));
    ARMED.store(false, Ordering::Release);
    assert_eq!(
        HITS.swap(0, Ordering::AcqRel),
        1,
        "the scanner missed a planted secret"
    );

    ARMED.store(true, Ordering::Release);
    ceremony_and_recover(&mut ChaCha20Rng::seed_from_u64(SEED));
    ARMED.store(false, Ordering::Release);

    let hits = HITS.load(Ordering::Acquire);
    let log: Vec<(usize, usize)> = HIT_LOG
        .iter()
        .take(hits)
        .map(|(w, s)| (w.load(Ordering::Acquire), s.load(Ordering::Acquire)))
        .collect();
    assert_eq!(
        hits, 0,
        "{hits} freed heap blocks still held a secret; first (secret #, block bytes): {log:?} \
         (0-3: passwords and PINs, 4: TOTP seed text, 5: TOTP key, 6-7: note)"
    );
}
