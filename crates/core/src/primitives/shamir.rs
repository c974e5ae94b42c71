//! k-of-n splitting of the vault secret over GF(256), through `blahaj`.
//!
//! blahaj (the maintained fork of `sharks` with the RUSTSEC-2024-0398 fix) silently returns a
//! wrong secret for a duplicated point, a point at x = 0 or too few points, so every rule is
//! checked here before it is called. This module knows points, not sheets or formats.

use crate::secret::{KEY_BYTES, VaultSecret};
use blahaj::{Share as Point, Sharks};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Smallest threshold: with k = 1 every share would be the secret itself.
pub const MIN_THRESHOLD: u8 = 2;
/// Most shares of one secret: a share's index is a non-zero element of GF(2^8).
pub const MAX_SHARES: usize = u8::MAX as usize;

/// One point (x, y) of the 32 polynomials; y is secret.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SharePoint {
    x: u8,
    y: Box<[u8; KEY_BYTES]>,
}

impl core::fmt::Debug for SharePoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SharePoint {{ x: {}, y: [REDACTED] }}", self.x)
    }
}

impl SharePoint {
    pub fn new(x: u8, y: [u8; KEY_BYTES]) -> Self {
        let mut y = y;
        let p = Self { x, y: Box::new(y) };
        y.zeroize();
        p
    }
    pub fn x(&self) -> u8 {
        self.x
    }
    pub fn expose_y(&self) -> &[u8; KEY_BYTES] {
        &self.y
    }

    fn to_blahaj(&self) -> Point {
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(1 + KEY_BYTES));
        bytes.push(self.x);
        bytes.extend_from_slice(&self.y[..]);
        Point::try_from(&bytes[..]).expect("33 bytes make a valid point")
    }

    fn from_blahaj(p: &Point) -> Self {
        let bytes = zeroize::Zeroizing::new(Vec::<u8>::from(p));
        let mut y = [0u8; KEY_BYTES];
        y.copy_from_slice(&bytes[1..]);
        Self::new(bytes[0], y)
    }
}

/// Why a split or a combination was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShamirError {
    #[error("threshold {k} is too low: at least {MIN_THRESHOLD} shares must be needed")]
    ThresholdTooLow { k: u8 },
    #[error("threshold {k} is more than the {n} shares made: recovery would be impossible")]
    ThresholdAboveCount { k: u8, n: u8 },
    #[error("share index 0 is never valid (it would be the secret itself)")]
    IndexZero,
    #[error("share {x} was given twice")]
    DuplicateIndex { x: u8 },
    #[error("{needed} different shares are needed, {given} given")]
    NotEnough { needed: u8, given: usize },
}

/// Splits the secret into shares with x = 1..=n.
///
/// # Errors
/// [`ShamirError`] when k < 2 or k > n.
pub fn split<R: rand_core::CryptoRng + ?Sized>(
    secret: &VaultSecret,
    k: u8,
    n: u8,
    rng: &mut R,
) -> Result<Vec<SharePoint>, ShamirError> {
    if k < MIN_THRESHOLD {
        return Err(ShamirError::ThresholdTooLow { k });
    }
    if k > n {
        return Err(ShamirError::ThresholdAboveCount { k, n });
    }
    let mut rng = RngRef(rng);
    Ok(Sharks(k)
        .dealer_rng(secret.expose_secret(), &mut rng)
        .take(n as usize)
        .map(|p| SharePoint::from_blahaj(&p))
        .collect())
}

fn check_points(points: &[&SharePoint], k: u8) -> Result<(), ShamirError> {
    if k < MIN_THRESHOLD {
        return Err(ShamirError::ThresholdTooLow { k });
    }
    let mut seen = [false; 256];
    for p in points {
        if p.x == 0 {
            return Err(ShamirError::IndexZero);
        }
        if std::mem::replace(&mut seen[p.x as usize], true) {
            return Err(ShamirError::DuplicateIndex { x: p.x });
        }
    }
    if points.len() < k as usize {
        return Err(ShamirError::NotEnough {
            needed: k,
            given: points.len(),
        });
    }
    Ok(())
}

/// Recombines exactly the first `k` of the given points.
///
/// Points must come from the same split; a foreign or altered point yields a wrong secret,
/// which the caller detects by commitment and by the AEAD tag.
///
/// # Errors
/// [`ShamirError`] for x = 0, a repeated x, or fewer than k points.
pub fn combine(points: &[&SharePoint], k: u8) -> Result<VaultSecret, ShamirError> {
    check_points(points, k)?;
    let used: Vec<Point> = points[..k as usize].iter().map(|p| p.to_blahaj()).collect();
    let bytes = zeroize::Zeroizing::new(
        Sharks(k)
            .recover(&used)
            .expect("points were checked: distinct, non-zero, enough"),
    );
    let mut out = [0u8; KEY_BYTES];
    out.copy_from_slice(&bytes);
    let s = VaultSecret::from_bytes(out);
    out.zeroize();
    Ok(s)
}

