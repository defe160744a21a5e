//! What service settings are made of: durations written the way people write them (`90s`, `15m`,
//! `500ms`, `12h`, `1h30m`), value parsers whose errors name the environment variable, and the
//! startup checks that refuse settings which contradict each other.
//!
//! Each service's settings struct derives `clap::Args`, so every field is an environment
//! variable and a flag; its `Default` stays the code's own values and never reads the
//! environment, which keeps tests that build settings by hand independent of the machine.

use std::ffi::OsStr;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;

/// Units a duration may use, longest suffix first so `ms` is not read as minutes.
const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Parses `90s`, `15m`, `500ms`, `12h`, `2d` or a sum of them (`1h30m`). Every number needs its
/// unit: a bare `30` could mean seconds or milliseconds, and guessing wrong is a silent outage.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty; write a duration like 90s, 15m, 500ms or 12h".to_owned());
    }
    let mut rest = text;
    let mut total_ms: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let (number, unit) = (&rest[..digits], &rest[digits..digits + unit_len]);
        let per_unit = UNITS.iter().find(|(name, _)| *name == unit).map(|u| u.1);
        let (Ok(n), Some(per_unit)) = (number.parse::<u64>(), per_unit) else {
            return Err(format!(
                "'{text}' is not a duration; write it like 90s, 15m, 500ms or 12h"
            ));
        };
        total_ms = n
            .checked_mul(per_unit)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(|| format!("'{text}' is too long a duration"))?;
        rest = &rest[digits + unit_len..];
    }
    Ok(Duration::from_millis(total_ms))
}

/// Writes a duration the way [`parse_duration`] reads it, in its largest exact unit.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, per_unit) in UNITS.iter().rev() {
        let per_unit = u128::from(*per_unit);
        if ms > 0 && ms.is_multiple_of(per_unit) {
            return format!("{}{unit}", ms / per_unit);
        }
    }
    format!("{ms}ms")
}

/// A clap value parser for one setting. A bad value fails at startup with the environment
/// variable and the flag named, since either may have carried it.
#[derive(Clone, Copy)]
pub struct Setting<T>(fn(&str) -> Result<T, String>);

/// The parser of a duration setting.
pub fn duration() -> Setting<Duration> {
    Setting(parse_duration)
}

/// The parser of a count setting (attempts, consumers, limits).
pub fn number<T>() -> Setting<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Display,
{
    Setting(|text| {
        text.trim()
            .parse()
            .map_err(|e| format!("'{text}' is not a whole number ({e})"))
    })
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Setting<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        (self.0)(&text).map_err(|problem| {
            let name = match arg {
                Some(arg) => {
                    let flag = arg.get_long().map(|l| format!("--{l}"));
                    let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
                    match (env, flag) {
                        (Some(env), Some(flag)) => format!("{env} (or {flag})"),
                        (Some(one), None) | (None, Some(one)) => one,
                        (None, None) => arg.get_id().to_string(),
                    }
                }
                None => "a setting".to_owned(),
            };
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("invalid value for {name}: {problem}\n"),
            )
            .with_cmd(cmd)
        })
    }
}

/// Reads settings `S` from `args` (flags, without the program name) and the environment, the way
/// a service binary does; for tests and tools.
pub fn parse_from<S: clap::Args>(args: &[&str]) -> Result<S, clap::Error> {
    #[derive(clap::Parser)]
    struct Wrapper<S: clap::Args> {
        #[command(flatten)]
        settings: S,
    }
    let args = std::iter::once("settings").chain(args.iter().copied());
    <Wrapper<S> as clap::Parser>::try_parse_from(args).map(|w| w.settings)
}

/// Settings that can contradict themselves, checked before a service starts.
pub trait Validate {
    /// Adds every broken rule to `problems`, each naming its environment variables.
    fn check(&self, problems: &mut Problems);

    /// All broken rules at once, so an operator fixes them in one go.
    fn validate(&self) -> Result<(), crate::Error> {
        let mut problems = Problems::default();
        self.check(&mut problems);
        problems.into_result()
    }
}

