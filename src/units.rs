//! Quantities people type and read: durations (`6h`) and sizes (`5MiB`) parsed from flags and
//! check files, byte counts printed as `1.2 MiB`. A leaf module, so the argument types
//! (`cli`, `agent::args`, `desk::args`), the bundle reader, the HTML page and the commands use it
//! without importing one another.

use std::time::Duration;

/// `1.2 MiB`.
pub fn human_bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 { format!("{n} B") } else { format!("{v:.1} {}", units[i]) }
}

/// Parse `24h`, `6h`, `30s`, `10ms`, `5m`, `1d`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}: expected e.g. 30s, 10m, 6h, 1d"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return Err(format!("invalid duration unit in {s:?}: use ms, s, m, h or d")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration {s:?}: too long"))
}

/// [`parse_duration`], refusing zero: for intervals and windows, where zero means nothing.
pub fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!("invalid duration {:?}: must be more than zero", s.trim())),
        d => Ok(d),
    }
}

/// Parse `5MiB`, `1GiB`, `500KB`, `10M`, or plain bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid size {s:?}: expected e.g. 512KiB, 5MiB, 1GiB"))?;
    if !n.is_finite() || n <= 0.0 {
        return Err(format!("invalid size {s:?}: must be more than zero"));
    }
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" | "ki" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" | "mi" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" | "gi" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("invalid size unit in {s:?}: use KiB, MiB, GiB (or KB, MB, GB)")),
    };
    Ok((n * mult) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
