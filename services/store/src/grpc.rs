//! The gRPC adapter: parses requests, calls the logic modules, shapes responses. No decisions here.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use contracts::common::v1 as common;
use contracts::store::v1 as pb;
use contracts::store::v1::store_service_server::StoreService;
use domain::day::{DayAction, DayState};
use domain::{SelectionId, StoreId};
use platform::Service;
use platform::grpc::Caller;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::admin;
use crate::day::{DayView, Days, Outcome, Refusal};
use crate::error::StoreError;
use crate::menu::{self, Document, Menus};
use crate::places::{Located, Lookup};
use crate::profile::{Profile, Profiles};
use crate::search::{Hit, Search};
use crate::session::{ActiveSession, Sessions, Status as SessionStatus};
use crate::storage::day::DayRow;
use crate::storage::sessions::SessionRole;
use crate::storage::stores;
use contracts::time::timestamp as ts;

#[derive(Clone)]
pub struct StoreGrpc {
    pub sessions: Arc<Sessions>,
    pub days: Arc<Days>,
    pub menus: Arc<Menus>,
    pub search: Arc<Search>,
    pub profiles: Arc<Profiles>,
    pub pool: PgPool,
}

type Reply<T> = Result<Response<T>, Status>;

fn store_id(text: &str) -> Result<StoreId, StoreError> {
    text.trim()
        .parse()
        .map_err(|_| StoreError::Invalid("가게 id가 올바르지 않습니다".to_owned()))
}

fn ms_ts(ms: i64) -> Option<prost_types::Timestamp> {
    Utc.timestamp_millis_opt(ms).single().map(ts)
}

fn session_pb(s: &ActiveSession) -> pb::Session {
    pb::Session {
        session_id: s.id.clone(),
        store_id: s.record.store_id.to_string(),
        account_id: s.record.account_id.to_string(),
        role: match s.record.role {
            SessionRole::Admin => pb::Role::Admin,
            SessionRole::Viewer => pb::Role::Viewer,
        } as i32,
        expires_at: ms_ts(s.record.expires_at_ms),
        idle_expires_at: ms_ts(s.record.idle_expires_at_ms),
        login_id: s.record.login_id.clone(),
    }
}

fn state_pb(state: DayState) -> common::DayState {
    match state {
        DayState::Preparing => common::DayState::Preparing,
        DayState::Open => common::DayState::Open,
        DayState::Break => common::DayState::Break,
        DayState::Closing => common::DayState::Closing,
        DayState::Closed => common::DayState::Closed,
    }
}

fn action_pb(action: DayAction) -> pb::DayAction {
    match action {
        DayAction::Ready => pb::DayAction::Ready,
        DayAction::Open => pb::DayAction::Open,
        DayAction::Break => pb::DayAction::Break,
        DayAction::Resume => pb::DayAction::Resume,
        DayAction::StartClosing => pb::DayAction::StartClosing,
        DayAction::Close => pb::DayAction::Close,
    }
}

fn action_from_pb(value: i32) -> Result<DayAction, StoreError> {
    Ok(match pb::DayAction::try_from(value) {
        Ok(pb::DayAction::Ready) => DayAction::Ready,
        Ok(pb::DayAction::Open) => DayAction::Open,
        Ok(pb::DayAction::Break) => DayAction::Break,
        Ok(pb::DayAction::Resume) => DayAction::Resume,
        Ok(pb::DayAction::StartClosing) => DayAction::StartClosing,
        Ok(pb::DayAction::Close) => DayAction::Close,
        Ok(pb::DayAction::Unspecified) | Err(_) => {
            return Err(StoreError::Invalid("영업 동작을 지정해 주세요".to_owned()));
        }
    })
}