/// The broken rules found so far.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// Records `problem` unless `holds`.
    pub fn require(&mut self, holds: bool, problem: impl FnOnce() -> String) {
        if !holds {
            self.0.push(problem());
        }
    }

    /// `ENV` must not be zero (a zero interval is a busy loop or a panic, a zero count does
    /// nothing).
    pub fn non_zero_duration(&mut self, env: &str, value: Duration) {
        self.require(!value.is_zero(), || format!("{env} must be longer than 0"));
    }

    pub fn at_least_one(&mut self, env: &str, value: u64) {
        self.require(value >= 1, || format!("{env} must be at least 1"));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), crate::Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(crate::Error::Config(format!(
            "inconsistent settings:\n  - {}",
            self.0.join("\n  - ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn reads_every_unit_and_sums() {
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("90s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("15m"), Ok(ms(15 * 60_000)));
        assert_eq!(parse_duration("12h"), Ok(ms(12 * 3_600_000)));
        assert_eq!(parse_duration("2d"), Ok(ms(2 * 86_400_000)));
        assert_eq!(parse_duration("1h30m"), Ok(ms(90 * 60_000)));
        assert_eq!(parse_duration(" 2s500ms "), Ok(ms(2_500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_missing_units_unknown_units_and_garbage() {
        for bad in [
            "", "30", "5x", "m", "1.5s", "-3s", "10 s", "s10", "15min", "1h 30m", "٣s",
        ] {
            let error = parse_duration(bad).expect_err(bad);
            assert!(error.contains("duration"), "{bad}: {error}");
        }
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("18446744073709551615d").is_err());
    }

    #[test]
    fn formats_in_the_largest_exact_unit_and_reads_back() {
        for (d, text) in [
            (ms(2_500), "2500ms"),
            (ms(45_000), "45s"),
            (ms(17 * 60_000), "17m"),
            (ms(24 * 3_600_000), "1d"),
            (Duration::ZERO, "0ms"),
        ] {
            assert_eq!(format_duration(d), text);
            assert_eq!(parse_duration(text), Ok(d));
        }
    }

    #[derive(clap::Parser, Debug)]
    struct Flags {
        #[arg(
            long = "test-wait",
            env = "PLATFORM_SETTINGS_TEST_WAIT",
            default_value = "2m",
            value_parser = duration()
        )]
        wait: Duration,
        #[arg(
            long = "test-count",
            env = "PLATFORM_SETTINGS_TEST_COUNT",
            default_value = "3",
            value_parser = number::<u32>()
        )]
        count: u32,
    }

    #[test]
    fn a_bad_value_names_the_variable_and_the_flag() {
        use clap::Parser;
        let flags =
            Flags::try_parse_from(["t", "--test-wait", "90s", "--test-count", "7"]).unwrap();
        assert_eq!((flags.wait, flags.count), (ms(90_000), 7));
        let defaults = Flags::try_parse_from(["t"]).unwrap();
        assert_eq!((defaults.wait, defaults.count), (ms(120_000), 3));

        let error = Flags::try_parse_from(["t", "--test-wait", "90"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        let shown = error.to_string();
        assert!(
            shown.contains("PLATFORM_SETTINGS_TEST_WAIT") && shown.contains("--test-wait"),
            "{shown}"
        );
        assert!(shown.contains("'90' is not a duration"), "{shown}");
        let error = Flags::try_parse_from(["t", "--test-count", "lots"]).unwrap_err();
        assert!(
            error.to_string().contains("PLATFORM_SETTINGS_TEST_COUNT"),
            "{error}"
        );
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let mut problems = Problems::default();
        problems.non_zero_duration("A_EVERY", Duration::ZERO);
        problems.at_least_one("B_COUNT", 0);
        problems.require(true, || unreachable!());
        let error = problems.into_result().unwrap_err().to_string();
        assert!(
            error.contains("A_EVERY must be longer than 0") && error.contains("B_COUNT"),
            "{error}"
        );
        assert!(Problems::default().into_result().is_ok());
    }
}
