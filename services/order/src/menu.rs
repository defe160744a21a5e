//! The store's menu document, fetched from the store service and turned into the domain model
//! the cart rules check against.

use std::str::FromStr;
use std::time::Duration;

use contracts::clients::StoreServiceClient;
use contracts::store::v1::GetMenuRequest;
use domain::menu::{Category, Menu, MenuItem, MenuOption, Selection};
use domain::{IdParseError, Money, StoreId};
use platform::grpc::Client;

use crate::error::OrderError;

/// Well under the chatbot's own deadline, so a slow store still leaves it time to answer Kakao.
const GET_MENU_DEADLINE: Duration = Duration::from_millis(1_500);

/// A menu with the store's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuDoc {
    pub menu: Menu,
    pub store_name: String,
}

#[derive(Clone)]
pub struct Menus {
    pub store: StoreServiceClient<Client>,
}

impl Menus {
    /// `None` when the store does not exist.
    pub async fn get(&self, store_id: StoreId) -> Result<Option<MenuDoc>, OrderError> {
        let mut request = tonic::Request::new(GetMenuRequest {
            store_id: store_id.to_string(),
        });
        request.set_timeout(GET_MENU_DEADLINE);
        let mut client = self.store.clone();
        let answer = tokio::time::timeout(GET_MENU_DEADLINE, client.get_menu(request))
            .await
            .map_err(|_| OrderError::StoreUnavailable("GetMenu timed out".to_owned()))?;
        match answer {
            Ok(response) => {
                let menu = response
                    .into_inner()
                    .menu
                    .ok_or_else(|| OrderError::Internal("GetMenu answered no menu".to_owned()))?;
                let doc = from_pb(menu).map_err(|e| {
                    OrderError::Internal(format!("menu document of {store_id}: {e}"))
                })?;
                Ok(Some(doc))
            }
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(OrderError::StoreUnavailable(format!(
                "GetMenu: {:?} {}",
                status.code(),
                status.message()
            ))),
        }
    }
}

fn id<T: FromStr<Err = IdParseError>>(s: &str) -> Result<T, IdParseError> {
    s.parse()
}

fn ids<T: FromStr<Err = IdParseError>>(list: &[String]) -> Result<Vec<T>, IdParseError> {
    list.iter().map(|s| id(s)).collect()
}

/// The wire menu as the domain model; a malformed id anywhere makes the document unusable.
pub fn from_pb(pb: contracts::Menu) -> Result<MenuDoc, IdParseError> {
    let menu = Menu {
        store_id: id(&pb.store_id)?,
        version: pb.version,
        categories: pb
            .categories
            .iter()
            .map(|c| {
                Ok(Category {
                    id: id(&c.id)?,
                    name: c.name.clone(),
                    item_ids: ids(&c.item_ids)?,
                })
            })
            .collect::<Result<_, IdParseError>>()?,
        items: pb
            .items
            .iter()
            .map(|i| {
                Ok(MenuItem {
                    id: id(&i.id)?,
                    name: i.name.clone(),
                    description: i.description.clone(),
                    price: Money::won(i.price),
                    image_url: Some(i.image_url.clone()).filter(|u| !u.is_empty()),
                    disabled: i.disabled,
                    sold_out: i.sold_out,
                    selection_ids: ids(&i.selection_ids)?,
                })
            })
            .collect::<Result<_, IdParseError>>()?,
        selections: pb
            .selections
            .iter()
            .map(|s| {
                Ok(Selection {
                    id: id(&s.id)?,
                    name: s.name.clone(),
                    min: s.min,
                    max: s.max,
                    option_ids: ids(&s.option_ids)?,
                })
            })
            .collect::<Result<_, IdParseError>>()?,
        options: pb
            .options
            .iter()
            .map(|o| {
                Ok(MenuOption {
                    id: id(&o.id)?,
                    name: o.name.clone(),
                    price: Money::won(o.price),
                    disabled: o.disabled,
                    sold_out: o.sold_out,
                })
            })
            .collect::<Result<_, IdParseError>>()?,
    };
    Ok(MenuDoc {
        menu,
        store_name: pb.store_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{CategoryId, ItemId, OptionId, SelectionId};

    fn pb_menu() -> (contracts::Menu, StoreId, ItemId, SelectionId, OptionId) {
        let (store, category, item, selection, option) = (
            StoreId::new(),
            CategoryId::new(),
            ItemId::new(),
            SelectionId::new(),
            OptionId::new(),
        );
        let menu = contracts::Menu {
            store_id: store.to_string(),
            version: 7,
            store_name: "카페 테스트".into(),
            categories: vec![contracts::Category {
                id: category.to_string(),
                name: "커피".into(),
                item_ids: vec![item.to_string()],
            }],
            items: vec![contracts::Item {
                id: item.to_string(),
                name: "아메리카노".into(),
                description: "기본 커피".into(),
                price: 4_500,
                disabled: false,
                sold_out: true,
                selection_ids: vec![selection.to_string()],
                image_url: String::new(),
            }],
            selections: vec![contracts::Selection {
                id: selection.to_string(),
                name: "샷 추가".into(),
                min: 0,
                max: 2,
                option_ids: vec![option.to_string()],
            }],
            options: vec![contracts::MenuOption {
                id: option.to_string(),
                name: "에스프레소 샷".into(),
                price: 500,
                disabled: true,
                sold_out: false,
            }],
            ..Default::default()
        };
        (menu, store, item, selection, option)
    }

    #[test]
    fn converts_every_part_of_the_document() {
        let (pb, store, item, selection, option) = pb_menu();
        let doc = from_pb(pb).unwrap();
        assert_eq!(doc.store_name, "카페 테스트");
        let menu = doc.menu;
        assert_eq!((menu.store_id, menu.version), (store, 7));
        assert_eq!(menu.categories[0].item_ids, [item]);
        let americano = menu.item(item).unwrap();
        assert_eq!(americano.price, Money::won(4_500));
        assert!(americano.sold_out && !americano.disabled);
        assert_eq!(americano.image_url, None);
        assert_eq!(americano.selection_ids, [selection]);
        let shots = menu.selection(selection).unwrap();
        assert_eq!(
            (shots.name.as_str(), shots.min, shots.max),
            ("샷 추가", 0, 2)
        );
        let shot = menu.option(option).unwrap();
        assert_eq!(shot.price, Money::won(500));
        assert!(shot.disabled);
    }

    #[test]
    fn a_malformed_id_is_an_error() {
        let (mut pb, ..) = pb_menu();
        pb.selections[0].option_ids.push("nope".into());
        assert_eq!(from_pb(pb).unwrap_err().kind, "OptionId");
    }
}