fn day_pb(view: &DayView) -> pb::BusinessDay {
    let state = view.state();
    let live = view.live.as_ref();
    let shown: Option<&DayRow> = live.or(view.last_closed.as_ref().map(|(d, _)| d));
    let allowed = domain::day::allowed_actions(live.map(|d| d.state));
    pb::BusinessDay {
        store_id: view.store_id.to_string(),
        day_business_id: live.map(|d| d.id.to_string()).unwrap_or_default(),
        state: state_pb(state) as i32,
        stream_key: live.map(|d| d.stream_key.clone()).unwrap_or_default(),
        prepared_at: shown.map(|d| ts(d.prepared_at)),
        opened_at: shown.and_then(|d| d.opened_at).map(ts),
        closing_at: shown.and_then(|d| d.closing_at).map(ts),
        closed_at: shown.and_then(|d| d.closed_at).map(ts),
        close_possible_at: view.close_possible_at.map(ts),
        allowed_actions: allowed.into_iter().map(|a| action_pb(a) as i32).collect(),
        summary: view
            .last_closed
            .as_ref()
            .filter(|_| live.is_none())
            .and_then(|(_, s)| s.as_ref())
            .map(Into::into),
        shown_day_business_id: shown.map(|d| d.id.to_string()).unwrap_or_default(),
    }
}

fn refusal_pb(refusal: &Refusal, current: DayState) -> pb::TransitionRefusal {
    let (reason, message, open_order_ids, possible_at) = match refusal {
        Refusal::Illegal { message, .. } => (
            pb::RefusalReason::IllegalTransition,
            message.clone(),
            Vec::new(),
            None,
        ),
        Refusal::OpenOrders { order_ids, message } => (
            pb::RefusalReason::OpenOrders,
            message.clone(),
            order_ids.iter().map(Uuid::to_string).collect(),
            None,
        ),
        Refusal::PaymentWindow {
            possible_at,
            message,
        } => (
            pb::RefusalReason::PaymentWindow,
            message.clone(),
            Vec::new(),
            Some(ts(*possible_at)),
        ),
    };
    let current = match refusal {
        Refusal::Illegal { current, .. } => *current,
        _ => current,
    };
    pb::TransitionRefusal {
        reason: reason as i32,
        current_state: state_pb(current) as i32,
        message,
        open_order_ids,
        possible_at,
    }
}

