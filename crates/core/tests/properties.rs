//! Property tests over the whole composition (seal → shares → recover): every k-subset opens in
//! any order, and k−1 shares never decrypt — not even when the refusal is bypassed and the
//! k−1 points are interpolated anyway.

use breakglass_core::aead;
use breakglass_core::recover::{self, RecoverError, Sourced};
use breakglass_core::seal::seal;
use breakglass_core::secret::VaultSecret;
use breakglass_core::testkit::{self, contents};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn k_subsets_open_and_k_minus_one_never_decrypts(n in 2u8..=7, kk in 0u8..7, seed: u64, rot in 0usize..7) {
        let k = 2 + kk % (n - 1);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let sealed = seal(&testkit::params(k, usize::from(n)), &contents(), &mut rng).unwrap();
        for mask in 0u32..(1 << n) {
            let mut subset: Vec<_> = (0..n as usize).filter(|i| mask & (1 << i) != 0).map(|i| sealed.shares[i].clone()).collect();
            let len = subset.len();
            if len == 0 || (len != k as usize && len + 1 != k as usize) {
                continue;
            }
            subset.rotate_left(rot % len);
            let shares: Vec<_> = subset.iter().map(|s| Sourced::new(format!("s{}", s.index()), s.clone())).collect();
            let result = recover::match_shares(shares, vec![Sourced::new("v", sealed.vault.clone())]).and_then(|s| s.open(None));
            if len == k as usize {
                prop_assert_eq!(result.unwrap().contents, contents());
            } else {
                let refused = matches!(result, Err(RecoverError::NotEnoughShares { .. }));
                prop_assert!(refused);
                // Bypass the refusal: interpolate the k−1 points anyway. The key is wrong and
                // the tag does not check.
                let points: Vec<blahaj::Share> = subset
                    .iter()
                    .map(|s| {
                        let mut b = vec![s.index()];
                        b.extend_from_slice(s.point().expose_y());
                        blahaj::Share::try_from(&b[..]).unwrap()
                    })
                    .collect();
                let guess = blahaj::Sharks((k - 1).max(1)).recover(&points).unwrap();
                let secret = VaultSecret::from_bytes(guess.try_into().unwrap());
                let key = aead::derive_key(&secret, sealed.vault.header.vault_id.as_bytes(), None);
                let opened = aead::decrypt(&key, &sealed.vault.nonce, &sealed.vault.header.to_bytes(), &sealed.vault.ciphertext);
                prop_assert!(opened.is_err());
            }
        }
    }
}
