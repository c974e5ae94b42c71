//! Error kinds: the frozen name of every error the workspace's libraries return. It only names
//! errors; what an error means to a command (its exit code, a flag that fixes it) is the
//! binary's.
//!
//! Every error type implements [`ErrorKind`], most through [`error_kinds!`](crate::error_kinds),
//! a table from each variant to its name that the compiler holds exhaustive.

/// An error's frozen kind: a path of names, outermost first (`Kdf/TooExpensive`,
/// `Vault/Kdf/TooExpensive`, `Contents/UnknownEntry`), that tests, vectors, scripts and other
/// decoders match on. A kind is never renamed or reused for another meaning: it is part of the
/// format like a field. FORMAT.md §9 lists the kinds of the formats and of recovery (what the
/// vectors' `expect` rows name, `Recover/` prefixed by the vectors) and §13.2 those of the
/// tenant export (`Export/…`); the others (seal, plan, policy, and the paper crate's sheet,
/// raster and scan errors) are held to the same rule, with the unit tests beside each type as
/// their record.
pub trait ErrorKind {
    /// This error's own part of the path: the variant's name, or for a variant that wraps
    /// another error, the stage it reports it from (`Kdf` in `Kdf/TooExpensive`). A variant
    /// that passes another error through unchanged answers with that error's own part.
    fn own_kind(&self) -> &'static str;

    /// The wrapped error whose kind continues the path, if any.
    fn nested_kind(&self) -> Option<&dyn ErrorKind> {
        None
    }

    /// The whole frozen path: [`own_kind`](Self::own_kind) and those of the nested errors,
    /// joined by `/`.
    fn kind(&self) -> String {
        let mut path = String::from(self.own_kind());
        let mut next = self.nested_kind();
        while let Some(e) = next {
            path.push('/');
            path.push_str(e.own_kind());
            next = e.nested_kind();
        }
        path
    }
}

/// Implements [`ErrorKind`] for an enum from one table, one row per variant (the match is
/// exhaustive, so a new variant does not compile until it has a name):
///
/// - `Variant => "Name"`, or `A | B => "Name"` for variants that share one name;
/// - `Variant(inner) => "Stage" / inner` for a variant wrapping another error (one field):
///   `Stage/` then the inner error's path;
/// - `Variant(inner) => inner` for a variant that passes its error through: the inner path.
///
/// The names are written out, not taken from the variant's identifier, so renaming a variant
/// never renames a kind.
///
/// ```
/// # #[derive(Debug)] enum KdfError { TooExpensive { required: u32 }, Failed }
/// # #[derive(Debug)] enum UnlockError { Kdf(KdfError), Altered, Tampered }
/// breakglass_core::error_kinds! { KdfError {
///     TooExpensive => "TooExpensive",
///     Failed => "Failed",
/// } }
/// breakglass_core::error_kinds! { UnlockError {
///     Kdf(inner) => "Kdf" / inner,
///     Altered | Tampered => "Altered",
/// } }
/// use breakglass_core::ErrorKind;
/// let e = UnlockError::Kdf(KdfError::TooExpensive { required: 2 });
/// assert_eq!(e.kind(), "Kdf/TooExpensive");
/// assert_eq!(e.own_kind(), "Kdf");
/// assert_eq!(UnlockError::Tampered.kind(), "Altered");
/// ```
#[macro_export]
macro_rules! error_kinds {
    ($ty:ident { $($rows:tt)* }) => {
        $crate::error_kinds!(@row $ty [] [] $($rows)*);
    };
    // `Variant(inner) => "Stage" / inner`
    (@row $ty:ident [$($own:tt)*] [$($nested:tt)*]
        $v:ident ( inner ) => $name:literal / inner $(, $($rest:tt)*)?) => {
        $crate::error_kinds!(@row $ty
            [$($own)* $ty::$v(_) => $name,]
            [$($nested)* $ty::$v(inner) => ::core::option::Option::Some(inner),]
            $($($rest)*)?);
    };
    // `Variant(inner) => inner`
    (@row $ty:ident [$($own:tt)*] [$($nested:tt)*]
        $v:ident ( inner ) => inner $(, $($rest:tt)*)?) => {
        $crate::error_kinds!(@row $ty
            [$($own)* $ty::$v(inner) => $crate::ErrorKind::own_kind(inner),]
            [$($nested)* $ty::$v(inner) => $crate::ErrorKind::nested_kind(inner),]
            $($($rest)*)?);
    };
    // `A | B => "Name"`
    (@row $ty:ident [$($own:tt)*] [$($nested:tt)*]
        $($v:ident)|+ => $name:literal $(, $($rest:tt)*)?) => {
        $crate::error_kinds!(@row $ty
            [$($own)* $($ty::$v { .. })|+ => $name,]
            [$($nested)* $($ty::$v { .. })|+ => ::core::option::Option::None,]
            $($($rest)*)?);
    };
    (@row $ty:ident [$($own:tt)*] [$($nested:tt)*]) => {
        impl $crate::ErrorKind for $ty {
            fn own_kind(&self) -> &'static str {
                match self {
                    $($own)*
                }
            }

            fn nested_kind(&self) -> ::core::option::Option<&dyn $crate::ErrorKind> {
                match self {
                    $($nested)*
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;
    use crate::document::DocumentError;
    use crate::kdf::KdfError;
    use crate::recover::RecoverError;
    use crate::vault::VaultError;
    use crate::{ContentsError, SealError};

    fn too_expensive() -> KdfError {
        KdfError::TooExpensive {
            what: "memory",
            required: 2,
            max: 1,
        }
    }

    /// The paths FORMAT.md §9 gives as examples, through two and three levels of nesting.
    #[test]
    fn nested_errors_give_the_whole_path() {
        let e = DocumentError::Vault(VaultError::Kdf(too_expensive()));
        assert_eq!(e.kind(), "Vault/Kdf/TooExpensive");
        assert_eq!(e.own_kind(), "Vault");
        assert_eq!(
            RecoverError::Kdf(too_expensive()).kind(),
            "Kdf/TooExpensive"
        );
        assert_eq!(
            RecoverError::Contents(ContentsError::FieldTooLong { len: 9 }).kind(),
            "Contents/FieldTooLong"
        );
        assert_eq!(
            RecoverError::NotEnoughShares {
                needed: 2,
                count: 3,
                given: 1,
                rejected: vec![]
            }
            .kind(),
            "NotEnoughShares"
        );
        assert_eq!(
            SealError::Contents(ContentsError::Empty).kind(),
            "Contents/Empty"
        );
    }
}
