//! The store and order services as the skills need them. Every call carries a deadline well
//! under Kakao's 5 seconds, enforced here as well as sent to the callee: a peer that accepts
//! the connection and never answers still costs at most `deadline`.

use std::future::Future;
use std::time::Duration;

use contracts::common::v1::{Cart, Menu};
use contracts::order::v1 as order;
use contracts::order::v1::order_service_client::OrderServiceClient;
use contracts::store::v1 as store;
use contracts::store::v1::store_service_client::StoreServiceClient;
use platform::Config;
use platform::grpc::Client;

use crate::error::Error;

/// Deadline of one downstream call: two sequential calls still fit Kakao's limit with room
/// for the request's own overall budget to answer first.
pub const CALL_DEADLINE: Duration = Duration::from_millis(2_500);

const STORE: &str = "store";
const ORDER: &str = "order";

#[derive(Clone)]
pub struct Clients {
    store: StoreServiceClient<Client>,
    order: OrderServiceClient<Client>,
    deadline: Duration,
}

impl Clients {
    pub fn new(config: &Config, deadline: Duration) -> Result<Clients, platform::Error> {
        let me = config.identity(platform::Service::ChatbotSkill)?;
        Ok(Clients {
            store: StoreServiceClient::new(platform::grpc::client(
                &me,
                &config.store.endpoints().url,
            )?),
            order: OrderServiceClient::new(platform::grpc::client(
                &me,
                &config.order.endpoints().url,
            )?),
            deadline,
        })
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.deadline);
        request
    }

    async fn call<T>(
        &self,
        service: &'static str,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.deadline, call).await {
            Err(_) => Err(Error::Timeout { service }),
            Ok(Err(status)) if status.code() == tonic::Code::DeadlineExceeded => {
                Err(Error::Timeout { service })
            }
            Ok(Err(status)) => Err(Error::from_status(service, &status)),
            Ok(Ok(response)) => Ok(response.into_inner()),
        }
    }

    // ---- store ----

    pub async fn store(&self, store_id: &str) -> Result<store::Store, Error> {
        let request = self.request(store::GetStoreRequest {
            store_id: store_id.to_owned(),
        });
        let response = self
            .call(STORE, self.store.clone().get_store(request))
            .await?;
        response.store.ok_or(Error::Missing {
            service: STORE,
            what: "store",
        })
    }

    pub async fn menu(&self, store_id: &str) -> Result<Menu, Error> {
        let request = self.request(store::GetMenuRequest {
            store_id: store_id.to_owned(),
        });
        let response = self
            .call(STORE, self.store.clone().get_menu(request))
            .await?;
        response.menu.ok_or(Error::Missing {
            service: STORE,
            what: "menu",
        })
    }

    pub async fn search_stores(
        &self,
        name: &str,
        limit: u32,
    ) -> Result<Vec<store::StoreSummary>, Error> {
        let request = self.request(store::SearchStoresRequest {
            name: name.to_owned(),
            limit,
        });
        let list = self
            .call(STORE, self.store.clone().search_stores(request))
            .await?;
        Ok(list.stores)
    }

    pub async fn nearby_stores(
        &self,
        lat: f64,
        lng: f64,
        radius_m: u32,
        limit: u32,
    ) -> Result<Vec<store::StoreSummary>, Error> {
        let request = self.request(store::NearbyStoresRequest {
            lat,
            lng,
            radius_m,
            limit,
        });
        let list = self
            .call(STORE, self.store.clone().nearby_stores(request))
            .await?;
        Ok(list.stores)
    }

    /// Open stores near a place named in words; the store service resolves the name with Kakao
    /// Local and says whether it could (`lookup`).
    pub async fn nearby_stores_by_place(
        &self,
        place: &str,
        radius_m: u32,
        limit: u32,
    ) -> Result<store::NearbyStoresByPlaceResponse, Error> {
        let request = self.request(store::NearbyStoresByPlaceRequest {
            place: place.to_owned(),
            radius_m,
            limit,
        });
        self.call(STORE, self.store.clone().nearby_stores_by_place(request))
            .await
    }

    pub async fn recent_stores(
        &self,
        customer_id: &str,
        limit: u32,
    ) -> Result<Vec<store::StoreSummary>, Error> {
        let request = self.request(store::RecentStoresRequest {
            customer_id: customer_id.to_owned(),
            limit,
        });
        let list = self
            .call(STORE, self.store.clone().recent_stores(request))
            .await?;
        Ok(list.stores)
    }

    // ---- order: customers and nicknames ----

    /// The customer with every store's favourites as saved (not judged against today's menu).
    pub async fn customer(
        &self,
        bot_user_key: &str,
        plusfriend_user_key: &str,
    ) -> Result<(order::Customer, Vec<order::Favourite>), Error> {
        let request = self.request(order::GetOrCreateCustomerRequest {
            bot_user_key: bot_user_key.to_owned(),
            plusfriend_user_key: plusfriend_user_key.to_owned(),
        });
        let response = self
            .call(ORDER, self.order.clone().get_or_create_customer(request))
            .await?;
        let customer = response.customer.ok_or(Error::Missing {
            service: ORDER,
            what: "customer",
        })?;
        Ok((customer, response.favourites))
    }

    pub async fn nickname(&self, customer_id: &str) -> Result<String, Error> {
        let request = self.request(order::GetNicknameRequest {
            customer_id: customer_id.to_owned(),
        });
        let response = self
            .call(ORDER, self.order.clone().get_nickname(request))
            .await?;
        Ok(response.nickname)
    }

    pub async fn set_nickname(
        &self,
        customer_id: &str,
        nickname: &str,
    ) -> Result<order::Customer, Error> {
        let request = self.request(order::SetNicknameRequest {
            customer_id: customer_id.to_owned(),
            nickname: nickname.to_owned(),
        });
        let response = self
            .call(ORDER, self.order.clone().set_nickname(request))
            .await?;
        response.customer.ok_or(Error::Missing {
            service: ORDER,
            what: "customer",
        })
    }

    // ---- order: carts ----

    pub async fn cart(&self, customer_id: &str) -> Result<Option<Cart>, Error> {
        let request = self.request(order::GetCartRequest {
            customer_id: customer_id.to_owned(),
        });
        let response = self
            .call(ORDER, self.order.clone().get_cart(request))
            .await?;
        Ok(response.cart.filter(|cart| !cart.lines.is_empty()))
    }

    pub async fn add_to_cart(
        &self,
        add: order::AddToCartRequest,
    ) -> Result<order::CartUpdateResponse, Error> {
        let request = self.request(add);
        self.call(ORDER, self.order.clone().add_to_cart(request))
            .await
    }

    pub async fn remove_from_cart(
        &self,
        remove: order::RemoveFromCartRequest,
    ) -> Result<order::CartUpdateResponse, Error> {
        let request = self.request(remove);
        self.call(ORDER, self.order.clone().remove_from_cart(request))
            .await
    }

    // ---- order: placement and reads ----

    pub async fn place_order(
        &self,
        customer_id: &str,
        cart_id: &str,
    ) -> Result<order::PlaceOrderResponse, Error> {
        let request = self.request(order::PlaceOrderRequest {
            customer_id: customer_id.to_owned(),
            cart_id: cart_id.to_owned(),
        });
        self.call(ORDER, self.order.clone().place_order(request))
            .await
    }

    pub async fn customer_orders(
        &self,
        customer_id: &str,
        limit: u32,
    ) -> Result<Vec<order::Order>, Error> {
        let request = self.request(order::ListCustomerOrdersRequest {
            customer_id: customer_id.to_owned(),
            limit,
        });
        let list = self
            .call(ORDER, self.order.clone().list_customer_orders(request))
            .await?;
        Ok(list.orders)
    }

    pub async fn customer_order(
        &self,
        customer_id: &str,
        order_id: &str,
    ) -> Result<order::Order, Error> {
        let request = self.request(order::GetOrderRequest {
            order_id: order_id.to_owned(),
            store_id: String::new(),
            customer_id: customer_id.to_owned(),
        });
        let response = self
            .call(ORDER, self.order.clone().get_order(request))
            .await?;
        response.order.ok_or(Error::Missing {
            service: ORDER,
            what: "order",
        })
    }

    /// The customer's 취소하기: refunds through KakaoPay before it answers, so it may take
    /// the whole deadline.
    pub async fn cancel_customer_order(
        &self,
        customer_id: &str,
        order_id: &str,
    ) -> Result<order::OrderActionResponse, Error> {
        let request = self.request(order::CustomerCancelOrderRequest {
            customer_id: customer_id.to_owned(),
            order_id: order_id.to_owned(),
        });
        self.call(ORDER, self.order.clone().customer_cancel_order(request))
            .await
    }

    // ---- order: reorder and favourites ----

    /// 같은 메뉴 다시 담기: the past order's lines into the cart, what is gone left out.
    pub async fn reorder(
        &self,
        reorder: order::ReorderRequest,
    ) -> Result<order::ReorderResponse, Error> {
        let request = self.request(reorder);
        self.call(ORDER, self.order.clone().reorder(request)).await
    }

    /// Every store's favourites of the customer (the numbers customers rename them by count
    /// across stores), oldest first.
    pub async fn favourites(&self, customer_id: &str) -> Result<order::FavouriteList, Error> {
        let request = self.request(order::ListFavouritesRequest {
            customer_id: customer_id.to_owned(),
            store_id: String::new(),
        });
        self.call(ORDER, self.order.clone().list_favourites(request))
            .await
    }

    pub async fn save_favourite(
        &self,
        save: order::SaveFavouriteRequest,
    ) -> Result<order::FavouriteResponse, Error> {
        let request = self.request(save);
        self.call(ORDER, self.order.clone().save_favourite(request))
            .await
    }

    pub async fn rename_favourite(
        &self,
        customer_id: &str,
        favourite_id: &str,
        name: &str,
    ) -> Result<order::FavouriteResponse, Error> {
        let request = self.request(order::RenameFavouriteRequest {
            customer_id: customer_id.to_owned(),
            favourite_id: favourite_id.to_owned(),
            name: name.to_owned(),
        });
        self.call(ORDER, self.order.clone().rename_favourite(request))
            .await
    }

    pub async fn remove_favourite(
        &self,
        customer_id: &str,
        favourite_id: &str,
    ) -> Result<bool, Error> {
        let request = self.request(order::RemoveFavouriteRequest {
            customer_id: customer_id.to_owned(),
            favourite_id: favourite_id.to_owned(),
        });
        let answer = self
            .call(ORDER, self.order.clone().remove_favourite(request))
            .await?;
        Ok(answer.removed)
    }

    pub async fn add_favourite_to_cart(
        &self,
        add: order::AddFavouriteToCartRequest,
    ) -> Result<order::CartUpdateResponse, Error> {
        let request = self.request(add);
        self.call(ORDER, self.order.clone().add_favourite_to_cart(request))
            .await
    }
}
