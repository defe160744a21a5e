//! 나만의 메뉴: save an item with its options, list, rename, add to the cart in one call,
//! remove; ten per store and no more.

use contracts::order::v1 as pb;
use contracts::store::v1 as store_pb;
use contracts::store::v1::edit_menu_request::Op;
use tonic::Code;

use crate::common::{Harness, contents, outcome};

fn save(
    h: &Harness,
    customer: &str,
    item: &str,
    options: &[&str],
    name: &str,
) -> pb::SaveFavouriteRequest {
    pb::SaveFavouriteRequest {
        customer_id: customer.into(),
        store_id: h.store_id.clone(),
        item_id: h.item(item),
        option_ids: h.options(options),
        name: name.into(),
    }
}

async fn list(h: &Harness, customer: &str) -> Vec<pb::Favourite> {
    h.order()
        .list_favourites(pb::ListFavouritesRequest {
            customer_id: customer.into(),
            store_id: h.store_id.clone(),
        })
        .await
        .expect("ListFavourites")
        .into_inner()
        .favourites
}

fn names(favourites: &[pb::Favourite]) -> Vec<&str> {
    favourites.iter().map(|f| f.name.as_str()).collect()
}

#[tokio::test]
async fn save_list_rename_add_and_remove() {
    let h = Harness::start().await;
    let me = h.customer("kakao-fav").await.customer_id;
    let mut order = h.order();

    let saved = order
        .save_favourite(save(
            &h,
            &me,
            "아메리카노",
            &["ICE", "Large", "에스프레소 샷"],
            "",
        ))
        .await
        .expect("SaveFavourite")
        .into_inner();
    assert!(saved.created);
    let favourite = saved.favourite.expect("a favourite");
    // Named from the item and its options when the customer gives no name.
    assert_eq!(favourite.name, "아메리카노 ICE");
    assert_eq!(favourite.unit_price, 4_500 + 500 + 500);
    assert_eq!(favourite.option_names, ["ICE", "Large", "에스프레소 샷"]);
    assert_eq!(favourite.unavailable, "");

    // The same drink again is the one already kept, whatever order the options come in.
    let again = order
        .save_favourite(save(
            &h,
            &me,
            "아메리카노",
            &["에스프레소 샷", "Large", "ICE"],
            "또",
        ))
        .await
        .expect("SaveFavourite")
        .into_inner();
    assert!(!again.created);
    assert_eq!(
        again.favourite.unwrap().favourite_id,
        favourite.favourite_id
    );

    order
        .save_favourite(save(&h, &me, "치즈케이크", &[], "  케이크  "))
        .await
        .expect("SaveFavourite");
    assert_eq!(names(&list(&h, &me).await), ["아메리카노 ICE", "케이크"]);

    // A choice the menu refuses is not kept.
    let refused = order
        .save_favourite(save(&h, &me, "아메리카노", &["Large"], ""))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(refused.message(), "'온도'에서 1개를 골라 주세요.");

    let rename = |name: &str| pb::RenameFavouriteRequest {
        customer_id: me.clone(),
        favourite_id: favourite.favourite_id.clone(),
        name: name.into(),
    };
    let too_long = order
        .rename_favourite(rename("아주아주아주아주긴이름이에요"))
        .await
        .unwrap_err();
    assert_eq!(too_long.code(), Code::InvalidArgument);
    assert_eq!(
        too_long.message(),
        "나만의 메뉴 이름은 12자까지 정할 수 있어요."
    );
    let blank = order.rename_favourite(rename("   ")).await.unwrap_err();
    assert_eq!(blank.code(), Code::InvalidArgument);
    let renamed = order
        .rename_favourite(rename("아아 라지"))
        .await
        .expect("RenameFavourite")
        .into_inner()
        .favourite
        .unwrap();
    assert_eq!(renamed.name, "아아 라지");
    assert_eq!(names(&list(&h, &me).await), ["아아 라지", "케이크"]);

    // One tap puts one of it in the order sheet, twice makes two.
    let add = || pb::AddFavouriteToCartRequest {
        customer_id: me.clone(),
        favourite_id: favourite.favourite_id.clone(),
        expected_cart_id: String::new(),
        replace: false,
    };
    let first = order
        .add_favourite_to_cart(add())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&first), pb::CartOutcome::Updated);
    let second = order
        .add_favourite_to_cart(add())
        .await
        .unwrap()
        .into_inner();
    let cart = second.cart.expect("a cart");
    assert_eq!(
        contents(&cart),
        [("아메리카노 ICE/Large/에스프레소 샷".to_owned(), 2)].into()
    );
    assert_eq!(cart.total, 2 * 5_500);

    // Another customer sees none of it and cannot touch it.
    let other = h.customer("kakao-other").await.customer_id;
    assert!(list(&h, &other).await.is_empty());
    let theirs = order
        .add_favourite_to_cart(pb::AddFavouriteToCartRequest {
            customer_id: other.clone(),
            ..add()
        })
        .await
        .unwrap_err();
    assert_eq!(theirs.code(), Code::NotFound);
    let theirs = order
        .rename_favourite(pb::RenameFavouriteRequest {
            customer_id: other.clone(),
            ..rename("내꺼")
        })
        .await
        .unwrap_err();
    assert_eq!(theirs.code(), Code::NotFound);

    // Sold out today: still listed, marked, and refused by the cart as any line would be.
    h.edit_menu(
        &h.store_id,
        Op::SetSoldOut(store_pb::SetSoldOut {
            kind: store_pb::MenuEntryKind::Option.into(),
            id: h.option("에스프레소 샷"),
            sold_out: true,
        }),
    )
    .await;
    let listed = list(&h, &me).await;
    assert_eq!(listed[0].unavailable, "'에스프레소 샷'은 품절이에요.");
    assert_eq!(listed[0].unit_price, 0);
    let sold_out = order
        .add_favourite_to_cart(add())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&sold_out), pb::CartOutcome::Invalid);
    assert_eq!(
        sold_out.problem.unwrap().code(),
        pb::CartProblemCode::OptionSoldOut
    );

    let remove = || pb::RemoveFavouriteRequest {
        customer_id: me.clone(),
        favourite_id: favourite.favourite_id.clone(),
    };
    assert!(
        order
            .remove_favourite(remove())
            .await
            .unwrap()
            .into_inner()
            .removed
    );
    assert!(
        !order
            .remove_favourite(remove())
            .await
            .unwrap()
            .into_inner()
            .removed
    );
    assert_eq!(names(&list(&h, &me).await), ["케이크"]);
    let gone = order.add_favourite_to_cart(add()).await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
}

