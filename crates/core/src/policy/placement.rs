//! Where the shares are: can one place or one person recover alone, and does losing one place
//! make recovery impossible? Pure arithmetic over labels; the CLI prints and decides.

use crate::vault::ShareLabel;
use std::collections::BTreeMap;

/// One finding, in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A location holds k or more shares: it can recover alone. Refused unless overridden.
    LocationAlone { location: String, holds: usize },
    /// A custodian holds k or more shares.
    CustodianAlone { custodian: String, holds: usize },
    /// Losing this location leaves fewer than k shares.
    LossBlocks { location: String, left: usize },
    /// Fewer than two distinct locations.
    OneLocation,
}

/// The placement of a k-of-n set.
#[derive(Clone, Debug)]
pub struct Placement {
    pub threshold: usize,
    pub locations: BTreeMap<String, usize>,
    pub custodians: BTreeMap<String, usize>,
    pub total: usize,
}

impl Placement {
    /// Locations and custodians are compared case-insensitively, trimmed.
    pub fn new(threshold: u8, labels: &[ShareLabel]) -> Self {
        let mut locations = BTreeMap::new();
        let mut custodians = BTreeMap::new();
        for l in labels {
            *locations
                .entry(l.location.trim().to_lowercase())
                .or_insert(0) += 1;
            if !l.custodian.trim().is_empty() {
                *custodians
                    .entry(l.custodian.trim().to_lowercase())
                    .or_insert(0) += 1;
            }
        }
        let names = |m: BTreeMap<String, usize>, src: &dyn Fn(&ShareLabel) -> &str| {
            m.into_iter()
                .map(|(k, v)| {
                    let shown = labels
                        .iter()
                        .map(|l| src(l).trim())
                        .find(|s| s.to_lowercase() == k)
                        .unwrap_or(&k)
                        .to_string();
                    (shown, v)
                })
                .collect()
        };
        Self {
            threshold: threshold.into(),
            locations: names(locations, &|l| &l.location),
            custodians: names(custodians, &|l| &l.custodian),
            total: labels.len(),
        }
    }

    pub fn findings(&self) -> Vec<Finding> {
        let mut f = Vec::new();
        if self.locations.len() < 2 {
            f.push(Finding::OneLocation);
        }
        for (loc, &holds) in &self.locations {
            if holds >= self.threshold {
                f.push(Finding::LocationAlone {
                    location: loc.clone(),
                    holds,
                });
            }
            let left = self.total - holds;
            if left < self.threshold {
                f.push(Finding::LossBlocks {
                    location: loc.clone(),
                    left,
                });
            }
        }
        for (c, &holds) in &self.custodians {
            if holds >= self.threshold {
                f.push(Finding::CustodianAlone {
                    custodian: c.clone(),
                    holds,
                });
            }
        }
        f
    }

    /// True when some location could recover alone: a ceremony refuses this unless overridden.
    pub fn refused(&self) -> bool {
        self.findings().iter().any(|f| {
            matches!(
                f,
                Finding::LocationAlone { .. } | Finding::CustodianAlone { .. }
            )
        })
    }

