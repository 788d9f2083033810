//! Dates for the holder file, by hand (no clock here, no crate): `YYYY-MM-DD HH:MM:SS UTC`
//! from seconds since the epoch and back, and a holder's age in words.

/// How long ago, coarsely: `12 s ago`, `5 min ago`, `3 h ago`, `2 days ago`; `None` for a
/// negative age (the holder's clock is ahead of ours).
pub fn ago(secs: i64) -> Option<String> {
    match secs {
        s if s < 0 => None,
        s if s < 120 => Some(format!("{s} s ago")),
        s if s < 120 * 60 => Some(format!("{} min ago", s / 60)),
        s if s < 48 * 3600 => Some(format!("{} h ago", s / 3600)),
        s => Some(format!("{} days ago", s / 86400)),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the epoch.
pub fn format_utc(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Seconds since the epoch of `YYYY-MM-DD HH:MM:SS UTC` or RFC 3339's `YYYY-MM-DDTHH:MM:SSZ`;
/// `None` for anything else, an impossible date included.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    let body = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix('Z'))?;
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = body.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    let shape = body.len() == 19
        && separators
            .iter()
            .all(|&(i, c)| body.as_bytes().get(i) == Some(&c))
        && matches!(body.as_bytes().get(10), Some(b' ' | b'T'));
    if !shape {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // 31 February and the like: the day does not come back the same.
    if civil_from_days(days) != (y, u32::try_from(m).ok()?, u32::try_from(d).ok()?) {
        return None;
    }
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Howard Hinnant's `civil_from_days`: (year, month, day) of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // m is 1..=12 and d 1..=31 by the arithmetic above.
    (
        y,
        u32::try_from(m).unwrap_or(0),
        u32::try_from(d).unwrap_or(0),
    )
}

/// Howard Hinnant's `days_from_civil`: the day count from 1970-01-01 of a date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