#[tokio::test]
async fn ten_per_store_and_the_eleventh_is_refused() {
    let h = Harness::start().await;
    let me = h.customer("kakao-collector").await.customer_id;
    let mut order = h.order();
    let temperatures = ["HOT", "ICE"];
    let sizes = ["Regular", "Large"];
    let shots: [&[&str]; 3] = [&[], &["에스프레소 샷"], &["디카페인 샷"]];
    let mut choices = Vec::new();
    for t in temperatures {
        for s in sizes {
            for shot in shots {
                let mut options = vec![t, s];
                options.extend_from_slice(shot);
                choices.push(options);
            }
        }
    }
    // Saved at once, as fast taps would: the limit holds all the same.
    let saves = choices[..11].iter().enumerate().map(|(i, options)| {
        let mut order = h.order();
        let request = save(&h, &me, "아메리카노", options, &format!("커피 {i}"));
        async move { order.save_favourite(request).await }
    });
    let results = futures::future::join_all(saves).await;
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert_eq!(refused[0].code(), Code::FailedPrecondition);
    assert_eq!(
        refused[0].message(),
        "나만의 메뉴는 한 가게에 10개까지 저장할 수 있어요. 안 쓰는 메뉴를 지운 뒤 다시 저장해 주세요."
    );
    let kept = list(&h, &me).await;
    assert_eq!(kept.len(), 10);

    // Removing one makes room again; another store has room of its own.
    order
        .remove_favourite(pb::RemoveFavouriteRequest {
            customer_id: me.clone(),
            favourite_id: kept[0].favourite_id.clone(),
        })
        .await
        .unwrap();
    order
        .save_favourite(save(&h, &me, "아메리카노", &choices[11], ""))
        .await
        .expect("room again");
    let (other_store, cake) = h.other_store().await;
    order
        .save_favourite(pb::SaveFavouriteRequest {
            customer_id: me.clone(),
            store_id: other_store,
            item_id: cake,
            option_ids: Vec::new(),
            name: String::new(),
        })
        .await
        .expect("another store");
    assert_eq!(list(&h, &me).await.len(), 10);
    let everywhere = order
        .list_favourites(pb::ListFavouritesRequest {
            customer_id: me.clone(),
            store_id: String::new(),
        })
        .await
        .expect("every store's")
        .into_inner();
    assert_eq!(everywhere.favourites.len(), 11);
    assert_eq!(everywhere.max, 10);
    assert_eq!(everywhere.favourites[10].name, "치즈케이크");
}

/// The menu draws its chips from the customer lookup every skill call starts with, which Redis
/// answers: a save, a rename and a removal must each show at the very next call.
#[tokio::test]
async fn the_customer_lookup_brings_their_favourites_as_they_are_now() {
    let h = Harness::start().await;
    let contact = || {
        let mut order = h.order();
        async move {
            order
                .get_or_create_customer(pb::GetOrCreateCustomerRequest {
                    bot_user_key: "kakao-regular".into(),
                    plusfriend_user_key: String::new(),
                })
                .await
                .expect("GetOrCreateCustomer")
                .into_inner()
        }
    };
    let first = contact().await;
    assert!(first.created);
    assert!(first.favourites.is_empty());
    let me = first.customer.unwrap().customer_id;
    // Seen again: the cached entry, still without favourites.
    assert!(contact().await.favourites.is_empty());

    let mut order = h.order();
    let saved = order
        .save_favourite(save(&h, &me, "아메리카노", &["ICE", "Large"], "아아"))
        .await
        .expect("SaveFavourite")
        .into_inner()
        .favourite
        .unwrap();
    let seen = contact().await.favourites;
    assert_eq!(names(&seen), ["아아"]);
    assert_eq!(seen[0].favourite_id, saved.favourite_id);
    assert_eq!(seen[0].store_id, h.store_id);
    assert_eq!(seen[0].item_id, h.item("아메리카노"));
    assert_eq!(seen[0].option_ids, saved.option_ids);

    order
        .rename_favourite(pb::RenameFavouriteRequest {
            customer_id: me.clone(),
            favourite_id: saved.favourite_id.clone(),
            name: "아아 라지".into(),
        })
        .await
        .expect("RenameFavourite");
    assert_eq!(names(&contact().await.favourites), ["아아 라지"]);

    order
        .remove_favourite(pb::RemoveFavouriteRequest {
            customer_id: me.clone(),
            favourite_id: saved.favourite_id.clone(),
        })
        .await
        .expect("RemoveFavourite");
    assert!(contact().await.favourites.is_empty());
}
