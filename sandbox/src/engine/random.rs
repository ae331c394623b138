//! Every random choice of the sandbox, from one cryptographic RNG (seedable for tests).

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// Source of OTPs, UUIDs, nonces and fault draws.
pub struct Random {
    rng: StdRng,
}

impl Random {
    /// Seeded (reproducible) or from the operating system's entropy.
    pub fn new(seed: Option<u64>) -> Random {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Random { rng }
    }

    /// A random (version 4) UUID, hyphenated and lower case.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// `len` random decimal digits.
    pub fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    /// A uniform draw in `[0, 1)`.
    pub fn draw(&mut self) -> f64 {
        self.rng.random()
    }

    /// A new independent generator (for the callback deliverer's nonces).
    pub fn fork(&mut self) -> Random {
        Random {
            rng: StdRng::seed_from_u64(self.rng.next_u64()),
        }
    }
}
