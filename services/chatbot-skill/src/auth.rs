//! Who may call the skills. Kakao does not sign skill requests, so two checks stand in:
//! a shared secret that Open Builder sends as a fixed header configured on the skill, and the
//! payload's bot id against an allowlist (the development channel's `!` suffix accepted).
//!
//! Without `KAKAO_SKILL_SECRET` the header is not required in development: local runs and the
//! sandbox work with no setup. In production a missing secret refuses every call (fail closed;
//! production mode also refuses to start without one). `KAKAO_SKILL_SECRET_NEXT` is accepted
//! beside it, so the value in Open Builder can be rotated without a moment of refused calls.

use std::collections::HashMap;

use kakao::SkillPayload;
use platform::Config;

/// Header name as the gateway forwards it (lowercased).
pub const SECRET_HEADER: &str = "x-simpleorder-skill-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Missing or wrong shared secret: 401.
    Secret,
    /// A bot that is not ours: 403.
    Bot,
}

impl Denied {
    pub fn http_status(self) -> u16 {
        match self {
            Denied::Secret => 401,
            Denied::Bot => 403,
        }
    }
}

/// Which skill calls need the shared secret.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Secrets {
    /// Development without a secret: any call passes.
    NotRequired,
    /// One of these (the current and, while rotating, the next) must be sent.
    AnyOf(Vec<String>),
    /// Production without a secret: every call is refused.
    RefuseAll,
}

#[derive(Clone)]
pub struct Access {
    secrets: Secrets,
    bot_ids: Vec<String>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field(
                "secrets",
                &match &self.secrets {
                    Secrets::NotRequired => "not required".to_owned(),
                    Secrets::AnyOf(s) => format!("{} set", s.len()),
                    Secrets::RefuseAll => "refuse all".to_owned(),
                },
            )
            .field("bot_ids", &self.bot_ids)
            .finish()
    }
}

impl Access {
    /// `secrets`: the accepted values (empty ones ignored); with none, calls pass unless
    /// `production`, which refuses them all.
    pub fn new(secrets: &[Option<&str>], production: bool, bot_ids: &[String]) -> Access {
        let accepted: Vec<String> = secrets
            .iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let secrets = match (accepted.is_empty(), production) {
            (false, _) => Secrets::AnyOf(accepted),
            (true, false) => Secrets::NotRequired,
            (true, true) => Secrets::RefuseAll,
        };
        Access {
            secrets,
            bot_ids: bot_ids
                .iter()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect(),
        }
    }

    /// `KAKAO_BOT_IDS`, or the one `KAKAO_BOT_ID` when that is unset.
    pub fn from_config(config: &Config) -> Access {
        let kakao = &config.kakao;
        let bot_ids = if kakao.bot_ids.iter().any(|id| !id.trim().is_empty()) {
            kakao.bot_ids.clone()
        } else {
            vec![kakao.bot_id.clone()]
        };
        Access::new(
            &[
                kakao.skill_secret.as_deref(),
                kakao.skill_secret_next.as_deref(),
            ],
            config.is_production(),
            &bot_ids,
        )
    }

    pub fn requires_secret(&self) -> bool {
        self.secrets != Secrets::NotRequired
    }

    pub fn check_secret(&self, headers: &HashMap<String, String>) -> Result<(), Denied> {
        let accepted = match &self.secrets {
            Secrets::NotRequired => return Ok(()),
            Secrets::RefuseAll => return Err(Denied::Secret),
            Secrets::AnyOf(accepted) => accepted,
        };
        let given = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(SECRET_HEADER))
            .map(|(_, value)| value.trim());
        let Some(given) = given else {
            return Err(Denied::Secret);
        };
        // Every accepted value is compared, so the time taken does not tell which one matched.
        let matched = accepted.iter().fold(false, |any, expected| {
            constant_time_eq(given.as_bytes(), expected.as_bytes()) | any
        });
        if matched { Ok(()) } else { Err(Denied::Secret) }
    }

    pub fn check_bot(&self, payload: &SkillPayload) -> Result<(), Denied> {
        let id = payload.bot_id_without_dev_suffix();
        if self.bot_ids.iter().any(|allowed| {
            allowed == id || allowed.strip_suffix(kakao::skill::payload::DEV_BOT_SUFFIX) == Some(id)
        }) {
            Ok(())
        } else {
            Err(Denied::Bot)
        }
    }
}

