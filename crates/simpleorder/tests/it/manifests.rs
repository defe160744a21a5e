//! The Kubernetes manifests as an operator applies them: `kubectl kustomize deploy/k8s` (plus the
//! migrate Job and the Secret templates, which kustomize leaves out) validated against the
//! Kubernetes 1.32 schemas, and the security properties the cluster relies on. The tools come
//! from `scripts/k8s-tools.sh`, which `make test` runs first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use platform::Service;
use platform::config::{DatabaseUrls, ServiceTokens};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv_bin(name: &str) -> PathBuf {
    let local = std::env::var("SO_LOCAL_DIR").map_or_else(|_| root().join(".local"), PathBuf::from);
    let bin = local.join("k8s-venv/bin").join(name);
    assert!(
        bin.exists(),
        "{} is missing: run `bash scripts/k8s-tools.sh` (make test does)",
        bin.display()
    );
    bin
}

fn run(command: &mut Command, input: Option<&str>) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    if let Some(input) = input {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{command:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every object the operator applies, rendered, as files for the validator and JSON for us.
struct Manifests {
    files: Vec<PathBuf>,
    objects: Vec<Value>,
}

fn manifests() -> Manifests {
    let k8s = root().join("deploy/k8s");
    let rendered = run(Command::new("kubectl").arg("kustomize").arg(&k8s), None);
    let dir = std::env::temp_dir().join(format!("so-manifests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rendered_file = dir.join("rendered.yaml");
    std::fs::write(&rendered_file, &rendered).unwrap();
    let files = vec![
        rendered_file,
        k8s.join("migrate-job.yaml"),
        k8s.join("secret.example.yaml"),
    ];
    let mut objects = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let json = run(
            Command::new(venv_bin("python")).args([
                "-c",
                "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))",
            ]),
            Some(&text),
        );
        let docs: Vec<Value> = serde_json::from_str(&json).unwrap();
        objects.extend(docs);
    }
    Manifests { files, objects }
}

impl Manifests {
    fn of_kind(&self, kind: &str) -> Vec<&Value> {
        self.objects.iter().filter(|o| o["kind"] == kind).collect()
    }

    fn named(&self, kind: &str, name: &str) -> &Value {
        self.of_kind(kind)
            .into_iter()
            .find(|o| o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    }
}

const SERVICES: [&str; 6] = [
    "gateway",
    "store",
    "order",
    "payment",
    "accounting",
    "chatbot-skill",
];
/// The stateless services, autoscaled; accounting stays single.
const AUTOSCALED: [&str; 5] = ["gateway", "chatbot-skill", "order", "store", "payment"];

/// Who calls whose gRPC port: the code's own list ([`Service::callers`]), which also decides
/// whose service tokens each server accepts.
fn grpc_callers(service: &str) -> BTreeSet<&'static str> {
    Service::ALL
        .into_iter()
        .find(|s| s.name() == service)
        .map(|s| s.callers().iter().map(|c| c.name()).collect())
        .unwrap_or_default()
}

/// The service token of each deployment that makes gRPC calls.
fn token_of(service: &str) -> Option<&'static str> {
    Service::ALL
        .into_iter()
        .find(|s| s.name() == service)
        .filter(|s| platform::Config::local().service_tokens.of(*s).is_some())
        .map(ServiceTokens::env)
}

/// What each service's Secret holds, and nothing more: its connections and keys, its own service
/// token if it calls others, and the tokens of the deployments that call it.
fn secret_keys(name: &str) -> BTreeSet<&'static str> {
    let own: &[&str] = match name {
        "gateway" => &["REDIS_URL"],
        "payment" => &["REDIS_URL", "KAKAOPAY_SECRET_KEY"],
        "chatbot-skill" => &["REDIS_URL", "KAKAO_REST_API_KEY", "KAKAO_SKILL_SECRET"],
        "store" => &["REDIS_URL", "KAKAO_REST_API_KEY"],
        // The migration role's, which owns the schema.
        "migrate" => &["DATABASE_URL"],
        _ => &["REDIS_URL"],
    };
    let mut keys: BTreeSet<&str> = own.iter().copied().collect();
    // The URL of the service's own Postgres role, for a service that keeps data.
    keys.extend(
        Service::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .and_then(DatabaseUrls::env),
    );
    keys.extend(token_of(name));
    keys.extend(grpc_callers(name).into_iter().filter_map(token_of));
    keys
}

fn pod_spec(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]
}

