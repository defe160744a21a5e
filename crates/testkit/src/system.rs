//! Any part of the system started in-process for one test, on ports bound for it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use contracts::accounting::v1::accounting_service_client::AccountingServiceClient;
use contracts::chatbot::v1::chatbot_skill_service_client::ChatbotSkillServiceClient;
use contracts::order::v1::order_service_client::OrderServiceClient;
use contracts::payment::v1::payment_service_client::PaymentServiceClient;
use contracts::store::v1::store_service_client::StoreServiceClient;
use platform::grpc::Client;
use platform::{Config, Endpoints, Service, Shutdown};
use tokio::task::{JoinHandle, JoinSet};

use crate::{TestDb, TestRedis, reserve_addr};

/// One service running until its shutdown.
pub type Running = Pin<Box<dyn Future<Output = Result<(), platform::Error>> + Send>>;

/// Starts a service in-process: a test binary's own, made by [`launch!`](crate::launch) from the
/// services it links.
pub type Launch = fn(Service, Config, Shutdown) -> Running;

/// A [`Launch`] for the services named, each with its `serve(config, shutdown)`:
/// `testkit::launch!(Store => store::serve, Order => order::serve)`. Any other service panics:
/// its crate is not linked into the test binary.
#[macro_export]
macro_rules! launch {
    ($($service:ident => $serve:path),+ $(,)?) => {
        |service, config, shutdown| -> $crate::Running {
            match service {
                $(::platform::Service::$service => Box::pin($serve(config, shutdown)),)+
                other => panic!("{other:?} is not started by this test binary"),
            }
        }
    };
}

pub struct System {
    pub config: Config,
    pub services: Vec<Service>,
    shutdown: Shutdown,
    task: Option<JoinHandle<Result<(), platform::Error>>>,
}

impl System {
    /// A configuration pointing at the test's database and Redis prefix, every address bound and
    /// handed in to the service that will serve on it.
    pub fn config(
        database_url: &str,
        redis_url: &str,
        redis_prefix: &str,
    ) -> anyhow::Result<Config> {
        let mut config = Config::local();
        config.database_url = database_url.to_owned();
        // Each service connects as its own role, as in production: SQL naming a table of
        // another service's schema fails in tests too.
        for service in Service::ALL {
            if let Some(role) = service.database_role() {
                config
                    .database_urls
                    .set(service, crate::url_as(database_url, role)?);
            }
        }
        config.redis_url = redis_url.to_owned();
        config.redis_prefix = redis_prefix.to_owned();
        let ports = (0..14)
            .map(|_| reserve_addr())
            .collect::<anyhow::Result<Vec<_>>>()?;
        config.gateway_addr = ports[0];
        config.sandbox_addr = ports[1];
        config.public_base_url = format!("http://{}", ports[0]);
        config.kakao.kakaopay_base_url = format!("http://{}", ports[1]);
        config.kakao.bot_api_base_url = format!("http://{}", ports[1]);
        config.kakao.local_base_url = format!("http://{}", ports[1]);
        let services = [
            Service::Gateway,
            Service::Store,
            Service::Order,
            Service::Payment,
            Service::Accounting,
            Service::ChatbotSkill,
        ];
        for (i, service) in services.into_iter().enumerate() {
            let grpc_addr = ports[2 + 2 * i];
            config.set_endpoints(
                service,
                &Endpoints {
                    grpc_addr,
                    ops_addr: ports[3 + 2 * i],
                    url: format!("http://{grpc_addr}"),
                },
            );
        }
        Ok(config)
    }

    /// Starts `services` against the test's database and Redis prefix and waits until each listens.
    pub async fn start(
        launch: Launch,
        services: &[Service],
        db: &TestDb,
        redis: &TestRedis,
    ) -> anyhow::Result<System> {
        let config = System::config(&db.url, &redis.url, &redis.prefix)?;
        System::start_with(launch, services, config).await
    }

    /// Starts `services` with `config`; when one of them fails, the others stop.
    pub async fn start_with(
        launch: Launch,
        services: &[Service],
        config: Config,
    ) -> anyhow::Result<System> {
        let shutdown = Shutdown::new();
        let mut tasks = JoinSet::new();
        for &service in services {
            tasks.spawn(launch(service, config.clone(), shutdown.clone()));
        }
        let token = shutdown.clone();
        let task = tokio::spawn(async move {
            platform::runtime::supervise("testkit", &mut tasks, &token).await
        });
        let system = System {
            config,
            services: services.to_vec(),
            shutdown,
            task: Some(task),
        };
        if !platform::listen::wait_until_serving(&system.config, services, Duration::from_secs(20))
            .await
        {
            anyhow::bail!("services did not start listening: {services:?}");
        }
        Ok(system)
    }

    pub fn gateway_url(&self) -> String {
        format!("http://{}", self.config.gateway_addr)
    }

    pub fn sandbox_url(&self) -> String {
        format!("http://{}", self.config.sandbox_addr)
    }

    /// `http://<ops addr>` of a service (healthz, readyz, metrics).
    pub fn ops_url(&self, service: Service) -> String {
        match self.config.endpoints(service) {
            Some(endpoints) => format!("http://{}", endpoints.ops_addr),
            None => self.sandbox_url(),
        }
    }

    /// A client of `service` that calls as its first caller in the design (the gateway for all
    /// but payment, which only order and accounting call).
    fn client(&self, service: Service) -> Client {
        let url = self.config.endpoints(service).expect("a gRPC service").url;
        self.client_as(service.callers()[0], &url)
    }

    /// A client that calls `url` as `caller`, with its token.
    pub fn client_as(&self, caller: Service, url: &str) -> Client {
        let me = self.config.identity(caller).expect("a calling service");
        platform::grpc::client(&me, url).expect("valid url")
    }

    pub fn store(&self) -> StoreServiceClient<Client> {
        StoreServiceClient::new(self.client(Service::Store))
    }

    pub fn order(&self) -> OrderServiceClient<Client> {
        OrderServiceClient::new(self.client(Service::Order))
    }

    pub fn payment(&self) -> PaymentServiceClient<Client> {
        PaymentServiceClient::new(self.client(Service::Payment))
    }

    pub fn accounting(&self) -> AccountingServiceClient<Client> {
        AccountingServiceClient::new(self.client(Service::Accounting))
    }

    pub fn chatbot(&self) -> ChatbotSkillServiceClient<Client> {
        ChatbotSkillServiceClient::new(self.client(Service::ChatbotSkill))
    }

    /// Stops every service gracefully and returns how they ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), task).await???;
        }
        Ok(())
    }
}

impl Drop for System {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
