//! Named steps with timing, test counts parsed from harness output, and the final summary.

use std::time::Instant;

use anyhow::Result;

/// Tests a suite reported (cargo's `test result:` lines, unittest's `Ran N tests`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// What a step produced: nothing to count (a check such as fmt), or a suite's test counts.
pub enum Outcome {
    Check,
    Suite(Counts),
}

pub struct Report {
    name: String,
    secs: f64,
    result: Result<Outcome>,
}

#[derive(Default)]
pub struct Steps {
    reports: Vec<Report>,
}

impl Steps {
    /// Runs one step under a header on stderr; its error is recorded, not returned.
    /// Returns whether it succeeded, for later steps that depend on it.
    /// After Ctrl-C no further step starts.
    pub fn run(&mut self, name: &str, step: impl FnOnce() -> Result<Outcome>) -> bool {
        if crate::process::interrupted() {
            self.skip(name, "interrupted");
            return false;
        }
        eprintln!("\n==> {name}");
        let started = Instant::now();
        let result = step();
        let secs = started.elapsed().as_secs_f64();
        match &result {
            Ok(_) => eprintln!("==> {name}: ok ({secs:.1}s)"),
            Err(err) => eprintln!("==> {name}: FAILED ({secs:.1}s): {err:#}"),
        }
        let ok = result.is_ok();
        self.reports.push(Report {
            name: name.to_owned(),
            secs,
            result,
        });
        ok
    }

    /// Records a step that could not run, and why.
    pub fn skip(&mut self, name: &str, because: &str) {
        eprintln!("\n==> {name}: skipped ({because})");
        self.reports.push(Report {
            name: name.to_owned(),
            secs: 0.0,
            result: Err(anyhow::anyhow!("skipped: {because}")),
        });
    }

    /// Prints one line per step and `N passed, N failed`; true when everything passed.
    pub fn summarize(&self) -> bool {
        eprintln!("\n==> summary");
        for report in &self.reports {
            let verdict = if report.result.is_ok() {
                "ok"
            } else {
                "FAILED"
            };
            eprintln!("{verdict:>6}  {:>7.1}s  {}", report.secs, report.name);
        }
        let totals = totals(self.reports.iter().map(|report| &report.result));
        println!("{} passed, {} failed", totals.passed, totals.failed);
        totals.failed == 0
    }
}

/// Each check counts as one test; a suite counts its tests, and at least one failure when it
/// failed without reporting one (it did not compile, or crashed).
fn totals<'a>(results: impl Iterator<Item = &'a Result<Outcome>>) -> Counts {
    let mut totals = Counts::default();
    for result in results {
        totals += match result {
            Ok(Outcome::Check) => Counts {
                passed: 1,
                failed: 0,
            },
            Ok(Outcome::Suite(counts)) => *counts,
            Err(err) => match err.downcast_ref::<SuiteFailed>() {
                Some(SuiteFailed(counts)) if counts.failed > 0 => *counts,
                Some(SuiteFailed(counts)) => Counts {
                    passed: counts.passed,
                    failed: 1,
                },
                None => Counts {
                    passed: 0,
                    failed: 1,
                },
            },
        };
    }
    totals
}

/// A suite that ran but failed, with what it reported.
#[derive(Debug)]
pub struct SuiteFailed(pub Counts);

impl std::fmt::Display for SuiteFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.0.passed, self.0.failed)
    }
}

impl std::error::Error for SuiteFailed {}

/// Sums cargo's `test result: ok. 3 passed; 1 failed; ...` lines.
pub fn parse_cargo_test(output: &str) -> Counts {
    let mut counts = Counts::default();
    for line in output.lines() {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            continue;
        };
        for part in rest.split(';') {
            let mut words = part
                .split_whitespace()
                .skip_while(|w| w.parse::<u64>().is_err());
            let (Some(number), Some(label)) = (words.next(), words.next()) else {
                continue;
            };
            let number: u64 = number.parse().unwrap_or(0);
            match label {
                "passed" => counts.passed += number,
                "failed" => counts.failed += number,
                _ => {}
            }
        }
    }
    counts
}

/// Reads unittest's `Ran N tests` and its `FAILED (failures=F, errors=E)` verdict.
pub fn parse_unittest(output: &str) -> Counts {
    let ran: u64 = output
        .lines()
        .find_map(|line| {
            line.strip_prefix("Ran ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    let failed: u64 = output
        .lines()
        .filter_map(|line| line.strip_prefix("FAILED ("))
        .flat_map(|verdict| verdict.trim_end_matches(')').split(", "))
        .filter_map(|part| {
            let (label, number) = part.split_once('=')?;
            matches!(label, "failures" | "errors")
                .then(|| number.parse::<u64>().ok())
                .flatten()
        })
        .sum();
    Counts {
        passed: ran.saturating_sub(failed),
        failed,
    }
}

/// The outcome of a suite run: its counts, or a [`SuiteFailed`] error carrying them.
pub fn suite(ok: bool, counts: Counts) -> Result<Outcome> {
    if ok && counts.failed == 0 {
        Ok(Outcome::Suite(counts))
    } else {
        Err(SuiteFailed(counts).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_result_lines_are_summed() {
        let output = "running 3 tests\n\
            test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
            noise: 7 passed\n\
            test result: FAILED. 2 passed; 4 failed; 0 ignored; 0 measured; 0 filtered out\n";
        assert_eq!(
            parse_cargo_test(output),
            Counts {
                passed: 5,
                failed: 4
            }
        );
    }

    #[test]
    fn output_without_result_lines_counts_nothing() {
        assert_eq!(
            parse_cargo_test("error[E0425]: cannot find value\n"),
            Counts::default()
        );
    }

    #[test]
    fn unittest_success_counts_every_test_passed() {
        let output = "....\n----------------------------------------------------------------------\nRan 4 tests in 0.5s\n\nOK\n";
        assert_eq!(
            parse_unittest(output),
            Counts {
                passed: 4,
                failed: 0
            }
        );
    }

    #[test]
    fn unittest_failures_and_errors_count_as_failed() {
        let output = "Ran 10 tests in 1.0s\n\nFAILED (failures=2, errors=1, skipped=3)\n";
        assert_eq!(
            parse_unittest(output),
            Counts {
                passed: 7,
                failed: 3
            }
        );
    }

    #[test]
    fn a_suite_that_failed_without_counts_still_counts_a_failure() {
        let results = [
            Ok(Outcome::Check),
            suite(
                true,
                Counts {
                    passed: 5,
                    failed: 0,
                },
            ),
            suite(false, Counts::default()),
            Err(anyhow::anyhow!("clippy failed")),
        ];
        assert_eq!(
            totals(results.iter()),
            Counts {
                passed: 6,
                failed: 2
            }
        );
    }

    #[test]
    fn all_green_has_no_failures() {
        let results = [Ok(Outcome::Check), Ok(Outcome::Check)];
        assert_eq!(
            totals(results.iter()),
            Counts {
                passed: 2,
                failed: 0
            }
        );
    }
}
