//! The accounting service's settings come from the environment and flags, and a bad or
//! contradictory value stops the binary at startup with the variable named, before it connects
//! to anything. The environment is read in a child process of this test binary: setting it here
//! would race the other tests' threads.

use std::process::Command;
use std::time::Duration;

use accounting::AccountingSettings;
use platform::settings::parse_from;

/// Runs the `accounting` binary with `env`, pointed at nothing it could reach, and returns its
/// exit code and what it printed on stderr.
fn run_binary(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_accounting"))
        .envs(env.iter().copied())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .output()
        .expect("running the accounting binary");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn settings_come_from_the_environment_and_bad_values_stop_the_binary() {
    let (code, stderr) = run_binary(&[("ACCOUNTING_SETTLE_DELAY", "2 minutes")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("ACCOUNTING_SETTLE_DELAY") && stderr.contains("is not a duration"),
        "{stderr}"
    );

    let (code, stderr) = run_binary(&[
        ("ACCOUNTING_POLL_INTERVAL", "1m"),
        ("ACCOUNTING_RETRY_MAX", "30s"),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr
            .contains("ACCOUNTING_RETRY_MAX (30s) must be at least ACCOUNTING_POLL_INTERVAL (1m)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("postgres"),
        "refused before connecting: {stderr}"
    );

    testkit::run_alone(
        "settings::environment_and_flags_reach_the_settings",
        &[
            ("ACCOUNTING_POLL_INTERVAL", "2s"),
            ("ACCOUNTING_RETRY_MAX", "1h30m"),
        ],
    )
    .unwrap();
}

/// Run by the test above in a child process that has ACCOUNTING_POLL_INTERVAL=2s and
/// ACCOUNTING_RETRY_MAX=1h30m in its environment.
#[test]
#[ignore = "needs its environment: run by settings_come_from_the_environment_and_bad_values_stop_the_binary"]
fn environment_and_flags_reach_the_settings() {
    let settings = parse_from::<AccountingSettings>(&[]).unwrap();
    assert_eq!(settings.poll_interval, Duration::from_secs(2));
    assert_eq!(settings.retry_max, Duration::from_secs(90 * 60));
    assert_eq!(
        settings.settle_delay,
        AccountingSettings::default().settle_delay
    );
    // A flag wins over the environment.
    let settings = parse_from::<AccountingSettings>(&["--accounting-retry-max", "5m"]).unwrap();
    assert_eq!(settings.retry_max, Duration::from_secs(5 * 60));
    // `Default` never reads the environment: tests building settings by hand stay as written.
    assert_eq!(
        AccountingSettings::default().poll_interval,
        Duration::from_secs(5)
    );
}
