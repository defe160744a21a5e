//! Configuration shared by every service, read from the environment and flags.
//!
//! Every value has a default that runs on one machine, so `simpleorder run` needs no setup; in
//! Kubernetes the same names come from a ConfigMap and a Secret.

use std::net::SocketAddr;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// `production` refuses to start on anything that only makes sense on a laptop (sandbox URLs
    /// and keys, the test CID, the sandbox service, a missing or weak secret, a plain-http public
    /// URL); `development` runs with the local defaults and says so in a banner.
    #[arg(
        long = "simpleorder-env",
        env = "SIMPLEORDER_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,

    #[command(flatten)]
    pub service_tokens: ServiceTokens,

    /// Postgres connection string of the migration role, which `simpleorder migrate` uses (it
    /// creates the database when missing); also each service's while its own is not set.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/simpleorder",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,

    #[command(flatten)]
    pub database_urls: DatabaseUrls,

    /// Redis connection string.
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        global = true
    )]
    pub redis_url: String,

    /// Prefix of every Redis key and stream, so several deployments or tests share one Redis.
    #[arg(long, env = "REDIS_PREFIX", default_value = "so:", global = true)]
    pub redis_prefix: String,

    /// The gateway's public HTTP address (Kakao webhooks, KakaoPay redirects, the store web UI).
    #[arg(
        long,
        env = "GATEWAY_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub gateway_addr: SocketAddr,

    /// The kakao-sandbox's HTTP address (dev only).
    #[arg(
        long,
        env = "SANDBOX_ADDR",
        default_value = "127.0.0.1:8090",
        global = true
    )]
    pub sandbox_addr: SocketAddr,

    /// The URL customers' browsers reach the gateway at (KakaoPay redirect URLs are built on it).
    #[arg(
        long,
        env = "PUBLIC_BASE_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub public_base_url: String,

    /// Proxies in front of the gateway that append the address they saw to `X-Forwarded-For`
    /// (a Kubernetes Ingress: 1). The client's address, for the per-address login limit and the
    /// skill calls, is then the N-th entry from the right; 0 uses the TCP peer address and
    /// ignores the header, which anyone can write.
    #[arg(
        long,
        env = "TRUSTED_PROXY_HOPS",
        default_value = "0",
        value_parser = crate::settings::number::<usize>(),
        global = true
    )]
    pub trusted_proxy_hops: usize,

    #[command(flatten)]
    pub gateway: GatewayEndpoints,
    #[command(flatten)]
    pub store: StoreEndpoints,
    #[command(flatten)]
    pub order: OrderEndpoints,
    #[command(flatten)]
    pub payment: PaymentEndpoints,
    #[command(flatten)]
    pub accounting: AccountingEndpoints,
    #[command(flatten)]
    pub chatbot_skill: ChatbotSkillEndpoints,

    #[command(flatten)]
    pub kakao: KakaoConfig,

    #[command(flatten)]
    pub http: crate::web::HttpLimits,

    /// Live board WebSockets one staff session may hold open at once (per gateway replica).
    #[arg(
        long,
        env = "LIVE_MAX_SOCKETS_PER_SESSION",
        default_value = "4",
        value_parser = crate::settings::number::<usize>(),
        global = true
    )]
    pub live_max_sockets_per_session: usize,

    /// Live board WebSockets one store may hold open at once (per gateway replica).
    #[arg(
        long,
        env = "LIVE_MAX_SOCKETS_PER_STORE",
        default_value = "20",
        value_parser = crate::settings::number::<usize>(),
        global = true
    )]
    pub live_max_sockets_per_store: usize,

    /// How often a live board socket gets a heartbeat message and a WebSocket ping.
    #[arg(
        long,
        env = "LIVE_HEARTBEAT",
        value_name = "DURATION",
        default_value = "15s",
        value_parser = crate::settings::duration(),
        global = true
    )]
    pub live_heartbeat: std::time::Duration,

    /// A live board socket from which nothing (not even the pong of a ping) arrived for this
    /// long is closed: the browser is gone although its connection was never closed.
    #[arg(
        long,
        env = "LIVE_IDLE_TIMEOUT",
        value_name = "DURATION",
        default_value = "45s",
        value_parser = crate::settings::duration(),
        global = true
    )]
    pub live_idle_timeout: std::time::Duration,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,

    /// OTLP gRPC endpoint; traces are exported only when set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otel_endpoint: Option<String>,
}

