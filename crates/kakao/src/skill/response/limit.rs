//! The two rules every builder follows: texts shortened to their limit, counts checked.

/// A count outside what Kakao accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("{what}: at most {max} allowed, got {got}")]
    TooMany {
        what: &'static str,
        max: usize,
        got: usize,
    },
    #[error("{what}: at least {min} required, got {got}")]
    TooFew {
        what: &'static str,
        min: usize,
        got: usize,
    },
}

pub(super) fn check_count(
    what: &'static str,
    got: usize,
    min: usize,
    max: usize,
) -> Result<(), LimitError> {
    if got < min {
        Err(LimitError::TooFew { what, min, got })
    } else if got > max {
        Err(LimitError::TooMany { what, max, got })
    } else {
        Ok(())
    }
}

pub(super) fn push_limited<T>(
    what: &'static str,
    items: &mut Vec<T>,
    item: T,
    max: usize,
) -> Result<(), LimitError> {
    check_count(what, items.len() + 1, 0, max)?;
    items.push(item);
    Ok(())
}

/// `text` in at most `max_chars` chars: whole when it fits, otherwise cut and ended with `…`,
/// at the last space when that keeps at least half of the room (Korean and English both
/// separate words by spaces), else mid-word.
pub fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let room = max_chars - 1;
    let head: String = text.chars().take(room).collect();
    let at_space = head
        .char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .next_back()
        .filter(|&i| head[..i].trim_end().chars().count() * 2 >= room);
    let mut out = match at_space {
        Some(i) => head[..i].trim_end().to_owned(),
        None => head,
    };
    out.push('…');
    out
}

pub(super) fn opt_text(text: impl AsRef<str>, max: usize) -> Option<String> {
    let text = text.as_ref().trim();
    (!text.is_empty()).then(|| shorten(text, max))
}
