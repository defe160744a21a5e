//! 나만의 메뉴: an item with its options a customer saved under a short name, at most
//! [`PER_STORE_MAX`] per store.

use crate::input::FAVOURITE_NAME_MAX_CHARS;

/// A customer keeps at most this many favourites per store: they are chips under the menu, and
/// a quick-reply row holds ten.
pub const PER_STORE_MAX: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FavouriteError {
    #[error("나만의 메뉴 이름을 적어 주세요.")]
    EmptyName,
    #[error("나만의 메뉴 이름은 {FAVOURITE_NAME_MAX_CHARS}자까지 정할 수 있어요.")]
    NameTooLong,
    #[error(
        "나만의 메뉴는 한 가게에 {PER_STORE_MAX}개까지 저장할 수 있어요. 안 쓰는 메뉴를 지운 뒤 다시 저장해 주세요."
    )]
    Full,
}

/// The name as kept: trimmed, inner whitespace (newlines included) made one space, control
/// characters refused as empty.
pub fn name(input: &str) -> Result<String, FavouriteError> {
    let name = input
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err(FavouriteError::EmptyName);
    }
    if name.chars().count() > FAVOURITE_NAME_MAX_CHARS {
        return Err(FavouriteError::NameTooLong);
    }
    Ok(name)
}

/// The name a favourite gets when the customer names none: the item and its options, whole
/// words as far as they fit (a first word too long for a name is cut).
pub fn default_name(item: &str, options: &[&str]) -> String {
    let mut name = String::new();
    let words = std::iter::once(item)
        .chain(options.iter().copied())
        .flat_map(str::split_whitespace);
    for word in words {
        let sep = usize::from(!name.is_empty());
        if name.chars().count() + sep + word.chars().count() > FAVOURITE_NAME_MAX_CHARS {
            if name.is_empty() {
                name = word.chars().take(FAVOURITE_NAME_MAX_CHARS).collect();
            }
            break;
        }
        if sep == 1 {
            name.push(' ');
        }
        name.push_str(word);
    }
    if name.is_empty() {
        "나만의 메뉴".to_owned()
    } else {
        name
    }
}

/// Whether one more favourite fits beside the `held` ones of the store.
pub fn check_room(held: usize) -> Result<(), FavouriteError> {
    if held >= PER_STORE_MAX {
        Err(FavouriteError::Full)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  아아   샷\n추가 "), Ok("아아 샷 추가".into()));
        assert_eq!(name(" \t\n"), Err(FavouriteError::EmptyName));
        assert_eq!(name("\u{0}\u{7}"), Err(FavouriteError::EmptyName));
        assert_eq!(name(&"가".repeat(12)), Ok("가".repeat(12)));
        assert_eq!(name(&"가".repeat(13)), Err(FavouriteError::NameTooLong));
    }

    #[test]
    fn default_names_fit_a_chip() {
        assert_eq!(default_name("아메리카노", &["ICE"]), "아메리카노 ICE");
        assert_eq!(
            default_name("바닐라 크림 콜드브루", &["ICE", "샷 추가"]),
            "바닐라 크림 콜드브루"
        );
        assert_eq!(
            default_name("딸기 라떼 그란데 사이즈", &[]),
            "딸기 라떼 그란데"
        );
        assert_eq!(
            default_name("아메리카노", &["ICE", "Large", "에스프레소 샷"]),
            "아메리카노 ICE"
        );
        assert_eq!(default_name(&"긴".repeat(20), &["ICE"]), "긴".repeat(12));
        assert_eq!(default_name(" ", &[]), "나만의 메뉴");
        assert!(name(&default_name(&"긴".repeat(40), &["옵션"])).is_ok());
    }

    #[test]
    fn the_eleventh_is_refused() {
        assert_eq!(check_room(0), Ok(()));
        assert_eq!(check_room(9), Ok(()));
        assert_eq!(check_room(10), Err(FavouriteError::Full));
        assert_eq!(
            FavouriteError::Full.to_string(),
            "나만의 메뉴는 한 가게에 10개까지 저장할 수 있어요. 안 쓰는 메뉴를 지운 뒤 다시 저장해 주세요."
        );
    }
}
