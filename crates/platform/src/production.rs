//! Production mode (`SIMPLEORDER_ENV=production`): the process refuses to start on anything that
//! only makes sense on a laptop, naming every problem at once. Development keeps the local
//! defaults, so `simpleorder run` needs no setup, and prints a banner saying what production mode
//! would refuse.
//!
//! Each rule applies to the services that use the setting: in Kubernetes a pod gets only its own
//! Secret, so the gateway, which holds no KakaoPay key, must not be refused for lacking one.

use std::net::IpAddr;

use std::collections::BTreeSet;

use crate::config::{
    Config, DEV_TOKEN_PREFIX, DatabaseUrls, SANDBOX_KAKAOPAY_SECRET_KEY, SANDBOX_REST_API_KEY,
    Service, ServiceTokens,
};

/// Shortest secret (skill header, service token) production accepts: long enough that guessing
/// is hopeless, short enough to paste.
pub const MIN_SECRET_CHARS: usize = 32;

/// Every reason production mode would refuse to run `services` with `config`.
pub fn problems(config: &Config, services: &[Service]) -> Vec<String> {
    let mut out = Vec::new();
    let runs = |s: Service| services.contains(&s);
    let kakao = &config.kakao;

    if runs(Service::KakaoSandbox) {
        out.push(
            "the kakao-sandbox is a development stand-in for Kakao and never runs in production \
             (leave it out of --services)"
                .to_owned(),
        );
    }
    service_tokens(&mut out, config, services);
    database_urls(&mut out, config, services);
    if runs(Service::Gateway) || runs(Service::Payment) {
        https(&mut out, "PUBLIC_BASE_URL", &config.public_base_url);
    }
    if runs(Service::Payment) {
        real_platform(
            &mut out,
            "KAKAOPAY_BASE_URL",
            &kakao.kakaopay_base_url,
            config,
        );
        let key = kakao.kakaopay_secret_key.trim();
        if key.is_empty() || key == SANDBOX_KAKAOPAY_SECRET_KEY {
            out.push(
                "KAKAOPAY_SECRET_KEY is the sandbox's key (or empty); set the secret key of your \
                 KakaoPay merchant"
                    .to_owned(),
            );
        } else if key.starts_with("DEV") && !kakao.kakaopay_allow_test_cid {
            out.push(
                "KAKAOPAY_SECRET_KEY is a development key (DEV…); set the production secret key, \
                 or KAKAOPAY_ALLOW_TEST_CID=true for a staging deployment"
                    .to_owned(),
            );
        }
        if is_test_cid(&kakao.kakaopay_cid) && !kakao.kakaopay_allow_test_cid {
            out.push(format!(
                "KAKAOPAY_CID {} is KakaoPay's test merchant code, which takes no real money; set \
                 your merchant's CID, or KAKAOPAY_ALLOW_TEST_CID=true for a staging deployment",
                kakao.kakaopay_cid
            ));
        }
    }
    if runs(Service::Store) {
        real_platform(
            &mut out,
            "KAKAO_LOCAL_BASE_URL",
            &kakao.local_base_url,
            config,
        );
    }
    if runs(Service::Store) || runs(Service::ChatbotSkill) {
        let key = kakao.rest_api_key.trim();
        if key.is_empty() || key == SANDBOX_REST_API_KEY {
            out.push(
                "KAKAO_REST_API_KEY is the sandbox's key (or empty); set the REST API key of the \
                 Kakao app linked to the bot"
                    .to_owned(),
            );
        }
    }
    if runs(Service::ChatbotSkill) {
        real_platform(
            &mut out,
            "KAKAO_BOT_API_BASE_URL",
            &kakao.bot_api_base_url,
            config,
        );
        match kakao.skill_secret.as_deref().filter(|s| !s.is_empty()) {
            None => out.push(format!(
                "KAKAO_SKILL_SECRET is not set: anyone could call the skills with a customer's \
                 botUserKey; set a random value of at least {MIN_SECRET_CHARS} characters and \
                 the same value as the skill header in Open Builder"
            )),
            Some(value) => secret(&mut out, "KAKAO_SKILL_SECRET", Some(value), ""),
        }
        if let Some(next) = kakao.skill_secret_next.as_deref() {
            secret(&mut out, "KAKAO_SKILL_SECRET_NEXT", Some(next), "");
        }
    }
    out
}