fn menu_pb(doc: &Document) -> common::Menu {
    let m = &doc.menu;
    let options_of = |selection_ids: &[SelectionId]| -> Vec<String> {
        selection_ids
            .iter()
            .filter_map(|id| m.selection(*id))
            .flat_map(|s| s.option_ids.iter().map(ToString::to_string))
            .collect()
    };
    common::Menu {
        store_id: m.store_id.to_string(),
        version: m.version,
        categories: m
            .categories
            .iter()
            .map(|c| common::Category {
                id: c.id.to_string(),
                name: c.name.clone(),
                item_ids: c.item_ids.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        items: m
            .items
            .iter()
            .map(|i| common::Item {
                id: i.id.to_string(),
                name: i.name.clone(),
                description: i.description.clone(),
                price: i.price.as_won(),
                disabled: i.disabled,
                sold_out: i.sold_out,
                selection_ids: i.selection_ids.iter().map(ToString::to_string).collect(),
                image_url: i.image_url.clone().unwrap_or_default(),
            })
            .collect(),
        selections: m
            .selections
            .iter()
            .map(|s| common::Selection {
                id: s.id.to_string(),
                name: s.name.clone(),
                min: s.min,
                max: s.max,
                option_ids: s.option_ids.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        options: m
            .options
            .iter()
            .map(|o| common::Option {
                id: o.id.to_string(),
                name: o.name.clone(),
                price: o.price.as_won(),
                disabled: o.disabled,
                sold_out: o.sold_out,
            })
            .collect(),
        option_categories: doc
            .option_categories
            .iter()
            .map(|c| common::OptionCategory {
                id: c.id.to_string(),
                name: c.name.clone(),
                option_ids: options_of(&c.selection_ids),
                selection_ids: c.selection_ids.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        built_at: Some(ts(doc.built_at)),
        store_name: doc.store_name.clone(),
    }
}

fn store_pb(hit: &Hit) -> pb::Store {
    let s = &hit.store;
    pb::Store {
        store_id: s.id.to_string(),
        name: s.name.clone(),
        address: s.address.clone().unwrap_or_default(),
        phone: s.phone.clone().unwrap_or_default(),
        lat: s.latitude.unwrap_or_default(),
        lng: s.longitude.unwrap_or_default(),
        state: state_pb(hit.live.as_ref().map_or(DayState::Closed, |d| d.state)) as i32,
        day_business_id: hit
            .live
            .as_ref()
            .map(|d| d.id.to_string())
            .unwrap_or_default(),
        description: s.description.clone(),
        opening_hours: s.opening_hours.clone(),
        located_address: s.located_address.clone().unwrap_or_default(),
    }
}

fn place_pb(at: &Located) -> pb::Place {
    pb::Place {
        name: at.name.clone(),
        address: at.address.clone(),
        lat: at.lat,
        lng: at.lng,
    }
}

fn summaries(hits: &[Hit]) -> Vec<pb::StoreSummary> {
    hits.iter()
        .map(|h| pb::StoreSummary {
            store: Some(store_pb(h)),
            distance_m: h.distance_m.unwrap_or_default(),
            last_ordered_at: h.last_ordered_at.map(ts),
        })
        .collect()
}

fn store_list(hits: &[Hit]) -> pb::StoreList {
    pb::StoreList {
        stores: summaries(hits),
    }
}

fn optional_text(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[tonic::async_trait]
impl StoreService for StoreGrpc {
    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        // The per-address limit trusts `client_ip`, so only the public edge may state it: another
        // pod could otherwise escape the limit by naming a fresh address on every guess.
        if request.extensions().get::<Caller>() != Some(&Caller(Service::Gateway)) {
            return Err(Status::permission_denied("only the gateway logs staff in"));
        }
        let r = request.into_inner();
        let (session, replaced) = self
            .sessions
            .login(&r.login_id, &r.password, &r.client_ip)
            .await?;
        Ok(Response::new(pb::LoginResponse {
            session: Some(session_pb(&session)),
            replaced_previous: replaced,
        }))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        self.sessions
            .logout(&request.into_inner().session_id)
            .await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn resolve_session(
        &self,
        request: Request<pb::ResolveSessionRequest>,
    ) -> Reply<pb::ResolveSessionResponse> {
        let r = request.into_inner();
        let (status, session) = self.sessions.resolve(&r.session_id, r.touch).await?;
        let status = match status {
            SessionStatus::Valid => pb::SessionStatus::Valid,
            SessionStatus::Unknown => pb::SessionStatus::Unknown,
            SessionStatus::Expired => pb::SessionStatus::Expired,
            SessionStatus::Replaced => pb::SessionStatus::Replaced,
        };
        Ok(Response::new(pb::ResolveSessionResponse {
            status: status as i32,
            session: session.as_ref().map(session_pb),
        }))
    }

    async fn create_viewer_session(
        &self,
        request: Request<pb::CreateViewerSessionRequest>,
    ) -> Reply<pb::CreateViewerSessionResponse> {
        let session = self
            .sessions
            .create_viewer(&request.into_inner().admin_session_id)
            .await?;
        Ok(Response::new(pb::CreateViewerSessionResponse {
            session: Some(session_pb(&session)),
        }))
    }

    async fn get_day(&self, request: Request<pb::GetDayRequest>) -> Reply<pb::GetDayResponse> {
        let id = store_id(&request.into_inner().store_id)?;
        let view = self.days.view(id.as_uuid()).await?;
        Ok(Response::new(pb::GetDayResponse {
            day: Some(day_pb(&view)),
        }))
    }

    async fn transition_day(
        &self,
        request: Request<pb::TransitionDayRequest>,
    ) -> Reply<pb::TransitionDayResponse> {
        let r = request.into_inner();
        let id = store_id(&r.store_id)?;
        let action = action_from_pb(r.action)?;
        let account_id = match optional_text(&r.account_id) {
            None => None,
            Some(text) => Some(
                text.parse::<Uuid>()
                    .map_err(|_| StoreError::Invalid("계정 id가 올바르지 않습니다".to_owned()))?,
            ),
        };
        let response = match self
            .days
            .transition(id.as_uuid(), action, account_id)
            .await?
        {
            Outcome::Done(view) => pb::TransitionDayResponse {
                day: Some(day_pb(&view)),
                refusal: None,
            },
            Outcome::Refused(refusal, view) => pb::TransitionDayResponse {
                refusal: Some(refusal_pb(&refusal, view.state())),
                day: Some(day_pb(&view)),
            },
        };
        Ok(Response::new(response))
    }

    async fn get_menu(&self, request: Request<pb::GetMenuRequest>) -> Reply<pb::GetMenuResponse> {
        let id = store_id(&request.into_inner().store_id)?;
        let doc = self.menus.get(id).await?;
        Ok(Response::new(pb::GetMenuResponse {
            menu: Some(menu_pb(&doc)),
        }))
    }

    async fn edit_menu(
        &self,
        request: Request<pb::EditMenuRequest>,
    ) -> Reply<pb::EditMenuResponse> {
        let r = request.into_inner();
        let id = store_id(&r.store_id)?;
        let edit = menu::validate(r.op.as_ref())?;
        let (entry_id, version) = self.menus.edit(id, edit).await?;
        Ok(Response::new(pb::EditMenuResponse {
            id: entry_id.map(|i| i.to_string()).unwrap_or_default(),
            version,
        }))
    }

    async fn get_store(
        &self,
        request: Request<pb::GetStoreRequest>,
    ) -> Reply<pb::GetStoreResponse> {
        let id = store_id(&request.into_inner().store_id)?;
        let hit = self.search.store(id).await?;
        Ok(Response::new(pb::GetStoreResponse {
            store: Some(store_pb(&hit)),
        }))
    }

    async fn search_stores(
        &self,
        request: Request<pb::SearchStoresRequest>,
    ) -> Reply<pb::StoreList> {
        let r = request.into_inner();
        let hits = self.search.by_name(&r.name, r.limit).await?;
        Ok(Response::new(store_list(&hits)))
    }

    async fn nearby_stores(
        &self,
        request: Request<pb::NearbyStoresRequest>,
    ) -> Reply<pb::StoreList> {
        let r = request.into_inner();
        let hits = self
            .search
            .nearby(r.lat, r.lng, r.radius_m, r.limit)
            .await?;
        Ok(Response::new(store_list(&hits)))
    }

    async fn nearby_stores_by_place(
        &self,
        request: Request<pb::NearbyStoresByPlaceRequest>,
    ) -> Reply<pb::NearbyStoresByPlaceResponse> {
        let r = request.into_inner();
        let (lookup, hits) = self
            .search
            .near_place(&r.place, r.radius_m, r.limit)
            .await?;
        let (lookup, place) = match &lookup {
            Lookup::Found(at) => (pb::PlaceLookup::Found, Some(place_pb(at))),
            Lookup::NotFound => (pb::PlaceLookup::NotFound, None),
            Lookup::Unavailable => (pb::PlaceLookup::Unavailable, None),
        };
        Ok(Response::new(pb::NearbyStoresByPlaceResponse {
            lookup: lookup as i32,
            place,
            stores: summaries(&hits),
        }))
    }

    async fn update_store_profile(
        &self,
        request: Request<pb::UpdateStoreProfileRequest>,
    ) -> Reply<pb::UpdateStoreProfileResponse> {
        let r = request.into_inner();
        let id = store_id(&r.store_id)?;
        let profile = Profile::new(&r.address, &r.phone, &r.description, &r.opening_hours);
        let located = self.profiles.update(id, &profile).await?;
        let hit = self.search.store(id).await?;
        Ok(Response::new(pb::UpdateStoreProfileResponse {
            store: Some(store_pb(&hit)),
            located: located.as_ref().map(place_pb),
        }))
    }

    async fn recent_stores(
        &self,
        request: Request<pb::RecentStoresRequest>,
    ) -> Reply<pb::StoreList> {
        let r = request.into_inner();
        let hits = self.search.recent(&r.customer_id, r.limit).await?;
        Ok(Response::new(store_list(&hits)))
    }

    async fn create_store(
        &self,
        request: Request<pb::CreateStoreRequest>,
    ) -> Reply<pb::CreateStoreResponse> {
        let r = request.into_inner();
        // (0, 0) is what an unset pair of doubles looks like; no store stands in the Gulf of Guinea.
        let location = (r.lat != 0.0 || r.lng != 0.0).then_some((r.lat, r.lng));
        let profile = admin::StoreProfile {
            address: optional_text(&r.address),
            phone: optional_text(&r.phone),
            description: r.description.trim().to_owned(),
            location,
        };
        let id = admin::create_store_with_profile(
            &self.pool,
            &r.name,
            r.login_id.trim(),
            &r.password,
            &profile,
        )
        .await
        .map_err(StoreError::from)?;
        let account_id = stores::admin_account_id(&self.pool, id)
            .await?
            .map(|a| a.to_string())
            .unwrap_or_default();
        let hit = self.search.store(id).await?;
        Ok(Response::new(pb::CreateStoreResponse {
            store: Some(store_pb(&hit)),
            account_id,
        }))
    }
}