/// Evaluates the polynomial through the first `k` points at a new `x`, to issue an extra share
/// without changing the secret.
///
/// Uses blahaj's interpolation at zero on the points translated by `x` (addition in GF(2^8)
/// is XOR, so g(t) = f(t ⊕ x) has g(0) = f(x)).
///
/// # Errors
/// [`ShamirError`] as for [`combine`], and `DuplicateIndex` when `x` is already a point.
pub fn evaluate_at(points: &[&SharePoint], k: u8, x: u8) -> Result<SharePoint, ShamirError> {
    check_points(points, k)?;
    if x == 0 {
        return Err(ShamirError::IndexZero);
    }
    if points.iter().any(|p| p.x == x) {
        return Err(ShamirError::DuplicateIndex { x });
    }
    let shifted: Vec<SharePoint> = points[..k as usize]
        .iter()
        .map(|p| SharePoint::new(p.x ^ x, *p.y))
        .collect();
    let refs: Vec<&SharePoint> = shifted.iter().collect();
    let value = combine(&refs, k)?;
    Ok(SharePoint::new(x, *value.expose_secret()))
}

/// Lets blahaj take a `?Sized` RNG by reference.
struct RngRef<'a, R: ?Sized>(&'a mut R);

impl<R: rand_core::CryptoRng + ?Sized> rand_core::TryRng for RngRef<'_, R> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}
impl<R: rand_core::CryptoRng + ?Sized> rand_core::TryCryptoRng for RngRef<'_, R> {}

