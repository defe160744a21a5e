//! Who may call the skills. Kakao does not sign skill requests, so two checks stand in:
//! a shared secret that Open Builder sends as a fixed header configured on the skill, and the
//! payload's bot id against an allowlist (the development channel's `!` suffix accepted).
//!
//! Without `KAKAO_SKILL_SECRET` the header is not required: local runs and the sandbox work
//! with no setup. A deployment that Kakao reaches sets it (and the same value in Open Builder).

use std::collections::HashMap;

use kakao::SkillPayload;
use platform::config::KakaoConfig;

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

#[derive(Clone)]
pub struct Access {
    secret: Option<String>,
    bot_ids: Vec<String>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .field("bot_ids", &self.bot_ids)
            .finish()
    }
}

impl Access {
    pub fn new(secret: Option<&str>, bot_ids: &[String]) -> Access {
        Access {
            secret: secret.filter(|s| !s.is_empty()).map(str::to_owned),
            bot_ids: bot_ids
                .iter()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect(),
        }
    }

    /// `KAKAO_BOT_IDS`, or the one `KAKAO_BOT_ID` when that is unset.
    pub fn from_config(kakao: &KakaoConfig) -> Access {
        let bot_ids = if kakao.bot_ids.iter().any(|id| !id.trim().is_empty()) {
            kakao.bot_ids.clone()
        } else {
            vec![kakao.bot_id.clone()]
        };
        Access::new(kakao.skill_secret.as_deref(), &bot_ids)
    }

    pub fn requires_secret(&self) -> bool {
        self.secret.is_some()
    }

    pub fn check_secret(&self, headers: &HashMap<String, String>) -> Result<(), Denied> {
        let Some(expected) = &self.secret else {
            return Ok(());
        };
        let given = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(SECRET_HEADER))
            .map(|(_, value)| value.trim());
        match given {
            Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(Denied::Secret),
        }
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
        let access = Access::new(None, &["bot".into()]);
        assert!(!access.requires_secret());
        assert_eq!(access.check_secret(&headers(&[])), Ok(()));
        assert_eq!(
            Access::new(Some(""), &[]).check_secret(&headers(&[])),
            Ok(())
        );
    }

    #[test]
    fn a_configured_secret_must_match_exactly() {
        let access = Access::new(Some("s3cret"), &["bot".into()]);
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
        let access = Access::new(None, &["bot-a".into(), " bot-b ".into()]);
        assert_eq!(access.check_bot(&payload("bot-a")), Ok(()));
        assert_eq!(access.check_bot(&payload("bot-a!")), Ok(()));
        assert_eq!(access.check_bot(&payload("bot-b")), Ok(()));
        assert_eq!(access.check_bot(&payload("bot-c")), Err(Denied::Bot));
        assert_eq!(access.check_bot(&payload("")), Err(Denied::Bot));
        assert_eq!(access.check_bot(&payload("bot-a!!")), Err(Denied::Bot));
        let dev_only = Access::new(None, &["bot-d!".into()]);
        assert_eq!(dev_only.check_bot(&payload("bot-d!")), Ok(()));
    }

    #[test]
    fn the_bot_list_defaults_to_the_configured_bot_id() {
        let mut kakao = platform::Config::local().kakao;
        kakao.bot_id = "main-bot".into();
        let access = Access::from_config(&kakao);
        assert_eq!(access.check_bot(&payload("main-bot!")), Ok(()));
        kakao.bot_ids = vec!["x".into(), "y".into()];
        let access = Access::from_config(&kakao);
        assert_eq!(access.check_bot(&payload("main-bot")), Err(Denied::Bot));
        assert_eq!(access.check_bot(&payload("y")), Ok(()));
    }
}