/// The addresses of one service: where it listens and where the others reach it.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub grpc_addr: SocketAddr,
    pub ops_addr: SocketAddr,
    pub url: String,
}

// clap needs one struct per service to give each its own env names; the macro keeps the six
// identical shapes in one place.
macro_rules! endpoints {
    ($name:ident, $svc:literal, $env:literal, $grpc:literal, $ops:literal) => {
        #[derive(Debug, Clone, Args)]
        pub struct $name {
            #[doc = concat!("gRPC listen address of ", $svc, ".")]
            #[arg(id = concat!($svc, "-grpc-addr"), long = concat!($svc, "-grpc-addr"), env = concat!($env, "_GRPC_ADDR"), default_value = $grpc, global = true)]
            pub grpc_addr: SocketAddr,
            #[doc = concat!("Health and metrics HTTP address of ", $svc, ".")]
            #[arg(id = concat!($svc, "-ops-addr"), long = concat!($svc, "-ops-addr"), env = concat!($env, "_OPS_ADDR"), default_value = $ops, global = true)]
            pub ops_addr: SocketAddr,
            #[doc = concat!("URL the other services call ", $svc, " at [default: http://<grpc addr>].")]
            #[arg(id = concat!($svc, "-url"), long = concat!($svc, "-url"), env = concat!($env, "_URL"), global = true)]
            pub url: Option<String>,
        }

        impl $name {
            pub fn endpoints(&self) -> Endpoints {
                Endpoints {
                    grpc_addr: self.grpc_addr,
                    ops_addr: self.ops_addr,
                    url: self
                        .url
                        .clone()
                        .unwrap_or_else(|| format!("http://{}", self.grpc_addr)),
                }
            }

            pub fn set(&mut self, endpoints: &Endpoints) {
                self.grpc_addr = endpoints.grpc_addr;
                self.ops_addr = endpoints.ops_addr;
                self.url = Some(endpoints.url.clone());
            }
        }
    };
}

endpoints!(
    GatewayEndpoints,
    "gateway",
    "GATEWAY",
    "127.0.0.1:50050",
    "127.0.0.1:9100"
);
endpoints!(
    StoreEndpoints,
    "store",
    "STORE",
    "127.0.0.1:50051",
    "127.0.0.1:9101"
);
endpoints!(
    OrderEndpoints,
    "order",
    "ORDER",
    "127.0.0.1:50052",
    "127.0.0.1:9102"
);
endpoints!(
    PaymentEndpoints,
    "payment",
    "PAYMENT",
    "127.0.0.1:50053",
    "127.0.0.1:9103"
);
endpoints!(
    AccountingEndpoints,
    "accounting",
    "ACCOUNTING",
    "127.0.0.1:50054",
    "127.0.0.1:9104"
);
endpoints!(
    ChatbotSkillEndpoints,
    "chatbot-skill",
    "CHATBOT_SKILL",
    "127.0.0.1:50055",
    "127.0.0.1:9105"
);

/// The Postgres connection string of each service that keeps data, as its own role (see
/// [`Service::database_role`]); unset, the service uses `DATABASE_URL`, as in development.
#[derive(Clone, Default, Args)]
pub struct DatabaseUrls {
    /// Postgres connection string of the store service's role [default: DATABASE_URL].
    #[arg(
        long,
        env = "STORE_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub store_database_url: Option<String>,
    /// Postgres connection string of the order service's role [default: DATABASE_URL].
    #[arg(
        long,
        env = "ORDER_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub order_database_url: Option<String>,
    /// Postgres connection string of the accounting service's role [default: DATABASE_URL].
    #[arg(
        long,
        env = "ACCOUNTING_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub accounting_database_url: Option<String>,
    /// Postgres connection string of the chatbot-skill service's role [default: DATABASE_URL].
    #[arg(
        long,
        env = "CHATBOT_SKILL_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub chatbot_skill_database_url: Option<String>,
}