#[test]
fn every_object_is_valid_for_kubernetes_1_32() {
    let m = manifests();
    let out = run(
        Command::new(venv_bin("kubernetes-validate"))
            .args(["--kubernetes-version", "1.32.0", "--strict", "--quiet"])
            .args(&m.files),
        None,
    );
    assert!(!out.contains("ERROR"), "{out}");
    // Everything the validator saw was something we expected to be there.
    let kinds: BTreeSet<&str> = m
        .objects
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    for kind in [
        "ConfigMap",
        "Deployment",
        "Service",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "Secret",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
}

#[test]
fn the_validator_refuses_what_kubernetes_would() {
    // So the test above can fail: an unknown field and a wrong type are reported.
    let dir = std::env::temp_dir().join(format!("so-manifests-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: { name: x }\n\
         spec: { minAvailable: 1, selector: { matchLabels: { a: b } }, surprise: true }\n",
    )
    .unwrap();
    let status = Command::new(venv_bin("kubernetes-validate"))
        .args(["--kubernetes-version", "1.32.0", "--strict", "--quiet"])
        .arg(&bad)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
}

#[test]
fn pods_run_locked_down_with_their_own_secret() {
    let m = manifests();
    let mut workloads: Vec<(String, &Value)> = SERVICES
        .iter()
        .map(|s| ((*s).to_owned(), m.named("Deployment", s)))
        .collect();
    workloads.push(("migrate".to_owned(), m.named("Job", "simpleorder-migrate")));
    for (name, workload) in workloads {
        let pod = pod_spec(workload);
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
            "{name}"
        );
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        for container in pod["containers"].as_array().unwrap() {
            let sc = &container["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{name}"
            );
            let secrets: Vec<&str> = container["envFrom"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["secretRef"]["name"].as_str())
                .collect();
            let own = format!("simpleorder-{name}");
            assert_eq!(secrets, [own.as_str()], "{name} reads its own Secret only");
            let keys: BTreeSet<&str> = m.named("Secret", &own)["stringData"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, secret_keys(&name), "{own}");
        }
    }
    let gateway: BTreeSet<&str> = secret_keys("gateway");
    assert_eq!(
        gateway,
        BTreeSet::from(["REDIS_URL", "GATEWAY_SERVICE_TOKEN"]),
        "no database credentials, no KakaoPay key, no other deployment's token"
    );
    // Payment is called by order and accounting only: the internet-facing gateway's token does
    // not open it, and nothing in payment's Secret lets it call anyone.
    assert_eq!(
        secret_keys("payment")
            .into_iter()
            .filter(|k| k.ends_with("SERVICE_TOKEN"))
            .collect::<Vec<_>>(),
        ["ACCOUNTING_SERVICE_TOKEN", "ORDER_SERVICE_TOKEN"]
    );

    let config = &m.named("ConfigMap", "simpleorder-config")["data"];
    assert_eq!(config["SIMPLEORDER_ENV"], "production");
    assert!(
        !config["KAKAOPAY_CID"].as_str().unwrap().starts_with("TC"),
        "no test CID in the production ConfigMap"
    );
}

#[test]
fn the_network_allows_only_the_designed_flows() {
    let m = manifests();
    let deny = m.named("NetworkPolicy", "default-deny");
    assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
    assert_eq!(
        deny["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert!(deny["spec"]["ingress"].is_null() && deny["spec"]["egress"].is_null());

    let ports: BTreeMap<&str, (i64, i64)> = SERVICES
        .iter()
        .zip(50050..)
        .zip(9100..)
        .map(|((s, grpc), ops)| (*s, (grpc, ops)))
        .collect();
    for service in SERVICES {
        let policy = m.named("NetworkPolicy", service);
        assert_eq!(
            policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
            service
        );
        let (grpc, ops) = ports[service];
        let mut grpc_from = BTreeSet::new();
        for rule in policy["spec"]["ingress"].as_array().unwrap() {
            let from = rule["from"]
                .as_array()
                .expect("every rule names its sources");
            assert!(!from.is_empty(), "{service}: a rule open to everyone");
            let rule_ports: Vec<i64> = rule["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["port"].as_i64().unwrap())
                .collect();
            for source in from {
                let namespace =
                    source["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                        .as_str();
                let pod = source["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str();
                match (namespace, pod) {
                    (Some("monitoring"), None) => assert_eq!(rule_ports, [ops], "{service}"),
                    (Some("ingress-nginx"), None) => {
                        assert_eq!(service, "gateway", "only the gateway faces the Ingress");
                        assert_eq!(rule_ports, [8080]);
                    }
                    (None, Some(caller)) => {
                        assert_eq!(rule_ports, [grpc], "{service} from {caller}");
                        grpc_from.insert(caller);
                    }
                    other => panic!("{service}: unexpected source {other:?}"),
                }
            }
        }
        let expected = grpc_callers(service);
        assert_eq!(
            grpc_from,
            expected.iter().copied().collect::<BTreeSet<&str>>(),
            "{service}"
        );
        // Egress mirrors the callers: a service reaches exactly the gRPC peers that list it.
        let mut calls = BTreeSet::new();
        for rule in policy["spec"]["egress"].as_array().unwrap() {
            for target in rule["to"].as_array().unwrap() {
                if let Some(peer) =
                    target["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str()
                    && SERVICES.contains(&peer)
                {
                    calls.insert(peer);
                }
            }
        }
        let expected_calls: BTreeSet<&str> = SERVICES
            .into_iter()
            .filter(|peer| grpc_callers(peer).contains(service))
            .collect();
        assert_eq!(calls, expected_calls, "{service} egress");
        assert_eq!(
            backing_egress(policy),
            backing_needs(service),
            "{service}: Postgres, Redis and Kakao"
        );
    }
    let migrate = m.named("NetworkPolicy", "migrate");
    assert_eq!(
        migrate["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert!(
        migrate["spec"]["ingress"].is_null(),
        "nothing reaches the Job"
    );
    assert_eq!(
        backing_egress(migrate),
        BTreeSet::from(["postgres:5432".to_owned()]),
        "the migrate Job reaches Postgres only"
    );
}

/// The services that call Kakao's APIs: payment (KakaoPay), store (Local), chatbot-skill (the
/// Event API).
const KAKAO_CALLERS: [&str; 3] = ["payment", "store", "chatbot-skill"];

/// Where a policy lets its pods go besides the SimpleOrder services: `postgres:5432`,
/// `redis:6379`, `public:443` (an ipBlock that leaves out every private and local range).
fn backing_egress(policy: &Value) -> BTreeSet<String> {
    let private = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "127.0.0.0/8",
    ];
    let mut found = BTreeSet::new();
    for rule in policy["spec"]["egress"].as_array().unwrap() {
        let ports: Vec<i64> = rule["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["port"].as_i64().unwrap())
            .collect();
        for target in rule["to"].as_array().unwrap() {
            let name = if let Some(pod) =
                target["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str()
            {
                if SERVICES.contains(&pod) {
                    continue;
                }
                pod.to_owned()
            } else {
                let block = &target["ipBlock"];
                assert_eq!(block["cidr"], "0.0.0.0/0", "{block}");
                let except: BTreeSet<&str> = block["except"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert!(
                    private.iter().all(|p| except.contains(p)),
                    "an ipBlock that reaches private addresses: {block}"
                );
                "public".to_owned()
            };
            for port in &ports {
                found.insert(format!("{name}:{port}"));
            }
        }
    }
    found
}

/// What a service's egress must allow besides its gRPC peers: the servers its Secret has
/// credentials for, and Kakao over https for the services that call it.
fn backing_needs(service: &str) -> BTreeSet<String> {
    let keys = secret_keys(service);
    let mut needs = BTreeSet::new();
    // The migration role's DATABASE_URL, or a service's own STORE_DATABASE_URL and the like.
    if keys.iter().any(|k| k.ends_with("DATABASE_URL")) {
        needs.insert("postgres:5432".to_owned());
    }
    if keys.contains("REDIS_URL") {
        needs.insert("redis:6379".to_owned());
    }
    if KAKAO_CALLERS.contains(&service) {
        needs.insert("public:443".to_owned());
    }
    needs
}

#[test]
fn stateless_services_autoscale_and_every_service_has_a_disruption_budget() {
    let m = manifests();
    for service in SERVICES {
        let pdb = m.named("PodDisruptionBudget", service);
        assert_eq!(
            pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
            service
        );
        let deployment = m.named("Deployment", service);
        let hpa = m
            .of_kind("HorizontalPodAutoscaler")
            .into_iter()
            .find(|h| h["spec"]["scaleTargetRef"]["name"] == service);
        if AUTOSCALED.contains(&service) {
            let hpa = hpa.unwrap_or_else(|| panic!("{service} has no autoscaler"));
            assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
            assert!(
                hpa["spec"]["minReplicas"].as_i64().unwrap() >= 2,
                "{service}"
            );
            assert!(
                deployment["spec"]["replicas"].is_null(),
                "{service}: the autoscaler owns replicas"
            );
            assert_eq!(pdb["spec"]["minAvailable"], 1, "{service}");
        } else {
            assert!(hpa.is_none(), "{service} stays single");
            assert_eq!(deployment["spec"]["replicas"], 1);
        }
    }
}

#[test]
fn the_ingress_reaches_only_the_gateway_with_limits() {
    let m = manifests();
    let ingress = m.named("Ingress", "simpleorder");
    let annotations = &ingress["metadata"]["annotations"];
    assert!(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].is_string());
    assert!(annotations["nginx.ingress.kubernetes.io/client-body-timeout"].is_string());
    assert!(annotations["nginx.ingress.kubernetes.io/client-header-timeout"].is_string());
    assert!(!ingress["spec"]["tls"].as_array().unwrap().is_empty());
    for rule in ingress["spec"]["rules"].as_array().unwrap() {
        for path in rule["http"]["paths"].as_array().unwrap() {
            assert_eq!(path["backend"]["service"]["name"], "gateway");
            assert_eq!(path["backend"]["service"]["port"]["name"], "http");
        }
    }
}
