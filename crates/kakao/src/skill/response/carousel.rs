//! Carousels, and the stricter limits a card is held to inside one.

use serde::Serialize;

use super::card::{BasicCard, TextCard};
use super::item_card::ItemCard;
use super::limit::{LimitError, check_count, shorten};
use super::list_card::ListCard;
use crate::skill::limits;

/// A card that can sit in a carousel, held there to the in-carousel limits.
pub trait CarouselCard: Sized {
    /// How many of these one carousel holds.
    const MAX: usize;
    /// The card as it may appear inside a carousel: texts shortened, counts checked.
    fn in_carousel(self) -> Result<Self, LimitError>;
    fn wrap(cards: Vec<Self>) -> CarouselItems;
}

impl CarouselCard for TextCard {
    const MAX: usize = limits::CAROUSEL_ITEMS_MAX;

    fn in_carousel(mut self) -> Result<Self, LimitError> {
        self.description = self
            .description
            .map(|d| shorten(&d, limits::TEXT_CARD_DESCRIPTION_IN_CAROUSEL_MAX));
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::TextCard(cards)
    }
}

impl CarouselCard for BasicCard {
    const MAX: usize = limits::CAROUSEL_ITEMS_MAX;

    fn in_carousel(self) -> Result<Self, LimitError> {
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::BasicCard(cards)
    }
}

impl CarouselCard for ListCard {
    const MAX: usize = limits::CAROUSEL_LIST_CARDS_MAX;

    fn in_carousel(self) -> Result<Self, LimitError> {
        check_count(
            "listCard.items in a carousel",
            self.items.len(),
            1,
            limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX,
        )?;
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::ListCard(cards)
    }
}

impl CarouselCard for ItemCard {
    const MAX: usize = limits::CAROUSEL_ITEMS_MAX;

    fn in_carousel(mut self) -> Result<Self, LimitError> {
        check_count(
            "itemCard.itemList in a carousel",
            self.item_list.len(),
            1,
            limits::ITEM_CARD_ROWS_IN_CAROUSEL_MAX,
        )?;
        self.fit_text(limits::ITEM_CARD_TEXT_IN_CAROUSEL_MAX);
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::ItemCard(cards)
    }
}

/// The cards of a carousel, all of one type: serialized as `"type"` + `"items"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "items", rename_all = "camelCase")]
pub enum CarouselItems {
    BasicCard(Vec<BasicCard>),
    ListCard(Vec<ListCard>),
    ItemCard(Vec<ItemCard>),
    TextCard(Vec<TextCard>),
}

impl CarouselItems {
    pub fn len(&self) -> usize {
        match self {
            CarouselItems::BasicCard(v) => v.len(),
            CarouselItems::ListCard(v) => v.len(),
            CarouselItems::ItemCard(v) => v.len(),
            CarouselItems::TextCard(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A carousel without a header (the skills need none, and textCard and listCard carousels
/// take none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Carousel {
    #[serde(flatten)]
    items: CarouselItems,
}

impl Carousel {
    /// 1–10 cards of one type (1–5 list cards), each held to the in-carousel limits.
    pub fn new<T: CarouselCard>(cards: Vec<T>) -> Result<Self, LimitError> {
        check_count("carousel.items", cards.len(), 1, T::MAX)?;
        let cards = cards
            .into_iter()
            .map(T::in_carousel)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Carousel {
            items: T::wrap(cards),
        })
    }

    pub fn items(&self) -> &CarouselItems {
        &self.items
    }
}