impl DatabaseUrls {
    /// The environment name of `service`'s URL, for a service that keeps data.
    pub fn env(service: Service) -> Option<&'static str> {
        match service {
            Service::Store => Some("STORE_DATABASE_URL"),
            Service::Order => Some("ORDER_DATABASE_URL"),
            Service::Accounting => Some("ACCOUNTING_DATABASE_URL"),
            Service::ChatbotSkill => Some("CHATBOT_SKILL_DATABASE_URL"),
            Service::Gateway | Service::Payment | Service::KakaoSandbox => None,
        }
    }

    /// `service`'s own URL, when set.
    pub fn of(&self, service: Service) -> Option<&str> {
        match service {
            Service::Store => self.store_database_url.as_deref(),
            Service::Order => self.order_database_url.as_deref(),
            Service::Accounting => self.accounting_database_url.as_deref(),
            Service::ChatbotSkill => self.chatbot_skill_database_url.as_deref(),
            Service::Gateway | Service::Payment | Service::KakaoSandbox => None,
        }
    }

    pub fn set(&mut self, service: Service, url: String) {
        let field = match service {
            Service::Store => &mut self.store_database_url,
            Service::Order => &mut self.order_database_url,
            Service::Accounting => &mut self.accounting_database_url,
            Service::ChatbotSkill => &mut self.chatbot_skill_database_url,
            Service::Gateway | Service::Payment | Service::KakaoSandbox => return,
        };
        *field = Some(url);
    }
}

// Connection strings carry passwords: logging a configuration shows only which are set.
impl std::fmt::Debug for DatabaseUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |url: &Option<String>| url.as_ref().map(|_| "<redacted>");
        f.debug_struct("DatabaseUrls")
            .field("store", &set(&self.store_database_url))
            .field("order", &set(&self.order_database_url))
            .field("accounting", &set(&self.accounting_database_url))
            .field("chatbot_skill", &set(&self.chatbot_skill_database_url))
            .finish()
    }
}

/// The kakao-sandbox's KakaoPay secret key: the default, and refused in production.
pub const SANDBOX_KAKAOPAY_SECRET_KEY: &str = "DEVSANDBOXKEY";
/// The kakao-sandbox's REST API key: the default, and refused in production.
pub const SANDBOX_REST_API_KEY: &str = "sandbox-rest-key";