    /// The report in plain words, one line per location, then warnings.
    pub fn report(&self) -> Vec<String> {
        let k = self.threshold;
        let mut out = Vec::new();
        for (loc, &holds) in &self.locations {
            let alone = if holds >= k {
                format!("{loc} ALONE CAN RECOVER ({holds} of the {k} needed)")
            } else {
                format!("{loc} alone cannot recover ({holds} of the {k} needed)")
            };
            let left = self.total - holds;
            let loss = if left >= k {
                format!("losing {loc} still leaves {left} of the {k} needed")
            } else {
                format!(
                    "LOSING {loc} LEAVES ONLY {left} OF THE {k} NEEDED: recovery would be impossible"
                )
            };
            out.push(format!("{alone}; {loss}."));
        }
        for (c, &holds) in &self.custodians {
            if holds >= k {
                out.push(format!(
                    "CUSTODIAN {c} HOLDS {holds} SHARES AND CAN RECOVER ALONE."
                ));
            }
        }
        if self.locations.len() < 2 {
            out.push(
                "All shares are in one location: Microsoft advises separate, secure locations."
                    .into(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(spec: &[(&str, &str)]) -> Vec<ShareLabel> {
        spec.iter()
            .map(|(l, c)| ShareLabel {
                location: l.to_string(),
                custodian: c.to_string(),
            })
            .collect()
    }

    /// (k, shares as (location, custodian), refused, number of loss warnings)
    type Case<'a> = (u8, &'a [(&'a str, &'a str)], bool, usize);

    /// A table of plans: (k, shares) → (refused, number of loss warnings).
    #[test]
    fn table_of_plans() {
        let cases: &[Case] = &[
            (2, &[("A", ""), ("B", ""), ("C", "")], false, 0),
            (2, &[("A", ""), ("A", ""), ("B", "")], true, 1),
            (3, &[("A", ""), ("A", ""), ("B", "")], false, 2),
            (2, &[("A", "x"), ("B", "x"), ("C", "")], true, 0),
            (2, &[("A", "x"), ("B", "y"), ("C", "z")], false, 0),
            (3, &[("A", ""), ("B", ""), ("C", "")], false, 3),
            (2, &[("Safe A", ""), ("safe a ", ""), ("B", "")], true, 1),
            (
                3,
                &[("A", ""), ("A", ""), ("B", ""), ("B", ""), ("C", "")],
                false,
                0,
            ),
        ];
        for (k, spec, refused, losses) in cases {
            let p = Placement::new(*k, &labels(spec));
            assert_eq!(p.refused(), *refused, "{spec:?}");
            let n = p
                .findings()
                .iter()
                .filter(|f| matches!(f, Finding::LossBlocks { .. }))
                .count();
            assert_eq!(n, *losses, "{spec:?}");
        }
    }

    #[test]
    fn plain_words() {
        let p = Placement::new(
            2,
            &labels(&[("Safe A", ""), ("Safe B", ""), ("Safe B", "")]),
        );
        let r = p.report();
        assert_eq!(
            r[0],
            "Safe A alone cannot recover (1 of the 2 needed); losing Safe A still leaves 2 of the 2 needed."
        );
        assert!(r[1].starts_with(
            "Safe B ALONE CAN RECOVER (2 of the 2 needed); LOSING Safe B LEAVES ONLY 1"
        ));
        let one = Placement::new(2, &labels(&[("A", ""), ("A", "")]));
        assert!(one.findings().contains(&Finding::OneLocation));
    }

    #[test]
    fn every_finding_with_its_numbers() {
        // 3 of 5: A holds 3 (alone, and losing it leaves 2), B 1, C 1; Kim holds 3.
        let p = Placement::new(
            3,
            &labels(&[
                ("Safe A", "Kim"),
                ("safe a", " kim "),
                (" Safe A ", "KIM"),
                ("B", "Lee"),
                ("C", ""),
            ]),
        );
        assert_eq!(p.total, 5);
        assert_eq!(p.threshold, 3);
        // The first spelling given is the one shown; the blank custodian is not counted.
        assert_eq!(
            p.locations
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect::<Vec<_>>(),
            [("B", 1), ("C", 1), ("Safe A", 3)]
        );
        assert_eq!(
            p.custodians
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect::<Vec<_>>(),
            [("Kim", 3), ("Lee", 1)]
        );
        assert_eq!(
            p.findings(),
            vec![
                Finding::LocationAlone {
                    location: "Safe A".into(),
                    holds: 3
                },
                Finding::LossBlocks {
                    location: "Safe A".into(),
                    left: 2
                },
                Finding::CustodianAlone {
                    custodian: "Kim".into(),
                    holds: 3
                },
            ]
        );
        assert!(p.refused());
        assert_eq!(
            p.report(),
            [
                "B alone cannot recover (1 of the 3 needed); losing B still leaves 4 of the 3 needed.",
                "C alone cannot recover (1 of the 3 needed); losing C still leaves 4 of the 3 needed.",
                "Safe A ALONE CAN RECOVER (3 of the 3 needed); LOSING Safe A LEAVES ONLY 2 OF THE 3 NEEDED: recovery would be impossible.",
                "CUSTODIAN Kim HOLDS 3 SHARES AND CAN RECOVER ALONE.",
            ]
        );
    }

    #[test]
    fn edges_of_each_rule() {
        // Two locations are enough; a custodian one share short of k is no finding.
        let p = Placement::new(2, &labels(&[("A", "x"), ("B", "y"), ("C", "x")]));
        let two = Placement::new(2, &labels(&[("A", ""), ("B", ""), ("B", "")]));
        assert!(!two.findings().contains(&Finding::OneLocation));
        assert!(!two.report().iter().any(|l| l.contains("one location")));
        assert!(p.findings().contains(&Finding::CustodianAlone {
            custodian: "x".into(),
            holds: 2
        }));
        let short = Placement::new(3, &labels(&[("A", "x"), ("B", "y"), ("C", "x")]));
        assert_eq!(
            short.findings(),
            vec![
                Finding::LossBlocks {
                    location: "A".into(),
                    left: 2
                },
                Finding::LossBlocks {
                    location: "B".into(),
                    left: 2
                },
                Finding::LossBlocks {
                    location: "C".into(),
                    left: 2
                },
            ]
        );
        assert!(!short.refused());
        assert!(!short.report().iter().any(|l| l.contains("CUSTODIAN")));
        // A loss that leaves exactly k is fine.
        let exact = Placement::new(2, &labels(&[("A", ""), ("B", ""), ("C", "")]));
        assert_eq!(exact.findings(), vec![]);
        assert!(exact.report()[0].ends_with("losing A still leaves 2 of the 2 needed."));
        // One location: the warning is both a finding and a report line.
        let one = Placement::new(3, &labels(&[("A", ""), ("a", ""), ("A ", "")]));
        assert_eq!(
            one.findings(),
            vec![
                Finding::OneLocation,
                Finding::LocationAlone {
                    location: "A".into(),
                    holds: 3
                },
                Finding::LossBlocks {
                    location: "A".into(),
                    left: 0
                },
            ]
        );
        assert_eq!(
            one.report().last().unwrap(),
            "All shares are in one location: Microsoft advises separate, secure locations."
        );
        // Only a custodian alone is also refused.
        let cust = Placement::new(2, &labels(&[("A", "x"), ("B", "x"), ("C", "")]));
        assert!(cust.refused());
        assert_eq!(cust.findings().len(), 1);
    }
}
