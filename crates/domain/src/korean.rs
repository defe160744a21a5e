//! Korean particles that depend on the last syllable of the word before them,
//! so messages built from store-entered names read naturally ("'시럽'은", "'샷 추가'는").

/// Whether the word ends in a final consonant (받침), and whether that consonant is ㄹ;
/// `None` when the last character is neither a Hangul syllable nor a digit.
fn final_consonant(word: &str) -> Option<(bool, bool)> {
    let last = word.trim_end().chars().last()?;
    match last {
        '가'..='힣' => {
            let jong = (u32::from(last) - 0xAC00) % 28;
            Some((jong != 0, jong == 8))
        }
        // Read as Sino-Korean numerals: 영 일 이 삼 사 오 육 칠 팔 구.
        '0' | '3' | '6' => Some((true, false)),
        '1' | '7' | '8' => Some((true, true)),
        '2' | '4' | '5' | '9' => Some((false, false)),
        _ => None,
    }
}

/// 은 / 는
pub fn topic(word: &str) -> &'static str {
    match final_consonant(word) {
        Some((true, _)) => "은",
        Some((false, _)) => "는",
        None => "은(는)",
    }
}

/// 을 / 를
pub fn object(word: &str) -> &'static str {
    match final_consonant(word) {
        Some((true, _)) => "을",
        Some((false, _)) => "를",
        None => "을(를)",
    }
}

/// 으로 / 로 (ㄹ takes 로)
pub fn direction(word: &str) -> &'static str {
    match final_consonant(word) {
        Some((true, false)) => "으로",
        Some((true, true)) | Some((false, _)) => "로",
        None => "(으)로",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particles_follow_the_last_syllable() {
        assert_eq!(topic("시럽"), "은");
        assert_eq!(topic("샷 추가"), "는");
        assert_eq!(object("마감"), "을");
        assert_eq!(object("브레이크"), "를");
        assert_eq!(direction("취소됨"), "으로");
        assert_eq!(direction("준비 완료"), "로");
        assert_eq!(direction("서울"), "로");
        assert_eq!(topic("2"), "는");
        assert_eq!(topic("Latte"), "은(는)");
        assert_eq!(topic(""), "은(는)");
    }
}