/// Where Kakao's platform is: the real one in production, the sandbox everywhere else.
#[derive(Clone, Args)]
pub struct KakaoConfig {
    /// KakaoPay online payment API base URL.
    #[arg(
        long,
        env = "KAKAOPAY_BASE_URL",
        default_value = "http://127.0.0.1:8090",
        global = true
    )]
    pub kakaopay_base_url: String,

    /// KakaoPay merchant code (CID).
    #[arg(
        long,
        env = "KAKAOPAY_CID",
        default_value = "TC0ONETIME",
        global = true
    )]
    pub kakaopay_cid: String,

    /// KakaoPay secret key, sent as `Authorization: SECRET_KEY …`.
    #[arg(
        long,
        env = "KAKAOPAY_SECRET_KEY",
        default_value = SANDBOX_KAKAOPAY_SECRET_KEY,
        hide_env_values = true,
        global = true
    )]
    pub kakaopay_secret_key: String,

    /// Kakao bot API base URL (Event API).
    #[arg(
        long,
        env = "KAKAO_BOT_API_BASE_URL",
        default_value = "http://127.0.0.1:8090",
        global = true
    )]
    pub bot_api_base_url: String,

    /// Kakao Local API base URL (place and address search, used by the store service).
    #[arg(
        long,
        env = "KAKAO_LOCAL_BASE_URL",
        default_value = "http://127.0.0.1:8090",
        global = true
    )]
    pub local_base_url: String,

    /// REST API key of the Kakao Developers app linked to the bot (`Authorization: KakaoAK …`),
    /// for the Event API and the Local API.
    #[arg(
        long,
        env = "KAKAO_REST_API_KEY",
        default_value = SANDBOX_REST_API_KEY,
        hide_env_values = true,
        global = true
    )]
    pub rest_api_key: String,

    /// The chatbot's bot id.
    #[arg(
        long,
        env = "KAKAO_BOT_ID",
        default_value = "sandbox-bot",
        global = true
    )]
    pub bot_id: String,

    /// Bot ids whose skill calls are answered, comma-separated [default: KAKAO_BOT_ID]. The
    /// development channel's `!` suffix is accepted on each.
    #[arg(long, env = "KAKAO_BOT_IDS", value_delimiter = ',', global = true)]
    pub bot_ids: Vec<String>,

    /// Shared secret every skill call must carry in `X-SimpleOrder-Skill-Secret` (set as a fixed
    /// header on the skill in Open Builder). Unset: not required, for local runs and the sandbox.
    #[arg(
        long,
        env = "KAKAO_SKILL_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub skill_secret: Option<String>,

    /// A second accepted skill secret, for rotation: set the new secret here, change the header
    /// in Open Builder, then make it KAKAO_SKILL_SECRET and unset this one.
    #[arg(
        long,
        env = "KAKAO_SKILL_SECRET_NEXT",
        hide_env_values = true,
        global = true
    )]
    pub skill_secret_next: Option<String>,

    /// Allows KakaoPay's test merchant code (TC…) in production mode, for a staging deployment
    /// that must never take real money.
    #[arg(
        long,
        env = "KAKAOPAY_ALLOW_TEST_CID",
        default_value = "false",
        action = clap::ArgAction::Set,
        global = true
    )]
    pub kakaopay_allow_test_cid: bool,

    /// The Open Builder setup file (blocks and their ids) [default: the built-in
    /// deploy/openbuilder/bot.json].
    #[arg(long, env = "KAKAO_OPENBUILDER_FILE", global = true)]
    pub openbuilder_file: Option<std::path::PathBuf>,
}

// Written by hand so that logging a configuration never prints a key or a secret.
impl std::fmt::Debug for KakaoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |s: &str| if s.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("KakaoConfig")
            .field("kakaopay_base_url", &self.kakaopay_base_url)
            .field("kakaopay_cid", &self.kakaopay_cid)
            .field("kakaopay_secret_key", &redacted(&self.kakaopay_secret_key))
            .field("bot_api_base_url", &self.bot_api_base_url)
            .field("local_base_url", &self.local_base_url)
            .field("rest_api_key", &redacted(&self.rest_api_key))
            .field("bot_id", &self.bot_id)
            .field("bot_ids", &self.bot_ids)
            .field("skill_secret", &self.skill_secret.as_deref().map(redacted))
            .field(
                "skill_secret_next",
                &self.skill_secret_next.as_deref().map(redacted),
            )
            .field("kakaopay_allow_test_cid", &self.kakaopay_allow_test_cid)
            .field("openbuilder_file", &self.openbuilder_file)
            .finish()
    }
}

// A macro, so that `concat!` can build each default from it.
macro_rules! dev_token_prefix {
    () => {
        "simpleorder-development-token-of-"
    };
}

/// Start of every development service token; production mode refuses a token that has it.
pub const DEV_TOKEN_PREFIX: &str = dev_token_prefix!();

