//! What reached the Plivo routes, per method and path with its query: how many requests
//! arrived, how many a fault answered, and how many the API handled. Reliability tests read it to count
//! retries, and to prove that a write was never handled twice for one call.

use std::collections::BTreeMap;

use serde::Serialize;

/// Distinct method-and-target keys kept; later ones are counted under [`OTHERS`].
const MAX_KEYS: usize = 100_000;
/// The key of requests past [`MAX_KEYS`].
const OTHERS: &str = "(others)";

/// Counts of one method and path.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requests that arrived.
    pub received: u64,
    /// Of them, answered by an injected fault (a status or a reset): changed nothing.
    pub faulted: u64,
    /// Of them, handled by the API.
    pub handled: u64,
}

/// How a request ended, as far as the log cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An injected fault answered.
    Faulted,
    /// The API handled it.
    Handled,
}

/// The log: `"POST /v1/Account/…/Verify/Session/"` → counts, in key order.
#[derive(Debug, Default)]
pub struct RequestLog {
    counts: BTreeMap<String, Counts>,
}

impl RequestLog {
    /// Counts one request (`target`: its path and query).
    pub fn record(&mut self, method: &str, target: &str, outcome: Outcome) {
        let key = format!("{method} {target}");
        let key = if self.counts.len() < MAX_KEYS || self.counts.contains_key(&key) {
            key
        } else {
            OTHERS.to_owned()
        };
        let counts = self.counts.entry(key).or_default();
        counts.received += 1;
        match outcome {
            Outcome::Faulted => counts.faulted += 1,
            Outcome::Handled => counts.handled += 1,
        }
    }

    /// Every key's counts.
    pub fn counts(&self) -> &BTreeMap<String, Counts> {
        &self.counts
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_method_and_path_and_bounds_its_keys() {
        let mut log = RequestLog::default();
        log.record("POST", "/v1/Account/A/Verify/Session/", Outcome::Faulted);
        log.record("POST", "/v1/Account/A/Verify/Session/", Outcome::Handled);
        log.record("GET", "/v1/Account/A/Verify/Session/", Outcome::Handled);
        let create = log.counts()["POST /v1/Account/A/Verify/Session/"];
        assert_eq!(
            create,
            Counts {
                received: 2,
                faulted: 1,
                handled: 1
            }
        );
        for i in 0..MAX_KEYS + 5 {
            log.record("GET", &format!("/v1/{i}"), Outcome::Handled);
        }
        assert_eq!(log.counts().len(), MAX_KEYS + 1);
        assert!(log.counts()[OTHERS].received >= 5);
    }
}
