//! The timeline as inline SVG: one lane per Warning reason or per component's restarts, a dot per
//! time bucket sized by its count, and a dashed line at each incident. Labels and tooltips are
//! text nodes, so maud escapes them like everything else.

use maud::{Markup, html};

use super::view::Timeline;

const WIDTH: f64 = 1000.0;
const LABEL: f64 = 230.0;
const PLOT: f64 = WIDTH - LABEL - 20.0;
const LANE: f64 = 24.0;
/// Room for the axis above the first lane, plus one row per staggered marker label.
const TOP: f64 = 14.0;
const LABEL_ROW: f64 = 14.0;
const LABEL_ROWS: usize = 4;
const TICKS: i32 = 6;

fn x_of(x: f64) -> f64 {
    LABEL + x * PLOT
}

fn radius(count: u64) -> f64 {
    (3.0 + (count as f64).ln() * 1.6).min(10.0)
}

/// The SVG (or a sentence when nothing happened in the window).
pub fn svg(t: &Timeline) -> Markup {
    let label_rows = t.markers.len().min(LABEL_ROWS);
    let top = TOP + LABEL_ROW * label_rows as f64;
    let height = top + LANE * t.lanes.len().max(1) as f64 + 30.0;
    let span = t.end - t.start;
    html! {
        svg.timeline xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {height}")) role="img"
            aria-label="Warning events and container restarts over the collection window" {
            @for i in 0..=TICKS {
                @let x = x_of(f64::from(i) / f64::from(TICKS));
                @let at = t.start + span * i / TICKS;
                line.tick x1=(x) x2=(x) y1=(top - 6.0) y2=(height - 24.0) {}
                @let anchor = if i == 0 { "start" } else if i == TICKS { "end" } else { "middle" };
                text.ticklabel x=(x) y=(height - 8.0) text-anchor=(anchor) { (at.format("%m-%d %H:%M")) }
            }
            @if t.lanes.is_empty() {
                text.empty x=(LABEL + PLOT / 2.0) y=(top + LANE / 2.0) text-anchor="middle" {
                    "no Warning events or restarts in the window"
                }
            }
            @for (i, lane) in t.lanes.iter().enumerate() {
                @let y = top + LANE * i as f64 + LANE / 2.0;
                line.lane x1=(LABEL) x2=(LABEL + PLOT) y1=(y) y2=(y) {}
                text.lanelabel x=(LABEL - 8.0) y=(y + 4.0) text-anchor="end" {
                    (truncate(&lane.label, 30)) " (" (lane.total) ")"
                }
                @for m in &lane.marks {
                    circle class=(lane.kind) cx=(format!("{:.1}", x_of(m.x))) cy=(y) r=(format!("{:.1}", radius(m.count))) {
                        title { (m.title) " (×" (m.count) ")" }
                    }
                }
            }
            @for (i, (x, label, anchor)) in t.markers.iter().enumerate() {
                @let ly = TOP + LABEL_ROW * (i % LABEL_ROWS) as f64;
                a href=(format!("#{anchor}")) {
                    line.incident x1=(format!("{:.1}", x_of(*x))) x2=(format!("{:.1}", x_of(*x))) y1=(ly + 2.0) y2=(height - 24.0) {
                        title { (label) }
                    }
                    @let (lx, anchor) = if *x > 0.6 { (x_of(*x) - 4.0, "end") } else { (x_of(*x) + 4.0, "start") };
                    text.incidentlabel x=(format!("{lx:.1}")) y=(ly) text-anchor=(anchor) { (truncate(label, 60)) }
                }
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}