/// Refuses production with every problem named; in development prints the banner instead.
pub fn enforce(config: &Config, services: &[Service]) -> Result<(), crate::Error> {
    let found = problems(config, services);
    if config.is_production() {
        if found.is_empty() {
            return Ok(());
        }
        return Err(crate::Error::Config(format!(
            "production mode (SIMPLEORDER_ENV=production) refuses to start:\n  - {}",
            found.join("\n  - ")
        )));
    }
    eprintln!("{}", banner(&found));
    tracing::warn!(
        "development mode: local defaults in use; set SIMPLEORDER_ENV=production for a real deployment"
    );
    Ok(())
}

/// What a development process prints before it starts.
pub fn banner(found: &[String]) -> String {
    let mut text = String::from(
        "==================================================================================\n\
         DEVELOPMENT MODE (SIMPLEORDER_ENV is not \"production\"): for this machine only.\n\
         Local defaults are in use; never let the internet reach this process.\n",
    );
    if !found.is_empty() {
        text += "SIMPLEORDER_ENV=production would refuse to start because:\n";
        for problem in found {
            text += &format!("  - {problem}\n");
        }
    }
    text += "==================================================================================";
    text
}

/// KakaoPay's test merchant codes start with TC (TC0ONETIME, TCSUBSCRIP).
fn is_test_cid(cid: &str) -> bool {
    cid.trim().to_ascii_uppercase().starts_with("TC")
}

/// The tokens these processes send (their own) and accept (their callers'): each strong, and
/// no two deployments sharing one, or a token would no longer say who called.
fn service_tokens(out: &mut Vec<String>, config: &Config, services: &[Service]) {
    let mut used: BTreeSet<Service> = BTreeSet::new();
    for &service in services {
        if config.service_tokens.of(service).is_some() {
            used.insert(service);
        }
        used.extend(service.callers());
    }
    let mut seen: Vec<(&str, String)> = Vec::new();
    for service in used {
        let Some((token, next)) = config.service_tokens.of(service) else {
            continue;
        };
        let env = ServiceTokens::env(service);
        secret(out, env, Some(token), "");
        let next_env = format!("{env}_NEXT");
        if let Some(next) = next {
            secret(out, &next_env, Some(next), "");
        }
        for (value, name) in [(Some(token), env.to_owned()), (next, next_env)] {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            if let Some((_, other)) = seen.iter().find(|(v, _)| *v == value) {
                out.push(format!(
                    "{name} is the same as {other}; every deployment needs a token of its own"
                ));
            }
            seen.push((value, name));
        }
    }
}

/// Each service that keeps data connects as its own role, which has rights on its schema only:
/// its own URL is set, and is neither the migration role's `DATABASE_URL` nor another service's.
fn database_urls(out: &mut Vec<String>, config: &Config, services: &[Service]) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for &service in services {
        let Some(env) = DatabaseUrls::env(service) else {
            continue;
        };
        let Some(url) = config
            .database_urls
            .of(service)
            .filter(|u| !u.trim().is_empty())
        else {
            out.push(format!(
                "{env} is not set; set the URL of {}'s own role (rights on its schema only)",
                service.name()
            ));
            continue;
        };
        if url == config.database_url {
            out.push(format!(
                "{env} is DATABASE_URL, the migration role's; connect as {}'s own role",
                service.name()
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(u, _)| *u == url) {
            out.push(format!(
                "{env} is the same as {other}; every service needs a role of its own"
            ));
        }
        seen.push((url, env));
    }
}

fn secret(out: &mut Vec<String>, env: &str, value: Option<&str>, dev_default: &str) {
    let value = value.unwrap_or_default();
    if value.is_empty() || value == dev_default || value.starts_with(DEV_TOKEN_PREFIX) {
        out.push(format!(
            "{env} is not set (or is the development default); set a random value of at least \
             {MIN_SECRET_CHARS} characters from a Secret"
        ));
    } else if value.chars().count() < MIN_SECRET_CHARS {
        out.push(format!(
            "{env} is too weak ({} characters); use a random value of at least \
             {MIN_SECRET_CHARS} characters",
            value.chars().count()
        ));
    }
}

fn https(out: &mut Vec<String>, env: &str, url: &str) {
    match url.parse::<http::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("https") && uri.host().is_some() => {}
        _ => out.push(format!(
            "{env} ({url}) is not an https URL; browsers, cookies and KakaoPay's redirects need \
             the public https address"
        )),
    }
}

