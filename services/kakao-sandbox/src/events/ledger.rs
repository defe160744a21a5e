//! What the sandbox's Event API saw: every request (attempts), every message that went out
//! (deliveries, one per user), the tasks Kakao would report on, and the chat simulator's inbox
//! of rendered alerts. In memory, like the rest of the sandbox, and bounded: each log keeps its
//! most recent [`KEEP`] entries and counts the ones it dropped, so a sandbox left running for
//! days of chatbot traffic does not grow without end.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use kakao::event_api::{
    EventRequest, EventUser, TASK_ALL_SUCCESS, TaskFailures, TaskResult, USERS_PER_REQUEST_MAX,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::chat::bot::{BotFile, EventDef};

/// Entries each log keeps (attempts, deliveries, tasks, inbox messages): far more than a test
/// or a demo makes.
pub const KEEP: usize = 10_000;

/// One request to `POST /v2/bots/{botId}/talk`, whatever became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub event: String,
    pub event_id: Option<String>,
    pub users: usize,
    /// `delivered`, a fault's name (`status=500`, `timeout`, `timeout-after`), or
    /// `rejected: …` for a request the API refused.
    pub outcome: String,
}

/// One message that went out to one user.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub seq: u64,
    pub task_id: String,
    pub at: DateTime<Utc>,
    pub event: String,
    pub event_id: Option<String>,
    pub user: EventUser,
    pub params: BTreeMap<String, String>,
    pub data: Option<Map<String, Value>>,
}

/// The skill's answer to one delivery, as the chat simulator shows it.
#[derive(Debug, Clone, Serialize)]
pub struct InboxMessage {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub user_key: String,
    pub event: String,
    pub event_id: Option<String>,
    pub task_id: String,
    pub block: BlockRef,
    pub skill: String,
    pub url: String,
    /// The SkillPayload as sent to the skill.
    pub request: KeptJson,
    pub status: Option<u16>,
    pub response: Option<KeptJson>,
    pub violations: Vec<String>,
    pub error: Option<ErrorBody>,
    pub elapsed_ms: u64,
}

/// A JSON document kept as its text, and written out as the document again. Parsed, a skill
/// payload or answer held about ten times its text's size in maps and strings (the inbox was
/// most of the sandbox's memory after a load test); the text is read back only when a chat
/// page asks for its messages.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptJson(Box<str>);

impl From<&Value> for KeptJson {
    fn from(value: &Value) -> KeptJson {
        KeptJson(value.to_string().into_boxed_str())
    }
}

impl Serialize for KeptJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::from_str::<Value>(&self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BlockRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub kind: &'static str,
    pub message: String,
}

/// The most recent entries of one log, oldest first, and how many older ones were dropped.
#[derive(Debug)]
struct Log<T> {
    entries: VecDeque<T>,
    dropped: u64,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log {
            entries: VecDeque::new(),
            dropped: 0,
        }
    }
}

impl<T> Log<T> {
    /// Appends `entry`; returns the entry dropped to stay within `keep`.
    fn push(&mut self, entry: T, keep: usize) -> Option<T> {
        self.entries.push_back(entry);
        if self.entries.len() > keep {
            self.dropped += 1;
            return self.entries.pop_front();
        }
        None
    }
}

#[derive(Debug)]
pub struct Ledger {
    keep: usize,
    next_seq: u64,
    attempts: Log<Attempt>,
    deliveries: Log<Delivery>,
    /// Task ids in the order they were given out; the oldest is forgotten first.
    task_ids: Log<String>,
    tasks: HashMap<String, TaskResult>,
    inbox: Log<InboxMessage>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::keeping(KEEP)
    }
}

/// `GET /sandbox/events`.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub attempts: Vec<Attempt>,
    pub deliveries: Vec<Delivery>,
    /// Deliveries per `event_id` (from `event.data.event_id` or `params.event_id`), over the
    /// deliveries still kept: with `dropped.deliveries` above 0 an old event may count low.
    pub counts: BTreeMap<String, usize>,
    /// How many entries each log keeps.
    pub keep: usize,
    pub dropped: Dropped,
}

/// Entries dropped from each log to stay within [`View::keep`], oldest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub attempts: u64,
    pub deliveries: u64,
    pub tasks: u64,
    pub inbox: u64,
}

