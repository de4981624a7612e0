//! Business hours: when human agents work, in the shop's time zone.

/// Weekly opening windows in a fixed UTC offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    offset_minutes: i64,
    /// (days bitmask, Monday = bit 0; start minute; end minute) of the local day.
    windows: Vec<(u8, u32, u32)>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl BusinessHours {
    /// Parses a UTC offset (`+08:00`) and lines like `mon-fri 09:00-21:00`, `sat,sun 10:00-18:00`.
    pub fn parse(timezone: &str, lines: &[String]) -> Result<BusinessHours, String> {
        let offset_minutes = parse_offset(timezone)
            .ok_or_else(|| format!("time zone `{timezone}` is not a UTC offset like +08:00"))?;
        let mut windows = Vec::new();
        for line in lines {
            let bad = || {
                format!("business hours `{line}`: expected `DAYS HH:MM-HH:MM`, e.g. `mon-fri 09:00-21:00`")
            };
            let (days, times) = line.trim().split_once(char::is_whitespace).ok_or_else(bad)?;
            let mask = parse_days(days.trim()).ok_or_else(bad)?;
            let (start, end) = times.trim().split_once('-').ok_or_else(bad)?;
            let (start, end) = (parse_time(start).ok_or_else(bad)?, parse_time(end).ok_or_else(bad)?);
            if start >= end {
                return Err(format!(
                    "business hours `{line}`: the end must come after the start (split a window over midnight in two)"
                ));
            }
            windows.push((mask, start, end));
        }
        Ok(BusinessHours { offset_minutes, windows })
    }

    /// True when agents work at `unix_ms`.
    pub fn is_open(&self, unix_ms: i64) -> bool {
        let local_minutes = unix_ms.div_euclid(60_000) + self.offset_minutes;
        let day_number = local_minutes.div_euclid(24 * 60);
        // 1970-01-01 was a Thursday (index 3 from Monday).
        let weekday = (day_number + 3).rem_euclid(7) as u8;
        let minute = local_minutes.rem_euclid(24 * 60) as u32;
        self.windows
            .iter()
            .any(|&(mask, start, end)| mask & (1 << weekday) != 0 && (start..end).contains(&minute))
    }
}

fn parse_offset(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_prefix("UTC").unwrap_or(text);
    let (sign, rest) = match text.chars().next()? {
        '+' => (1, &text[1..]),
        '-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

fn parse_days(text: &str) -> Option<u8> {
    let mut mask = 0u8;
    for part in text.split(',') {
        let index = |day: &str| DAYS.iter().position(|d| *d == day.trim().to_lowercase());
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (index(from)?, index(to)?);
                // A range may wrap the week: fri-mon.
                let mut day = from;
                loop {
                    mask |= 1 << day;
                    if day == to {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => mask |= 1 << index(part)?,
        }
    }
    (mask != 0).then_some(mask)
}

fn parse_time(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 24 && minutes < 60 && hours * 60 + minutes <= 24 * 60).then_some(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds of a UTC instant: 2024-01-01 was a Monday.
    fn utc(day_of_january_2024: i64, hour: i64, minute: i64) -> i64 {
        let days = 19_723 + day_of_january_2024 - 1;
        ((days * 24 + hour) * 60 + minute) * 60_000
    }

    fn hours(lines: &[&str]) -> BusinessHours {
        BusinessHours::parse("+08:00", &lines.iter().map(|l| l.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn opening_follows_the_local_day_and_time() {
        let weekdays = hours(&["mon-fri 09:00-21:00"]);
        // Monday 01:00 UTC is Monday 09:00 in +08:00.
        assert!(weekdays.is_open(utc(1, 1, 0)));
        assert!(!weekdays.is_open(utc(1, 0, 59)));
        // Friday 13:00 UTC is 21:00 local: closed.
        assert!(!weekdays.is_open(utc(5, 13, 0)));
        // Saturday 03:00 UTC is Saturday 11:00 local.
        assert!(!weekdays.is_open(utc(6, 3, 0)));
        assert!(hours(&["mon-fri 09:00-21:00", "sat,sun 10:00-18:00"]).is_open(utc(6, 3, 0)));
    }

    #[test]
    fn ranges_may_wrap_the_week() {
        let weekend = hours(&["fri-mon 00:00-24:00"]);
        assert!(weekend.is_open(utc(7, 12, 0)));
        assert!(!weekend.is_open(utc(3, 12, 0)));
    }

    #[test]
    fn malformed_hours_are_refused() {
        for (zone, line) in [
            ("+08:00", "monday 9-5"),
            ("Asia/Shanghai", "mon 09:00-18:00"),
            ("+08:00", "mon 18:00-09:00"),
            ("+08:00", "xyz 09:00-10:00"),
        ] {
            assert!(BusinessHours::parse(zone, &[line.to_string()]).is_err(), "{zone} {line}");
        }
    }
}
