//! Long lists in pages: which page to show, its "(2/5)" mark and its 이전 / 더 보기 chips.

use kakao::skill::response::{BlockTarget, QuickReply};

/// 이전 / 더 보기 chips around page `page` of `pages`.
pub fn page_chips(
    page: usize,
    pages: usize,
    target: impl Fn(usize) -> BlockTarget,
) -> Vec<QuickReply> {
    let mut chips = Vec::new();
    if page > 0 {
        chips.push(QuickReply::block("이전", target(page - 1)));
    }
    if page + 1 < pages {
        chips.push(QuickReply::block("더 보기", target(page + 1)));
    }
    chips
}

/// The page to show (the last one when `page` is past the end) and its range.
pub fn page_of(len: usize, per_page: usize, page: usize) -> (usize, usize, std::ops::Range<usize>) {
    let pages = len.div_ceil(per_page).max(1);
    let page = page.min(pages - 1);
    (page, pages, page * per_page..len.min((page + 1) * per_page))
}

/// "(2/5)" when there is more than one page.
pub fn page_mark(page: usize, pages: usize) -> String {
    if pages > 1 {
        format!(" ({}/{pages})", page + 1)
    } else {
        String::new()
    }
}