/// A base URL of Kakao's platform: not the sandbox, not this machine.
fn real_platform(out: &mut Vec<String>, env: &str, url: &str, config: &Config) {
    let Ok(uri) = url.parse::<http::Uri>() else {
        out.push(format!("{env} ({url}) is not a URL"));
        return;
    };
    let Some(host) = uri.host() else {
        out.push(format!("{env} ({url}) is not a URL"));
        return;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    let port = uri.port_u16();
    let sandbox = host.to_ascii_lowercase().contains("sandbox")
        || (host == config.sandbox_addr.ip().to_string()
            && port == Some(config.sandbox_addr.port()));
    if loopback || sandbox {
        out.push(format!(
            "{env} ({url}) points at the kakao-sandbox or this machine; set Kakao's real API \
             address"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe() -> Config {
        let mut config = Config::local();
        config.public_base_url = "https://order.example.com".into();
        let tokens = &mut config.service_tokens;
        tokens.gateway = "g".repeat(40);
        tokens.store = "s".repeat(40);
        tokens.order = "o".repeat(40);
        tokens.accounting = "a".repeat(40);
        tokens.chatbot_skill = "c".repeat(40);
        config.kakao.kakaopay_base_url = "https://open-api.kakaopay.com".into();
        config.kakao.kakaopay_cid = "CAFE123456".into();
        config.kakao.kakaopay_secret_key = "PRD0123456789".into();
        config.kakao.bot_api_base_url = "https://bot-api.kakao.com".into();
        config.kakao.local_base_url = "https://dapi.kakao.com".into();
        config.kakao.rest_api_key = "0123456789abcdef".into();
        config.kakao.skill_secret = Some("s".repeat(32));
        for service in Service::ALL {
            if let Some(role) = service.database_role() {
                let url = format!("postgres://{role}:pw@db.example.com/simpleorder");
                config.database_urls.set(service, url);
            }
        }
        config
    }

    const ALL_BUT_SANDBOX: [Service; 6] = [
        Service::Gateway,
        Service::Store,
        Service::Order,
        Service::Payment,
        Service::Accounting,
        Service::ChatbotSkill,
    ];

    #[test]
    fn a_safe_configuration_has_no_problems() {
        assert_eq!(problems(&safe(), &ALL_BUT_SANDBOX), Vec::<String>::new());
    }

    #[test]
    fn the_local_defaults_break_every_rule_at_once() {
        let found = problems(&Config::local(), &Service::ALL);
        for env in [
            "kakao-sandbox",
            "GATEWAY_SERVICE_TOKEN",
            "STORE_SERVICE_TOKEN",
            "ORDER_SERVICE_TOKEN",
            "ACCOUNTING_SERVICE_TOKEN",
            "CHATBOT_SKILL_SERVICE_TOKEN",
            "PUBLIC_BASE_URL",
            "KAKAOPAY_BASE_URL",
            "KAKAOPAY_SECRET_KEY",
            "KAKAOPAY_CID",
            "KAKAO_BOT_API_BASE_URL",
            "KAKAO_LOCAL_BASE_URL",
            "KAKAO_REST_API_KEY",
            "KAKAO_SKILL_SECRET",
            "STORE_DATABASE_URL",
            "ORDER_DATABASE_URL",
            "ACCOUNTING_DATABASE_URL",
            "CHATBOT_SKILL_DATABASE_URL",
        ] {
            assert!(
                found.iter().any(|p| p.contains(env)),
                "{env} missing from {found:#?}"
            );
        }
    }

    #[test]
    fn each_service_is_checked_only_for_what_it_uses() {
        let mut config = safe();
        config.kakao.kakaopay_secret_key = SANDBOX_KAKAOPAY_SECRET_KEY.into();
        config.kakao.skill_secret = None;
        assert!(problems(&config, &[Service::Gateway, Service::Order]).is_empty());
        assert_eq!(problems(&config, &[Service::Payment]).len(), 1);
        assert_eq!(problems(&config, &[Service::ChatbotSkill]).len(), 1);
    }

    #[test]
    fn loopback_and_sandbox_hosts_are_refused() {
        for url in [
            "http://localhost:8090",
            "https://127.0.0.2",
            "https://[::1]:443",
            "https://0.0.0.0",
            "https://kakao-sandbox.default.svc",
            "http://api.localhost",
            "not a url",
        ] {
            let mut config = safe();
            config.kakao.kakaopay_base_url = url.into();
            assert_eq!(problems(&config, &[Service::Payment]).len(), 1, "{url}");
        }
    }

    #[test]
    fn the_test_cid_and_dev_keys_pass_only_when_staging_allows_them() {
        let mut config = safe();
        config.kakao.kakaopay_cid = "TC0ONETIME".into();
        config.kakao.kakaopay_secret_key = "DEV0123456789".into();
        assert_eq!(problems(&config, &[Service::Payment]).len(), 2);
        config.kakao.kakaopay_allow_test_cid = true;
        assert!(problems(&config, &[Service::Payment]).is_empty());
        config.kakao.kakaopay_secret_key = SANDBOX_KAKAOPAY_SECRET_KEY.into();
        assert_eq!(
            problems(&config, &[Service::Payment]).len(),
            1,
            "the sandbox key never passes"
        );
    }

    #[test]
    fn a_service_is_checked_for_its_own_token_and_its_callers_tokens_only() {
        let mut config = safe();
        config.service_tokens.accounting = "short".into();
        assert!(problems(&config, &[Service::ChatbotSkill]).is_empty());
        assert!(problems(&config, &[Service::Gateway]).is_empty());
        for service in [
            Service::Accounting,
            Service::Order,
            Service::Payment,
            Service::Store,
        ] {
            let found = problems(&config, &[service]);
            assert_eq!(found.len(), 1, "{service:?}: {found:?}");
            assert!(found[0].contains("ACCOUNTING_SERVICE_TOKEN is too weak"));
        }
    }

    #[test]
    fn two_deployments_never_share_a_token() {
        let mut config = safe();
        config.service_tokens.order = config.service_tokens.gateway.clone();
        let found = problems(&config, &[Service::Store]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("ORDER_SERVICE_TOKEN is the same as GATEWAY_SERVICE_TOKEN"));
        config.service_tokens.order = "o".repeat(40);
        config.service_tokens.order_next = Some("o".repeat(40));
        assert_eq!(problems(&config, &[Service::Store]).len(), 1);
    }

    #[test]
    fn each_service_connects_as_a_role_of_its_own() {
        let mut config = safe();
        config.database_urls.accounting_database_url = None;
        assert!(problems(&config, &[Service::Gateway, Service::Payment]).is_empty());
        let found = problems(&config, &[Service::Accounting]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("ACCOUNTING_DATABASE_URL is not set"));

        let mut config = safe();
        config.database_urls.order_database_url = config.database_urls.store_database_url.clone();
        let found = problems(&config, &[Service::Store, Service::Order]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("ORDER_DATABASE_URL is the same as STORE_DATABASE_URL"));

        let mut config = safe();
        config.database_url = config.database_urls.of(Service::Store).unwrap().to_owned();
        let found = problems(&config, &[Service::Store]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("STORE_DATABASE_URL is DATABASE_URL"));
    }

    #[test]
    fn a_weak_rotation_secret_is_refused_too() {
        let mut config = safe();
        config.kakao.skill_secret_next = Some("short".into());
        let found = problems(&config, &[Service::ChatbotSkill]);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("KAKAO_SKILL_SECRET_NEXT is too weak (5 characters)"));
    }
}
