//! The gRPC adapter: parses requests, calls the service modules, maps their errors once.

use std::str::FromStr;
use std::sync::Arc;

use contracts::order::v1 as pb;
use domain::IdParseError;
use tonic::{Request, Response, Status};

use crate::callback::{AbortKind, Callbacks};
use crate::cart::{AddRequest, Carts};
use crate::customer::{Customers, parse_customer_id};
use crate::day_stream::DayStreams;
use crate::error::OrderError;
use crate::favourite::{Favourites, SaveRequest};
use crate::fulfil::{Action, Fulfilment};
use crate::messages;
use crate::orders::Orders;
use crate::pb as wire;
use crate::placement::Placement;
use crate::read::{self, Reads, Scope};
use crate::reorder::Reorders;
use crate::seal::Seals;

type Reply<T> = Result<Response<T>, Status>;

pub struct OrderGrpc {
    pub customers: Arc<Customers>,
    pub carts: Arc<Carts>,
    pub placement: Arc<Placement>,
    pub callbacks: Arc<Callbacks>,
    pub orders: Arc<Orders>,
    pub fulfilment: Arc<Fulfilment>,
    pub reads: Arc<Reads>,
    pub day_streams: Arc<DayStreams>,
    pub reorders: Reorders,
    pub favourites: Favourites,
    pub seals: Arc<Seals>,
}

fn accept_settings(store: domain::StoreId, s: &domain::AcceptSettings) -> pb::AcceptSettings {
    pb::AcceptSettings {
        store_id: store.to_string(),
        prep_minutes: s.prep.get(),
        busy: s.busy,
        auto_accept: s.auto_accept,
        default_minutes: s.default_minutes().get(),
        busy_extra_minutes: domain::accept::BUSY_EXTRA_MINUTES,
    }
}

fn parse<T: FromStr<Err = IdParseError>>(field: &str, value: &str) -> Result<T, OrderError> {
    value
        .parse()
        .map_err(|_| OrderError::Invalid(format!("malformed {field}: '{value}'")))
}

/// An optional id: empty means none.
fn optional<T: FromStr<Err = IdParseError>>(
    field: &str,
    value: &str,
) -> Result<Option<T>, OrderError> {
    Some(value)
        .filter(|v| !v.is_empty())
        .map(|v| parse(field, v))
        .transpose()
}

fn action_response(action: &Action) -> pb::OrderActionResponse {
    pb::OrderActionResponse {
        order: Some(messages::order(&action.order)),
        changed: action.changed,
    }
}

#[tonic::async_trait]
impl pb::order_service_server::OrderService for OrderGrpc {
    async fn get_or_create_customer(
        &self,
        request: Request<pb::GetOrCreateCustomerRequest>,
    ) -> Reply<pb::GetOrCreateCustomerResponse> {
        let r = request.into_inner();
        let (known, created) = self
            .customers
            .get_or_create(&r.bot_user_key, &r.plusfriend_user_key)
            .await?;
        Ok(Response::new(pb::GetOrCreateCustomerResponse {
            customer: Some(wire::customer(&known.customer)),
            created,
            favourites: known.favourites.iter().map(wire::saved_favourite).collect(),
        }))
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Reply<pb::GetCustomerResponse> {
        let id = parse_customer_id(&request.into_inner().customer_id)?;
        let customer = self.customers.get(id).await?;
        Ok(Response::new(pb::GetCustomerResponse {
            customer: Some(wire::customer(&customer)),
        }))
    }

    async fn set_nickname(
        &self,
        request: Request<pb::SetNicknameRequest>,
    ) -> Reply<pb::SetNicknameResponse> {
        let r = request.into_inner();
        let id = parse_customer_id(&r.customer_id)?;
        let customer = self.customers.set_nickname(id, &r.nickname).await?;
        Ok(Response::new(pb::SetNicknameResponse {
            customer: Some(wire::customer(&customer)),
        }))
    }

    async fn get_nickname(
        &self,
        request: Request<pb::GetNicknameRequest>,
    ) -> Reply<pb::GetNicknameResponse> {
        let id = parse_customer_id(&request.into_inner().customer_id)?;
        let customer = self.customers.get(id).await?;
        Ok(Response::new(pb::GetNicknameResponse {
            nickname: customer.nickname.unwrap_or_default(),
        }))
    }

    async fn get_cart(&self, request: Request<pb::GetCartRequest>) -> Reply<pb::GetCartResponse> {
        let id = parse_customer_id(&request.into_inner().customer_id)?;
        let session = self.carts.get(id).await?;
        Ok(Response::new(pb::GetCartResponse {
            cart: session.as_ref().map(wire::cart).transpose()?,
        }))
    }

    async fn add_to_cart(
        &self,
        request: Request<pb::AddToCartRequest>,
    ) -> Reply<pb::CartUpdateResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let add = AddRequest {
            store_id: parse("store_id", &r.store_id)?,
            item_id: parse("item_id", &r.item_id)?,
            option_ids: r
                .option_ids
                .iter()
                .map(|id| parse("option_ids", id))
                .collect::<Result<_, _>>()?,
            quantity: r.quantity,
            expected: r.expected_cart_id,
            replace: r.replace,
        };
        let update = self.carts.add(customer, add).await?;
        Ok(Response::new(wire::update(&update)?))
    }

