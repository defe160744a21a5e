//! What a run does: the order rate and the scenarios, one fault at a time, then all at once.

use std::time::Duration;

use crate::faults::Fault;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    /// Every scenario once, in about three minutes: part of `make test`.
    Short,
    /// Every scenario repeated (5 SIGKILLs, 2 Redis losses, …) at a higher rate: `make chaos`.
    Long,
}

/// One scenario: its faults, injected together, somewhere in its window.
pub struct Step {
    pub name: &'static str,
    pub faults: Vec<Fault>,
    pub window: Duration,
}

pub struct Plan {
    /// Orders started per second.
    pub rate: f64,
    pub steps: Vec<Step>,
}

pub const CALM: &str = "calm";
pub const COMBINED: &str = "all at once";

fn step(fault: Fault, secs: u64) -> Step {
    Step {
        name: fault.name(),
        faults: vec![fault],
        window: Duration::from_secs(secs),
    }
}

fn calm(secs: u64) -> Step {
    Step {
        name: CALM,
        faults: Vec::new(),
        window: Duration::from_secs(secs),
    }
}

fn combined(secs: u64) -> Step {
    Step {
        name: COMBINED,
        faults: vec![
            Fault::KillServices,
            Fault::WipeRedis,
            Fault::RestartPostgres,
            Fault::KakaoPay5xx,
            Fault::KakaoPaySlow,
        ],
        window: Duration::from_secs(secs),
    }
}

impl Plan {
    pub fn of(form: Form) -> Plan {
        use Fault::*;
        match form {
            // A fault's effects outlast it (a restart, a sweep), so each window leaves room.
            Form::Short => Plan {
                rate: 3.0,
                steps: vec![
                    calm(5),
                    step(KillServices, 10),
                    step(WipeRedis, 10),
                    step(RestartPostgres, 10),
                    step(KakaoPaySlow, 12),
                    step(KakaoPay5xx, 8),
                    // Down for half the window: 8 s here, a minute in the long form.
                    step(EventApiDown, 16),
                    step(Replays, 8),
                    combined(15),
                ],
            },
            Form::Long => {
                let mut steps = vec![calm(20)];
                steps.extend((0..5).map(|_| step(KillServices, 25)));
                steps.extend((0..2).map(|_| step(WipeRedis, 30)));
                steps.extend((0..2).map(|_| step(RestartPostgres, 30)));
                steps.push(step(KakaoPaySlow, 40));
                steps.extend((0..2).map(|_| step(KakaoPay5xx, 20)));
                steps.push(step(EventApiDown, 120));
                steps.extend((0..2).map(|_| step(Replays, 15)));
                steps.extend((0..3).map(|_| combined(40)));
                Plan { rate: 5.0, steps }
            }
        }
    }
}
