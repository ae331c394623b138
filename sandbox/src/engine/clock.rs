//! The sandbox clock: real time plus an offset that `POST /__sandbox/clock` moves forward.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// Real UTC time shifted by a settable offset, at microsecond precision (what the API shows).
#[derive(Debug, Default)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        (Utc::now() + self.offset).trunc_subsecs(6)
    }

    /// Moves time forward.
    pub fn advance(&mut self, by: TimeDelta) {
        self.offset += by;
    }

    /// How far the clock is ahead of real time.
    pub fn offset(&self) -> TimeDelta {
        self.offset
    }
}