// One token per deployment that calls others (the gateway, store, order, accounting,
// chatbot-skill; payment calls no one). The same value sits in the caller's Secret, which sends it,
// and in the Secrets of the services it calls, which accept it; `_NEXT` is accepted too, so a
// token is rotated without downtime. The defaults are well-known development values, so local
// processes find each other with no setup; production mode refuses them.
macro_rules! service_tokens {
    ($(($field:ident, $next:ident, $service:ident, $id:literal, $env:literal)),* $(,)?) => {
        /// The service tokens of the deployments that make gRPC calls.
        #[derive(Clone, Args)]
        pub struct ServiceTokens {
            $(
                #[doc = concat!("Token the ", $id, "'s gRPC calls carry, and that the services it calls accept (from a Secret).")]
                #[arg(id = concat!($id, "-service-token"), long = concat!($id, "-service-token"), env = $env, default_value = concat!(dev_token_prefix!(), $id), hide_env_values = true, hide_default_value = true, global = true)]
                pub $field: String,
                #[doc = concat!("A second ", $env, " the called services accept while the ", $id, "'s token is rotated.")]
                #[arg(id = concat!($id, "-service-token-next"), long = concat!($id, "-service-token-next"), env = concat!($env, "_NEXT"), hide_env_values = true, global = true)]
                pub $next: Option<String>,
            )*
        }

        impl ServiceTokens {
            /// The environment name of `service`'s token.
            pub fn env(service: Service) -> &'static str {
                match service {
                    $(Service::$service => $env,)*
                    _ => "SERVICE_TOKEN",
                }
            }

            /// `service`'s token and the one being rotated in, if it makes gRPC calls at all.
            pub fn of(&self, service: Service) -> Option<(&str, Option<&str>)> {
                match service {
                    $(Service::$service => Some((&self.$field, self.$next.as_deref())),)*
                    _ => None,
                }
            }
        }
    };
}

service_tokens!(
    (
        gateway,
        gateway_next,
        Gateway,
        "gateway",
        "GATEWAY_SERVICE_TOKEN"
    ),
    (store, store_next, Store, "store", "STORE_SERVICE_TOKEN"),
    (order, order_next, Order, "order", "ORDER_SERVICE_TOKEN"),
    (
        accounting,
        accounting_next,
        Accounting,
        "accounting",
        "ACCOUNTING_SERVICE_TOKEN"
    ),
    (
        chatbot_skill,
        chatbot_skill_next,
        ChatbotSkill,
        "chatbot-skill",
        "CHATBOT_SKILL_SERVICE_TOKEN"
    ),
);