/// The id the caller gave its event, if any.
pub fn event_id(request: &EventRequest) -> Option<String> {
    request
        .event
        .data
        .as_ref()
        .and_then(|data| data.get("event_id"))
        .and_then(Value::as_str)
        .or_else(|| request.params.get("event_id").map(String::as_str))
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// What Kakao would refuse: no users or more than 100, a user without an id, or an event name
/// no block of the setup file has. The event's definition otherwise.
pub fn check<'a>(request: &EventRequest, bot: &'a BotFile) -> Result<&'a EventDef, String> {
    if request.user.is_empty() || request.user.len() > USERS_PER_REQUEST_MAX {
        return Err(format!(
            "user must list 1–{USERS_PER_REQUEST_MAX} users, got {}",
            request.user.len()
        ));
    }
    if request.user.iter().any(|u| u.id.trim().is_empty()) {
        return Err("every user needs an id".to_owned());
    }
    bot.events
        .iter()
        .find(|e| e.name == request.event.name)
        .ok_or_else(|| {
            format!(
                "no block has the event name {:?} (bot.json events: {})",
                request.event.name,
                bot.events
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

impl Ledger {
    /// A ledger whose logs keep their `keep` most recent entries (at least one).
    pub fn keeping(keep: usize) -> Ledger {
        Ledger {
            keep: keep.max(1),
            next_seq: 0,
            attempts: Log::default(),
            deliveries: Log::default(),
            task_ids: Log::default(),
            tasks: HashMap::new(),
            inbox: Log::default(),
        }
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn attempt(
        &mut self,
        event: &str,
        event_id: Option<String>,
        users: usize,
        outcome: String,
        at: DateTime<Utc>,
    ) {
        let seq = self.seq();
        let attempt = Attempt {
            seq,
            at,
            event: event.to_owned(),
            event_id,
            users,
            outcome,
        };
        self.attempts.push(attempt, self.keep);
    }

    /// Records the message to every user of `request` under one new task; returns the task
    /// id and the deliveries.
    pub fn deliver(
        &mut self,
        request: &EventRequest,
        at: DateTime<Utc>,
    ) -> (String, Vec<Delivery>) {
        let task_id = uuid::Uuid::now_v7().simple().to_string();
        let event_id = event_id(request);
        let mut delivered = Vec::new();
        for user in &request.user {
            let seq = self.seq();
            let delivery = Delivery {
                seq,
                task_id: task_id.clone(),
                at,
                event: request.event.name.clone(),
                event_id: event_id.clone(),
                user: user.clone(),
                params: request.params.clone(),
                data: request.event.data.clone(),
            };
            self.deliveries.push(delivery.clone(), self.keep);
            delivered.push(delivery);
        }
        let count = i64::try_from(request.user.len()).unwrap_or(i64::MAX);
        self.keep_task(TaskResult {
            task_id: task_id.clone(),
            status: TASK_ALL_SUCCESS.to_owned(),
            all_request_count: Some(count),
            success_count: Some(count),
            fail: Some(TaskFailures::default()),
            other: BTreeMap::new(),
        });
        (task_id, delivered)
    }

    /// A send whose user keys none resolve: nothing goes out, and the task says so as Kakao's
    /// does (`N FAIL`, `userKeyResolvingFailCount`, an empty `fail.list`). Returns the task id.
    pub fn unresolved(&mut self, request: &EventRequest) -> String {
        let task_id = uuid::Uuid::now_v7().simple().to_string();
        let count = i64::try_from(request.user.len()).unwrap_or(i64::MAX);
        self.keep_task(TaskResult {
            task_id: task_id.clone(),
            status: format!("{count} FAIL"),
            all_request_count: Some(count),
            success_count: Some(0),
            fail: Some(TaskFailures {
                count,
                list: Vec::new(),
            }),
            other: BTreeMap::from([("userKeyResolvingFailCount".to_owned(), Value::from(count))]),
        });
        task_id
    }

    fn keep_task(&mut self, task: TaskResult) {
        if let Some(forgotten) = self.task_ids.push(task.task_id.clone(), self.keep) {
            self.tasks.remove(&forgotten);
        }
        self.tasks.insert(task.task_id.clone(), task);
    }

    pub fn task(&self, task_id: &str) -> Option<&TaskResult> {
        self.tasks.get(task_id)
    }

    /// The last sequence number given out.
    pub fn latest(&self) -> u64 {
        self.next_seq
    }

    pub fn push_inbox(&mut self, mut message: InboxMessage) {
        message.seq = self.seq();
        self.inbox.push(message, self.keep);
    }

    /// The messages for `user_key` after `after`, oldest first.
    pub fn inbox(&self, user_key: &str, after: u64) -> Vec<InboxMessage> {
        self.inbox
            .entries
            .iter()
            .filter(|m| m.user_key == user_key && m.seq > after)
            .cloned()
            .collect()
    }

    pub fn view(&self) -> View {
        let mut counts = BTreeMap::new();
        for id in self
            .deliveries
            .entries
            .iter()
            .filter_map(|d| d.event_id.clone())
        {
            *counts.entry(id).or_insert(0) += 1;
        }
        View {
            attempts: self.attempts.entries.iter().cloned().collect(),
            deliveries: self.deliveries.entries.iter().cloned().collect(),
            counts,
            keep: self.keep,
            dropped: Dropped {
                attempts: self.attempts.dropped,
                deliveries: self.deliveries.dropped,
                tasks: self.task_ids.dropped,
                inbox: self.inbox.dropped,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakao::event_api::Event;

    fn request(users: usize, name: &str) -> EventRequest {
        EventRequest {
            event: Event::new(name).data("event_id", "ev-1"),
            user: (0..users)
                .map(|i| EventUser::bot_user_key(format!("u{i}")))
                .collect(),
            params: BTreeMap::from([("text".to_owned(), "안녕".to_owned())]),
        }
    }

    #[test]
    fn requests_kakao_would_refuse_are_refused() {
        let bot = BotFile::embedded().unwrap();
        assert_eq!(
            check(&request(1, "order_ready"), &bot).unwrap().block,
            "blk_alert"
        );
        assert!(check(&request(100, "order_placed"), &bot).is_ok());
        assert!(check(&request(0, "order_ready"), &bot).is_err());
        assert!(check(&request(101, "order_ready"), &bot).is_err());
        let unknown = check(&request(1, "order_shipped"), &bot).unwrap_err();
        assert!(unknown.contains("order_ready"), "{unknown}");
        let mut blank = request(1, "order_ready");
        blank.user[0].id = " ".into();
        assert!(check(&blank, &bot).is_err());
    }

    #[test]
    fn each_user_is_one_delivery_counted_by_event_id() {
        let mut ledger = Ledger::default();
        let (task, delivered) = ledger.deliver(&request(2, "order_ready"), Utc::now());
        assert_eq!(delivered.len(), 2);
        let mut other = request(1, "order_placed");
        other.event.data = None;
        other
            .params
            .insert("event_id".to_owned(), "ev-2".to_owned());
        ledger.deliver(&other, Utc::now());
        let view = ledger.view();
        assert_eq!(view.counts["ev-1"], 2);
        assert_eq!(view.counts["ev-2"], 1);
        let task = ledger.task(&task).unwrap();
        assert_eq!(task.status, "ALL SUCCESS");
        assert_eq!(task.success_count, Some(2));
        assert_eq!(task.fail.as_ref().map(|f| f.count), Some(0));
        assert!(ledger.task("nope").is_none());
        assert_eq!(event_id(&request(1, "x")), Some("ev-1".into()));
    }

    #[test]
    fn an_unresolved_send_delivers_nothing_and_its_task_says_why() {
        let mut ledger = Ledger::default();
        let task_id = ledger.unresolved(&request(2, "order_ready"));
        assert!(ledger.view().deliveries.is_empty());
        let task = serde_json::to_value(ledger.task(&task_id).unwrap()).unwrap();
        assert_eq!(
            task,
            serde_json::json!({
                "taskId": task_id,
                "status": "2 FAIL",
                "allRequestCount": 2,
                "successCount": 0,
                "userKeyResolvingFailCount": 2,
                "fail": {"count": 2, "list": []}
            })
        );
    }

    #[test]
    fn a_kept_document_is_written_out_as_it_came() {
        let document = serde_json::json!({
            "userRequest": {"utterance": "메뉴 보기", "user": {"id": "u1", "properties": {}}},
            "numbers": [1, -2, 2.5, null],
            "empty": "",
        });
        let kept = KeptJson::from(&document);
        assert_eq!(serde_json::to_value(&kept).unwrap(), document);
    }

    #[test]
    fn each_log_keeps_its_most_recent_entries_and_counts_the_dropped() {
        assert_eq!(Ledger::default().view().keep, KEEP);
        let mut ledger = Ledger::keeping(3);
        let mut tasks = Vec::new();
        for i in 0..5 {
            let mut one = request(1, "order_ready");
            one.event = Event::new("order_ready").data("event_id", format!("ev-{i}"));
            ledger.attempt(
                "order_ready",
                Some(format!("ev-{i}")),
                1,
                "delivered".into(),
                Utc::now(),
            );
            tasks.push(ledger.deliver(&one, Utc::now()).0);
        }
        let view = ledger.view();
        let kept: Vec<_> = view
            .deliveries
            .iter()
            .map(|d| d.event_id.clone().unwrap())
            .collect();
        assert_eq!(
            kept,
            ["ev-2", "ev-3", "ev-4"],
            "the newest three, oldest first"
        );
        assert_eq!(view.attempts.len(), 3);
        assert_eq!(view.attempts[0].event_id.as_deref(), Some("ev-2"));
        assert_eq!(
            view.counts.keys().collect::<Vec<_>>(),
            ["ev-2", "ev-3", "ev-4"]
        );
        assert_eq!(
            view.dropped,
            Dropped {
                attempts: 2,
                deliveries: 2,
                tasks: 2,
                inbox: 0
            }
        );
        assert!(ledger.task(&tasks[1]).is_none(), "an old task is forgotten");
        assert!(ledger.task(&tasks[2]).is_some());
        assert_eq!(ledger.tasks.len(), 3);
    }
}