crate::error_kinds! { ShamirError {
    ThresholdTooLow => "ThresholdTooLow",
    ThresholdAboveCount => "ThresholdAboveCount",
    IndexZero => "IndexZero",
    DuplicateIndex => "DuplicateIndex",
    NotEnough => "NotEnough",
} }

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn secret() -> VaultSecret {
        VaultSecret::from_bytes(core::array::from_fn(|i| i as u8 * 7))
    }

    #[test]
    fn split_rules() {
        let mut r = ChaCha20Rng::seed_from_u64(1);
        assert_eq!(
            split(&secret(), 1, 3, &mut r).unwrap_err(),
            ShamirError::ThresholdTooLow { k: 1 }
        );
        assert_eq!(
            split(&secret(), 4, 3, &mut r).unwrap_err(),
            ShamirError::ThresholdAboveCount { k: 4, n: 3 }
        );
        let pts = split(&secret(), 2, 255, &mut r).unwrap();
        assert_eq!(pts.len(), 255);
        assert_eq!(pts[0].x(), 1);
        assert_eq!(pts[254].x(), 255);
    }

    #[test]
    fn combine_rejects_what_blahaj_would_accept() {
        let mut r = ChaCha20Rng::seed_from_u64(2);
        let pts = split(&secret(), 2, 3, &mut r).unwrap();
        assert_eq!(
            combine(&[&pts[0], &pts[0]], 2).unwrap_err(),
            ShamirError::DuplicateIndex { x: 1 }
        );
        let zero = SharePoint::new(0, [1; 32]);
        assert_eq!(
            combine(&[&zero, &pts[1]], 2).unwrap_err(),
            ShamirError::IndexZero
        );
        assert_eq!(
            combine(&[&pts[1]], 2).unwrap_err(),
            ShamirError::NotEnough {
                needed: 2,
                given: 1
            }
        );
        assert_eq!(combine(&[&pts[2], &pts[0]], 2).unwrap(), secret());
    }

    #[test]
    fn evaluate_at_extends_the_same_polynomial() {
        let mut r = ChaCha20Rng::seed_from_u64(3);
        let pts = split(&secret(), 3, 5, &mut r).unwrap();
        let p6 = evaluate_at(&[&pts[0], &pts[2], &pts[4]], 3, 6).unwrap();
        let p7 = evaluate_at(&[&pts[1], &pts[2], &pts[3]], 3, 7).unwrap();
        // The new points recombine with old ones.
        assert_eq!(combine(&[&p6, &pts[1], &p7], 3).unwrap(), secret());
        // And equal what the dealer would have made for x = 6.
        let mut r = ChaCha20Rng::seed_from_u64(3);
        let all = split(&secret(), 3, 7, &mut r).unwrap();
        assert_eq!(all[5].expose_y(), p6.expose_y());
        assert_eq!(
            evaluate_at(&[&pts[0], &pts[1], &pts[2]], 3, 2).unwrap_err(),
            ShamirError::DuplicateIndex { x: 2 }
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every k-subset recovers, in any order; every (k-1)-subset is refused.
        #[test]
        fn every_k_subset_recovers(n in 2u8..=7, kk in 0u8..7, seed: u64, bytes: [u8; 32], rot in 0usize..7) {
            let k = 2 + kk % (n - 1);
            let s = VaultSecret::from_bytes(bytes);
            let mut r = ChaCha20Rng::seed_from_u64(seed);
            let pts = split(&s, k, n, &mut r).unwrap();
            for mask in 0u32..(1 << n) {
                let mut subset: Vec<&SharePoint> = (0..n as usize).filter(|i| mask & (1 << i) != 0).map(|i| &pts[i]).collect();
                let len = subset.len();
                if len > 0 { subset.rotate_left(rot % len); }
                if subset.len() == k as usize {
                    prop_assert!(combine(&subset, k).unwrap() == s);
                } else if subset.len() == k as usize - 1 {
                    let is_not_enough = matches!(combine(&subset, k), Err(ShamirError::NotEnough { .. }));
                    prop_assert!(is_not_enough);
                }
            }
        }
    }

    #[test]
    fn points_expose_what_they_hold_and_debug_hides_y() {
        let p = SharePoint::new(7, [0xAB; 32]);
        assert_eq!(p.x(), 7);
        assert_eq!(p.expose_y(), &[0xAB; 32]);
        let d = format!("{p:?}");
        assert_eq!(d, "SharePoint { x: 7, y: [REDACTED] }");
        let b = p.to_blahaj();
        let back = SharePoint::from_blahaj(&b);
        assert_eq!(back.x(), 7);
        assert_eq!(back.expose_y(), &[0xAB; 32]);
    }

    #[test]
    fn shares_depend_on_the_rng_and_hide_the_secret() {
        let a = split(&secret(), 2, 3, &mut ChaCha20Rng::seed_from_u64(10)).unwrap();
        let b = split(&secret(), 2, 3, &mut ChaCha20Rng::seed_from_u64(11)).unwrap();
        let again = split(&secret(), 2, 3, &mut ChaCha20Rng::seed_from_u64(10)).unwrap();
        assert_eq!(a[0].expose_y(), again[0].expose_y());
        assert_ne!(a[0].expose_y(), b[0].expose_y());
        for p in &a {
            assert_ne!(p.expose_y(), secret().expose_secret());
        }
        // Across many splits every byte value shows up in the first share's first byte.
        let mut seen = [false; 256];
        let mut r = ChaCha20Rng::seed_from_u64(12);
        for _ in 0..4000 {
            let p = split(&secret(), 2, 2, &mut r).unwrap();
            seen[p[0].expose_y()[1] as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "coefficients are not uniform");
    }

    #[test]
    fn thresholds_at_the_bounds() {
        let mut r = ChaCha20Rng::seed_from_u64(13);
        let pts = split(&secret(), 3, 3, &mut r).unwrap();
        assert_eq!(pts.len(), 3);
        let refs: Vec<&SharePoint> = pts.iter().collect();
        assert_eq!(combine(&refs, 3).unwrap(), secret());
        assert_eq!(
            combine(&refs, 1).unwrap_err(),
            ShamirError::ThresholdTooLow { k: 1 }
        );
        assert_eq!(
            combine(&refs, 0).unwrap_err(),
            ShamirError::ThresholdTooLow { k: 0 }
        );
        assert_eq!(
            evaluate_at(&refs, 1, 9).unwrap_err(),
            ShamirError::ThresholdTooLow { k: 1 }
        );
        // More than k points: only the first k are used.
        let pts = split(&secret(), 2, 4, &mut r).unwrap();
        let junk = SharePoint::new(4, [0; 32]);
        assert_eq!(combine(&[&pts[0], &pts[1], &junk], 2).unwrap(), secret());
        assert_ne!(combine(&[&pts[0], &junk, &pts[1]], 2).unwrap(), secret());
        // Two points with the same x later in the list are still refused.
        assert_eq!(
            combine(&[&pts[0], &pts[1], &pts[2], &pts[2]], 2).unwrap_err(),
            ShamirError::DuplicateIndex { x: 3 }
        );
        // Fewer than k is checked after index 0 and duplicates.
        let zero = SharePoint::new(0, [1; 32]);
        assert_eq!(combine(&[&zero], 2).unwrap_err(), ShamirError::IndexZero);
        assert_eq!(
            combine(&[], 2).unwrap_err(),
            ShamirError::NotEnough {
                needed: 2,
                given: 0
            }
        );
    }

    #[test]
    fn evaluate_at_rules() {
        let mut r = ChaCha20Rng::seed_from_u64(14);
        let pts = split(&secret(), 2, 3, &mut r).unwrap();
        assert_eq!(
            evaluate_at(&[&pts[0], &pts[1]], 2, 0).unwrap_err(),
            ShamirError::IndexZero
        );
        assert_eq!(
            evaluate_at(&[&pts[0]], 2, 5).unwrap_err(),
            ShamirError::NotEnough {
                needed: 2,
                given: 1
            }
        );
        // x equal to a point beyond the first k is refused too.
        assert_eq!(
            evaluate_at(&[&pts[0], &pts[1], &pts[2]], 2, 3).unwrap_err(),
            ShamirError::DuplicateIndex { x: 3 }
        );
        let p3 = evaluate_at(&[&pts[0], &pts[1]], 2, 3).unwrap();
        assert_eq!(p3.x(), 3);
        assert_eq!(p3.expose_y(), pts[2].expose_y());
        let p255 = evaluate_at(&[&pts[1], &pts[2]], 2, 255).unwrap();
        assert_eq!(p255.x(), 255);
        assert_eq!(combine(&[&p255, &pts[0]], 2).unwrap(), secret());
    }
}
