//! When a cached menu document expires.

use chrono::{DateTime, Days as CalendarDays, NaiveDate, NaiveTime, TimeZone, Utc};

pub fn end_of_korean_day(today: NaiveDate) -> DateTime<Utc> {
    let next = today
        .checked_add_days(CalendarDays::new(1))
        .unwrap_or(today)
        .and_time(NaiveTime::MIN);
    domain::KST
        .from_local_datetime(&next)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&next), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sold_out_marks_lapse_at_korean_midnight() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        // 2025-03-02 00:00 in Seoul is 2025-03-01 15:00 UTC.
        assert_eq!(
            end_of_korean_day(today),
            Utc.with_ymd_and_hms(2025, 3, 1, 15, 0, 0).unwrap()
        );
    }
}