    async fn remove_from_cart(
        &self,
        request: Request<pb::RemoveFromCartRequest>,
    ) -> Reply<pb::CartUpdateResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let line_id: u32 = r
            .line_id
            .parse()
            .map_err(|_| OrderError::Invalid(format!("malformed line_id: '{}'", r.line_id)))?;
        let update = self
            .carts
            .remove(customer, line_id, r.quantity, &r.expected_cart_id)
            .await?;
        Ok(Response::new(wire::update(&update)?))
    }

    async fn clear_cart(
        &self,
        request: Request<pb::ClearCartRequest>,
    ) -> Reply<pb::CartUpdateResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let update = self.carts.clear(customer, &r.expected_cart_id).await?;
        Ok(Response::new(wire::update(&update)?))
    }

    async fn reorder(&self, request: Request<pb::ReorderRequest>) -> Reply<pb::ReorderResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let order = parse("order_id", &r.order_id)?;
        let done = self
            .reorders
            .reorder(customer, order, r.expected_cart_id, r.replace)
            .await?;
        Ok(Response::new(wire::reordered(&done)?))
    }

    async fn save_favourite(
        &self,
        request: Request<pb::SaveFavouriteRequest>,
    ) -> Reply<pb::FavouriteResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let save = SaveRequest {
            store_id: parse("store_id", &r.store_id)?,
            item_id: parse("item_id", &r.item_id)?,
            option_ids: r
                .option_ids
                .iter()
                .map(|id| parse("option_ids", id))
                .collect::<Result<_, _>>()?,
            name: r.name,
        };
        let (favourite, created) = self.favourites.save(customer, save).await?;
        Ok(Response::new(pb::FavouriteResponse {
            favourite: Some(wire::favourite(&favourite)),
            created,
        }))
    }

    async fn list_favourites(
        &self,
        request: Request<pb::ListFavouritesRequest>,
    ) -> Reply<pb::FavouriteList> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let store = optional("store_id", &r.store_id)?;
        let favourites = self.favourites.list(customer, store).await?;
        Ok(Response::new(pb::FavouriteList {
            favourites: favourites.iter().map(wire::favourite).collect(),
            max: u32::try_from(domain::favourite::PER_STORE_MAX).unwrap_or(u32::MAX),
        }))
    }

    async fn rename_favourite(
        &self,
        request: Request<pb::RenameFavouriteRequest>,
    ) -> Reply<pb::FavouriteResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let id = parse("favourite_id", &r.favourite_id)?;
        let favourite = self.favourites.rename(customer, id, &r.name).await?;
        Ok(Response::new(pb::FavouriteResponse {
            favourite: Some(wire::favourite(&favourite)),
            created: false,
        }))
    }

    async fn remove_favourite(
        &self,
        request: Request<pb::RemoveFavouriteRequest>,
    ) -> Reply<pb::RemoveFavouriteResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let id = parse("favourite_id", &r.favourite_id)?;
        let removed = self.favourites.remove(customer, id).await?;
        Ok(Response::new(pb::RemoveFavouriteResponse { removed }))
    }

    async fn add_favourite_to_cart(
        &self,
        request: Request<pb::AddFavouriteToCartRequest>,
    ) -> Reply<pb::CartUpdateResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let id = parse("favourite_id", &r.favourite_id)?;
        let update = self
            .favourites
            .add_to_cart(customer, id, r.expected_cart_id, r.replace)
            .await?;
        Ok(Response::new(wire::update(&update)?))
    }

    async fn place_order(
        &self,
        request: Request<pb::PlaceOrderRequest>,
    ) -> Reply<pb::PlaceOrderResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        if r.cart_id.trim().is_empty() {
            return Err(OrderError::Invalid("cart_id is required".to_owned()).into());
        }
        let placed = self.placement.place(customer, &r.cart_id).await?;
        Ok(Response::new(wire::placed(&placed)?))
    }

    async fn approve_payment(
        &self,
        request: Request<pb::ApprovePaymentRequest>,
    ) -> Reply<pb::ApprovePaymentResponse> {
        let r = request.into_inner();
        let approval = self.callbacks.approve(&r.token, &r.pg_token).await?;
        Ok(Response::new(wire::approval(&approval)))
    }

    async fn abort_payment(
        &self,
        request: Request<pb::AbortPaymentRequest>,
    ) -> Reply<pb::AbortPaymentResponse> {
        let r = request.into_inner();
        let kind = match r.kind() {
            pb::AbortKind::Cancel => AbortKind::Cancel,
            pb::AbortKind::Fail => AbortKind::Fail,
            pb::AbortKind::Unspecified => {
                return Err(OrderError::Invalid("kind must be CANCEL or FAIL".to_owned()).into());
            }
        };
        let abort = self.callbacks.abort(&r.token, kind).await?;
        Ok(Response::new(wire::abort(&abort)))
    }

    async fn wait_order_outcome(
        &self,
        request: Request<pb::WaitOrderOutcomeRequest>,
    ) -> Reply<pb::WaitOrderOutcomeResponse> {
        let r = request.into_inner();
        let id = parse("order_id", &r.order_id)?;
        let wait = std::time::Duration::from_millis(u64::from(r.wait_ms));
        let (order, settled) = self.orders.wait_outcome(id, wait).await?;
        Ok(Response::new(pb::WaitOrderOutcomeResponse {
            order: order.as_ref().map(messages::order),
            settled,
        }))
    }

    async fn mark_ready(
        &self,
        request: Request<pb::MarkReadyRequest>,
    ) -> Reply<pb::OrderActionResponse> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let id = parse("order_id", &r.order_id)?;
        let action = self.fulfilment.mark_ready(store, id).await?;
        Ok(Response::new(action_response(&action)))
    }

    async fn accept_order(
        &self,
        request: Request<pb::AcceptOrderRequest>,
    ) -> Reply<pb::OrderActionResponse> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let id = parse("order_id", &r.order_id)?;
        let minutes = (r.minutes > 0).then_some(r.minutes);
        let action = self.fulfilment.accept(store, id, minutes).await?;
        Ok(Response::new(action_response(&action)))
    }

    async fn get_accept_settings(
        &self,
        request: Request<pb::GetAcceptSettingsRequest>,
    ) -> Reply<pb::AcceptSettings> {
        let store = parse("store_id", &request.into_inner().store_id)?;
        let settings = self.fulfilment.settings(store).await?;
        Ok(Response::new(accept_settings(store, &settings)))
    }

    async fn set_accept_settings(
        &self,
        request: Request<pb::SetAcceptSettingsRequest>,
    ) -> Reply<pb::AcceptSettings> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let settings = domain::AcceptSettings {
            prep: domain::PrepMinutes::new(r.prep_minutes)
                .map_err(|e| OrderError::Invalid(e.to_string()))?,
            busy: r.busy,
            auto_accept: r.auto_accept,
        };
        self.fulfilment.set_settings(store, &settings).await?;
        Ok(Response::new(accept_settings(store, &settings)))
    }

    async fn customer_cancel_order(
        &self,
        request: Request<pb::CustomerCancelOrderRequest>,
    ) -> Reply<pb::OrderActionResponse> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let id = parse("order_id", &r.order_id)?;
        let action = self.fulfilment.customer_cancel(customer, id).await?;
        Ok(Response::new(action_response(&action)))
    }

    async fn cancel_order(
        &self,
        request: Request<pb::CancelOrderRequest>,
    ) -> Reply<pb::OrderActionResponse> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let id = parse("order_id", &r.order_id)?;
        let action = self.fulfilment.cancel(store, id, &r.reason).await?;
        Ok(Response::new(action_response(&action)))
    }

    async fn list_customer_orders(
        &self,
        request: Request<pb::ListCustomerOrdersRequest>,
    ) -> Reply<pb::OrderList> {
        let r = request.into_inner();
        let customer = parse_customer_id(&r.customer_id)?;
        let orders = self.reads.customer_orders(customer, r.limit).await?;
        Ok(Response::new(pb::OrderList { orders }))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Reply<pb::GetOrderResponse> {
        let r = request.into_inner();
        let id = parse("order_id", &r.order_id)?;
        let scope = Scope {
            store: optional("store_id", &r.store_id)?,
            customer: optional("customer_id", &r.customer_id)?,
        };
        let order = self.reads.get(id, scope).await?;
        Ok(Response::new(pb::GetOrderResponse { order: Some(order) }))
    }

    async fn list_day_orders(
        &self,
        request: Request<pb::ListDayOrdersRequest>,
    ) -> Reply<pb::OrderList> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let day = optional("day_business_id", &r.day_business_id)?;
        let statuses = read::statuses(&r.statuses)?;
        let orders = self.reads.day_orders(store, day, &statuses).await?;
        Ok(Response::new(pb::OrderList { orders }))
    }

    async fn list_store_orders(
        &self,
        request: Request<pb::ListStoreOrdersRequest>,
    ) -> Reply<pb::OrderPage> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let days = r
            .day_business_ids
            .iter()
            .map(|day| parse("day_business_ids", day))
            .collect::<Result<Vec<_>, _>>()?;
        let from = read::Cursor::parse(&r.page_token)?;
        let (orders, next) = self
            .reads
            .store_orders(store, &days, r.page_size, from)
            .await?;
        Ok(Response::new(pb::OrderPage {
            orders,
            next_page_token: next.map(read::Cursor::token).unwrap_or_default(),
        }))
    }

    async fn list_day_books(
        &self,
        request: Request<pb::ListDayBooksRequest>,
    ) -> Reply<pb::DayBooksPage> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let day = parse("day_business_id", &r.day_business_id)?;
        let after = optional("page_token", &r.page_token)?;
        let (orders, next) = self.reads.day_books(store, day, r.page_size, after).await?;
        Ok(Response::new(pb::DayBooksPage {
            orders: orders.iter().map(messages::booked).collect(),
            next_page_token: next.map(|id| id.to_string()).unwrap_or_default(),
        }))
    }

    async fn ensure_day_stream(
        &self,
        request: Request<pb::EnsureDayStreamRequest>,
    ) -> Reply<pb::EnsureDayStreamResponse> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let day = parse("day_business_id", &r.day_business_id)?;
        let ensured = self.day_streams.ensure(store, day).await?;
        Ok(Response::new(pb::EnsureDayStreamResponse {
            stream_key: ensured.stream_key,
            opened_entry_id: ensured.opened_entry_id,
            rebuilt: ensured.rebuilt,
        }))
    }

    async fn seal_day(&self, request: Request<pb::SealDayRequest>) -> Reply<pb::SealDayResponse> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let day = parse("day_business_id", &r.day_business_id)?;
        let sealing = self.seals.seal(store, day, r.seal).await?;
        Ok(Response::new(wire::sealing(&sealing)))
    }

    async fn unseal_day(
        &self,
        request: Request<pb::UnsealDayRequest>,
    ) -> Reply<pb::UnsealDayResponse> {
        let r = request.into_inner();
        let store = parse("store_id", &r.store_id)?;
        let day = parse("day_business_id", &r.day_business_id)?;
        self.seals.unseal(store, day).await?;
        Ok(Response::new(pb::UnsealDayResponse {}))
    }
}