/// Compares without an early exit, so the time taken does not tell how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(bot_id: &str) -> SkillPayload {
        let mut p = SkillPayload::default();
        p.bot.id = bot_id.to_owned();
        p
    }

    fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn without_a_configured_secret_no_header_is_needed() {
        let access = Access::new(&[None, None], false, &["bot".into()]);
        assert!(!access.requires_secret());
        assert_eq!(access.check_secret(&headers(&[])), Ok(()));
        assert_eq!(
            Access::new(&[Some("")], false, &[]).check_secret(&headers(&[])),
            Ok(())
        );
    }

    #[test]
    fn production_without_a_secret_refuses_every_call() {
        let access = Access::new(&[None, Some("")], true, &["bot".into()]);
        assert!(access.requires_secret());
        assert_eq!(access.check_secret(&headers(&[])), Err(Denied::Secret));
        assert_eq!(
            access.check_secret(&headers(&[(SECRET_HEADER, "")])),
            Err(Denied::Secret)
        );
    }

    #[test]
    fn either_of_two_secrets_passes_during_a_rotation() {
        let access = Access::new(&[Some("old-secret"), Some("new-secret")], true, &[]);
        for good in ["old-secret", "new-secret"] {
            assert_eq!(
                access.check_secret(&headers(&[(SECRET_HEADER, good)])),
                Ok(())
            );
        }
        assert_eq!(
            access.check_secret(&headers(&[(SECRET_HEADER, "old-secretnew-secret")])),
            Err(Denied::Secret)
        );
    }

    #[test]
    fn a_configured_secret_must_match_exactly() {
        let access = Access::new(&[Some("s3cret")], false, &["bot".into()]);
        assert_eq!(
            access.check_secret(&headers(&[(SECRET_HEADER, "s3cret")])),
            Ok(())
        );
        assert_eq!(
            access.check_secret(&headers(&[("X-SimpleOrder-Skill-Secret", "s3cret")])),
            Ok(())
        );
        for bad in ["", "s3cre", "s3cret!", "S3CRET"] {
            assert_eq!(
                access.check_secret(&headers(&[(SECRET_HEADER, bad)])),
                Err(Denied::Secret),
                "{bad:?}"
            );
        }
        assert_eq!(access.check_secret(&headers(&[])), Err(Denied::Secret));
    }

    #[test]
    fn allowed_bots_pass_with_or_without_the_dev_suffix() {
        let access = Access::new(&[], false, &["bot-a".into(), " bot-b ".into()]);
        assert_eq!(access.check_bot(&payload("bot-a")), Ok(()));
        assert_eq!(access.check_bot(&payload("bot-a!")), Ok(()));
        assert_eq!(access.check_bot(&payload("bot-b")), Ok(()));
        assert_eq!(access.check_bot(&payload("bot-c")), Err(Denied::Bot));
        assert_eq!(access.check_bot(&payload("")), Err(Denied::Bot));
        assert_eq!(access.check_bot(&payload("bot-a!!")), Err(Denied::Bot));
        let dev_only = Access::new(&[], false, &["bot-d!".into()]);
        assert_eq!(dev_only.check_bot(&payload("bot-d!")), Ok(()));
    }

    #[test]
    fn the_bot_list_defaults_to_the_configured_bot_id() {
        let mut config = platform::Config::local();
        config.kakao.bot_id = "main-bot".into();
        let access = Access::from_config(&config);
        assert_eq!(access.check_bot(&payload("main-bot!")), Ok(()));
        config.kakao.bot_ids = vec!["x".into(), "y".into()];
        let access = Access::from_config(&config);
        assert_eq!(access.check_bot(&payload("main-bot")), Err(Denied::Bot));
        assert_eq!(access.check_bot(&payload("y")), Ok(()));
    }
}
