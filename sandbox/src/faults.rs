//! Fault injection for the client's reliability tests: random or queued failures of the
//! Plivo routes.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::config::parse_duration;

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a JSON error body.
    Status(u16),
    /// Close the connection without any response.
    Reset,
}

/// Statuses a fault may answer with.
const FAULT_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];

impl Fault {
    /// Parses `503` or `reset`.
    pub fn parse(text: &str) -> Result<Fault, String> {
        if text == "reset" {
            return Ok(Fault::Reset);
        }
        match text.parse::<u16>() {
            Ok(code) if FAULT_STATUSES.contains(&code) => Ok(Fault::Status(code)),
            _ => Err(format!(
                "unknown fault `{text}` (one of 429, 500, 502, 503, 504, reset)"
            )),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status(code) => write!(f, "{code}"),
            Fault::Reset => f.write_str("reset"),
        }
    }
}

impl Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Parsed `--faults`: probabilities per request and a fixed delay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// `(fault, probability)` pairs, checked in order against one draw.
    pub odds: Vec<(Fault, f64)>,
    /// Added before every Plivo request is handled.
    pub delay: Duration,
}

impl FaultSpec {
    /// Parses `429=0.1,500=0.05,delay=200ms,reset=0.02` (empty: no faults).
    pub fn parse(text: &str) -> Result<FaultSpec, String> {
        let mut spec = FaultSpec::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: expected key=value"))?;
            if key == "delay" {
                spec.delay = parse_duration(value)?;
                continue;
            }
            let fault = Fault::parse(key)?;
            let odds: f64 = value
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| format!("`{item}`: the probability must be between 0 and 1"))?;
            spec.odds.push((fault, odds));
        }
        if spec.odds.iter().map(|(_, p)| p).sum::<f64>() > 1.0 + 1e-9 {
            return Err("the fault probabilities add up to more than 1".into());
        }
        Ok(spec)
    }

    /// The fault a uniform draw in `[0, 1)` selects, if any.
    fn pick(&self, draw: f64) -> Option<Fault> {
        let mut cumulative = 0.0;
        for (fault, odds) in &self.odds {
            cumulative += odds;
            if draw < cumulative {
                return Some(*fault);
            }
        }
        None
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.odds.iter().map(|(k, p)| format!("{k}={p}")).collect();
        if !self.delay.is_zero() {
            parts.push(format!("delay={}ms", self.delay.as_millis()));
        }
        f.write_str(&parts.join(","))
    }
}

/// The faults in force: the spec plus a queue of faults for the next requests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Random faults and delay.
    pub spec: FaultSpec,
    /// Served one per request before any random fault.
    pub next: VecDeque<Fault>,
}

impl Faults {
    /// Decides the fate of one request, given a uniform draw in `[0, 1)`.
    pub fn decide(&mut self, draw: f64) -> Option<Fault> {
        self.next.pop_front().or_else(|| self.spec.pick(draw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec = FaultSpec::parse("429=0.1,500=0.05,503=0.05,delay=200ms,reset=0.02").unwrap();
        assert_eq!(spec.delay, Duration::from_millis(200));
        assert_eq!(
            spec.odds,
            vec![
                (Fault::Status(429), 0.1),
                (Fault::Status(500), 0.05),
                (Fault::Status(503), 0.05),
                (Fault::Reset, 0.02)
            ]
        );
        assert_eq!(spec.pick(0.0), Some(Fault::Status(429)));
        assert_eq!(spec.pick(0.12), Some(Fault::Status(500)));
        assert_eq!(spec.pick(0.21), Some(Fault::Reset));
        assert_eq!(spec.pick(0.5), None);
        assert_eq!(FaultSpec::parse("").unwrap(), FaultSpec::default());
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "418=0.5",
            "503",
            "503=2",
            "503=x",
            "delay=fast",
            "500=0.6,503=0.6",
        ] {
            assert!(FaultSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_queue_goes_first() {
        let mut faults = Faults {
            spec: FaultSpec::parse("503=1").unwrap(),
            next: [Fault::Reset].into(),
        };
        assert_eq!(faults.decide(0.5), Some(Fault::Reset));
        assert_eq!(faults.decide(0.5), Some(Fault::Status(503)));
    }
}