impl std::fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the process runs (`SIMPLEORDER_ENV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Service {
    Gateway,
    Store,
    Order,
    Payment,
    Accounting,
    ChatbotSkill,
    KakaoSandbox,
}

impl Service {
    pub const ALL: [Service; 7] = [
        Service::Store,
        Service::Payment,
        Service::Order,
        Service::Accounting,
        Service::ChatbotSkill,
        Service::Gateway,
        Service::KakaoSandbox,
    ];

    /// Whose gRPC calls this service answers: the arrows of the design's service diagram. Its
    /// server accepts these deployments' tokens and no others.
    pub fn callers(self) -> &'static [Service] {
        match self {
            Service::Store => &[
                Service::Gateway,
                Service::Order,
                Service::Accounting,
                Service::ChatbotSkill,
            ],
            // The store seals and unseals its business day with order when it closes and resumes.
            Service::Order => &[
                Service::Gateway,
                Service::Store,
                Service::Accounting,
                Service::ChatbotSkill,
            ],
            Service::Payment => &[Service::Order, Service::Accounting],
            Service::Accounting | Service::ChatbotSkill => &[Service::Gateway],
            Service::Gateway | Service::KakaoSandbox => &[],
        }
    }

    /// The Postgres schema that holds this service's tables, which its connections take as
    /// their `search_path`; `None` for a service that keeps nothing in Postgres. Order's is
    /// `ordering` because ORDER is a keyword.
    pub fn schema(self) -> Option<&'static str> {
        match self {
            Service::Store => Some("store"),
            Service::Order => Some("ordering"),
            Service::Accounting => Some("accounting"),
            Service::ChatbotSkill => Some("chatbot"),
            Service::Gateway | Service::Payment | Service::KakaoSandbox => None,
        }
    }

    /// The Postgres role the migrations grant this service's schema to, and nothing else.
    pub fn database_role(self) -> Option<&'static str> {
        match self {
            Service::Store => Some("simpleorder_store"),
            Service::Order => Some("simpleorder_order"),
            Service::Accounting => Some("simpleorder_accounting"),
            Service::ChatbotSkill => Some("simpleorder_chatbot"),
            Service::Gateway | Service::Payment | Service::KakaoSandbox => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Gateway => "gateway",
            Service::Store => "store",
            Service::Order => "order",
            Service::Payment => "payment",
            Service::Accounting => "accounting",
            Service::ChatbotSkill => "chatbot-skill",
            Service::KakaoSandbox => "kakao-sandbox",
        }
    }
}

impl crate::settings::Validate for Config {
    fn check(&self, problems: &mut crate::settings::Problems) {
        self.http.check(problems);
        problems.at_least_one(
            "LIVE_MAX_SOCKETS_PER_SESSION",
            self.live_max_sockets_per_session as u64,
        );
        problems.at_least_one(
            "LIVE_MAX_SOCKETS_PER_STORE",
            self.live_max_sockets_per_store as u64,
        );
        problems.non_zero_duration("LIVE_HEARTBEAT", self.live_heartbeat);
        problems.require(self.live_idle_timeout > self.live_heartbeat, || {
            format!(
                "LIVE_IDLE_TIMEOUT ({}) must be longer than LIVE_HEARTBEAT ({}): a board answers \
                 a ping only when one is sent",
                crate::settings::format_duration(self.live_idle_timeout),
                crate::settings::format_duration(self.live_heartbeat)
            )
        });
    }
}

impl Config {
    /// The defaults, as `simpleorder run` sees them with an empty environment.
    pub fn local() -> Config {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        <Wrapper as clap::Parser>::parse_from(["simpleorder"]).config
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Where `service` connects to Postgres: its own URL, else `DATABASE_URL`.
    pub fn database_url_of(&self, service: Service) -> &str {
        self.database_urls.of(service).unwrap_or(&self.database_url)
    }

    /// Who `service`'s gRPC clients call as. Only a service that makes calls has a token.
    pub fn identity(&self, service: Service) -> Result<crate::grpc::Identity, crate::Error> {
        let (token, _) = self.service_tokens.of(service).ok_or_else(|| {
            crate::Error::Config(format!("{} makes no gRPC calls", service.name()))
        })?;
        crate::grpc::Identity::new(service, token)
    }

    /// The tokens `service`'s gRPC server accepts: its callers' (and any being rotated in).
    pub fn accepted_by(&self, service: Service) -> crate::grpc::Accepted {
        crate::grpc::Accepted::new(service.callers().iter().flat_map(|&caller| {
            let (token, next) = self.service_tokens.of(caller).unwrap_or_default();
            [Some(token), next]
                .into_iter()
                .flatten()
                .map(move |t| (caller, t.to_owned()))
        }))
    }

    pub fn endpoints(&self, service: Service) -> Option<Endpoints> {
        Some(match service {
            Service::Gateway => self.gateway.endpoints(),
            Service::Store => self.store.endpoints(),
            Service::Order => self.order.endpoints(),
            Service::Payment => self.payment.endpoints(),
            Service::Accounting => self.accounting.endpoints(),
            Service::ChatbotSkill => self.chatbot_skill.endpoints(),
            Service::KakaoSandbox => return None,
        })
    }

    pub fn set_endpoints(&mut self, service: Service, endpoints: &Endpoints) {
        match service {
            Service::Gateway => self.gateway.set(endpoints),
            Service::Store => self.store.set(endpoints),
            Service::Order => self.order.set(endpoints),
            Service::Payment => self.payment.set(endpoints),
            Service::Accounting => self.accounting.set(endpoints),
            Service::ChatbotSkill => self.chatbot_skill.set(endpoints),
            Service::KakaoSandbox => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_locally() {
        let config = Config::local();
        assert_eq!(config.redis_prefix, "so:");
        assert_eq!(config.store.endpoints().url, "http://127.0.0.1:50051");
        assert_eq!(config.gateway_addr.port(), 8080);
        assert_eq!(
            config.trusted_proxy_hops, 0,
            "the peer address unless told otherwise"
        );
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let mut config = Config::local();
        config.kakao.kakaopay_secret_key = "DEVSECRET123".into();
        config.kakao.skill_secret = Some("hush".into());
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("DEVSECRET123") && !shown.contains("hush"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
    }
}
