//! Lengths of what customers type, shared by the service that judges a field and the chatbot
//! that asks it: the chatbot tells the customer what is wrong before asking, so a long input is
//! never a failed call.

/// A store name search ("매장 찾기 …").
pub const STORE_SEARCH_MAX_CHARS: usize = 60;
/// A nickname: it is read out loud and shown on a small board.
pub const NICKNAME_MAX_CHARS: usize = 10;
/// A place name for nearby search ("강남역"): longer text is a sentence or a link, not a place.
pub const PLACE_NAME_MAX_CHARS: usize = 60;
/// A 나만의 메뉴 name: it is a quick-reply chip's label, with room for the chip's mark.
pub const FAVOURITE_NAME_MAX_CHARS: usize = 12;
